"""What the web tier serves: the release (or extra files), its description, the executor.

One :class:`Site` per application, attached in :func:`uprgraph.web.create_app`
and reached from views through ``current_app``. Views read the store only
through ``site.run`` (a worker with a timeout); they never rebuild anything.

The server follows ``.uprgraph/current``: when a build points it at a new
release, the next request opens that release (checked, with new workers) in the
background, and requests that started on the old one finish there; the old
release is let go (its lease returned, so a later build may prune it) once
nothing uses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from flask import g, has_request_context

from ..config import Settings
from ..formats import for_path
from ..iris import IRIs
from ..release import layout
from ..release.describe import describe
from ..release.dumps import QUADS_DUMP, Dump
from ..store.analysis import analyse, size_error
from ..store.base import StoreError
from .checks import check_release
from .executor import InlineExecutor, Job, Limits, QueryError, StoreSpec
from .inprocess import ThreadExecutor
from .pool import QueryPool
from .stacks import evaluation_stack

log = logging.getLogger(__name__)
#: how often (seconds) requests look whether ``current`` points to a new release
CHECK_SECONDS = 0.5
#: checks a release's store while its workers start
_CHECKER = ThreadPoolExecutor(1, thread_name_prefix="uprgraph-release-check")
#: longest wait for the requests and queries of a replaced release to finish
RETIRE_SECONDS = 600.0
#: longest wait for a new release's query workers to start before it takes over
SETTLE_SECONDS = 60.0

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "qb": "http://purl.org/linked-data/cube#",
    "sh": "http://www.w3.org/ns/shacl#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "spdx": "http://spdx.org/rdf/terms#",
}


@dataclass
class Release:
    """The published release as the web tier sees it: it may be absent (``--data`` only),
    so every path is optional; file names come from :mod:`uprgraph.release.layout`."""

    id: str
    built: datetime
    manifest: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def store_path(self) -> Path | None:
        return self.path / layout.STORE if self.path else None

    @property
    def void_path(self) -> Path | None:
        p = self.path / layout.DESCRIPTION if self.path else None
        return p if p and p.is_file() else None

    @property
    def links_report_path(self) -> Path | None:
        p = self.path / layout.LINKS_REPORT if self.path else None
        return p if p and p.is_file() else None

    @property
    def dumps_dir(self) -> Path | None:
        return self.path / layout.DUMPS if self.path else None

    @property
    def dumps(self) -> list[dict]:
        return list(self.manifest.get("dumps", []))

    def dump(self, name: str) -> dict | None:
        return next((d for d in self.dumps if d.get("file") == name), None)


def _parse_time(text: str | None, fallback: float) -> datetime:
    if text:
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return t if t.tzinfo else t.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(fallback, UTC)


def find_release(settings: Settings) -> Release | None:
    """The release that ``.uprgraph/current`` points to, or None when nothing is built."""
    current = settings.current_release
    manifest_path = current / layout.MANIFEST
    if not manifest_path.is_file():
        return None
    path = current.resolve()
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{manifest_path}: unreadable manifest: {exc}") from exc
    built = _parse_time(manifest.get("built"), manifest_path.stat().st_mtime)
    return Release(str(manifest.get("id") or path.name), built, manifest, path)


def files_release(files: list[Path], base: Release | None) -> Release:
    """A release identity for extra files: changes whenever a file (or the release) does."""
    h = hashlib.sha256((base.id if base else "").encode())
    newest = base.built.timestamp() if base else 0.0
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
        newest = max(newest, st.st_mtime)
    manifest = dict(base.manifest) if base else {}
    return Release(h.hexdigest()[:16], datetime.fromtimestamp(newest, UTC), manifest,
                   base.path if base else None)


@dataclass
class Served:
    """One release as served: its files, the executor on its store, its description.

    Requests pin the one current when they start (:meth:`Site.pin`), so a request
    that began before a switch finishes on the release it started with.
    """

    release: Release | None
    spec: StoreSpec
    executor: QueryPool | InlineExecutor | ThreadExecutor
    description: ox.Store
    #: the target of ``current`` this was opened from (None: not following it)
    link: str | None = None
    lease: Path | None = None
    tmp: tempfile.TemporaryDirectory | None = None
    users: int = 0

    def close(self) -> None:
        self.executor.close()
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None
        if self.lease is not None:
            layout.let_go(self.lease)
            self.lease = None


def _read_link(link: Path) -> str | None:
    try:
        return os.readlink(link)
    except OSError:
        return None


class Site:
    """Settings and the release served (switched when ``current`` changes) of one app."""

    def __init__(self, settings: Settings, inprocess: bool = False,
                 defence: str | None = None) -> None:
        self.settings = settings
        #: queries run in this process's threads (:mod:`.prefork`: it is confined, ``defence``)
        self.inprocess = inprocess
        self.inprocess_defence = defence
        #: whether requests look for a new release (a forked serving process leaves that
        #: to its parent)
        self.following = True
        self.iris = IRIs(settings.base_iri)
        self.prefixes = {**NS, "upr": str(self.iris.upr)}
        self._lock = threading.Lock()
        self._served = self._open(_read_link(settings.current_release))
        self._checked = time.monotonic()
        self._failed: str | None = None
        self._switching = False
        log.info("%s", self.defence_line())

    def defence_line(self) -> str:
        """One line saying how SERVICE requests are prevented (printed at start)."""
        defence = self._served.executor.defence
        if defence:
            return (f"query workers have no network ({defence}): SERVICE cannot reach "
                    "anything")
        return ("query workers can reach the network here: every query is parsed and "
                "refused if it holds SERVICE")

    # -- what a request sees ---------------------------------------------------
    @property
    def served(self) -> Served:
        """The release pinned by the current request, else the current one."""
        if has_request_context():
            pinned = g.get("uprgraph_served")
            if pinned is not None:
                return pinned
        return self._served

    @property
    def release(self) -> Release | None:
        return self.served.release

    @property
    def description(self) -> ox.Store:
        return self.served.description

    @property
    def executor(self) -> QueryPool | InlineExecutor | ThreadExecutor:
        return self.served.executor

    @property
    def spec(self) -> StoreSpec:
        return self.served.spec

    def acquire(self) -> Served:
        """Notice a new release, and hold the one served now until :meth:`let_go`."""
        self._follow()
        with self._lock:
            served = self._served
            served.users += 1
        return served

    def let_go(self, served: Served) -> None:
        with self._lock:
            served.users -= 1

    def pin(self) -> None:
        """Before a request: hold the release served now for the whole request."""
        g.uprgraph_served = self.acquire()

    def unpin(self, _exc: BaseException | None = None) -> None:
        served = g.pop("uprgraph_served", None)
        if served is not None:
            self.let_go(served)

    def run(self, query: str, fmt: str, internal: bool = True, client: str | None = None,
            served: Served | None = None, **kw: object):
        """Run a query through the executor (timeout, worker process); returns an Answer.

        ``internal``: a query of the server's own pages, served before clients' queries;
        ``client``: the address of who asks (see :mod:`.admission`); ``served``: the
        release held by a request outside Flask (the pinned one otherwise).
        """
        refused = size_error(analyse(query).size, self.settings.max_query_tokens)
        if refused is not None:  # deeper than the evaluating threads' stacks are made for
            raise QueryError("size", refused)
        prefixes = tuple(self.prefixes.items()) if fmt in ("turtle", "trig") else ()
        # relative IRIs (``PREFIX upr: <def/upr#>``, as in queries/) resolve against the
        # data's base
        job = Job(query, fmt, prefixes=prefixes, base_iri=self.iris.base,
                  **kw)  # type: ignore[arg-type]
        executor = (served or self.served).executor
        return executor.run(job, internal=internal, client=client)

    # -- following ``current`` ---------------------------------------------------
    def _follow(self) -> None:
        """Start a switch when ``current`` points elsewhere (checked twice a second at most)."""
        if self._served.link is None or self._switching or not self.following:
            return
        now = time.monotonic()
        if now - self._checked < CHECK_SECONDS:
            return
        self._checked = now
        target = self.new_release()
        if target is None:
            return
        self._switching = True
        threading.Thread(target=self._switch, args=(target,), daemon=True,
                         name="uprgraph-release-switch").start()

    def new_release(self) -> str | None:
        """Where ``current`` points when that is neither the release served nor one that
        could not be served (None: nothing new, or ``current`` is not followed)."""
        if self._served.link is None:
            return None
        target = _read_link(self.settings.current_release)
        if target is None or target in (self._served.link, self._failed):
            return None
        return target

    def switch(self, target: str) -> bool:
        """Serve the release at ``target``, opened in this thread, then close the old one
        once nothing uses it; False when it cannot be served (the old one stays)."""
        try:
            new = self._open(target)
        except (StoreError, OSError, SyntaxError, ValueError) as exc:  # e.g. its void.ttl
            self._failed = target
            log.error("still serving release %s: the new release cannot be served: %s",
                      self._served.release.id if self._served.release else "-", exc)
            return False
        # the old release keeps answering while the new one's workers start
        if not new.executor.settle(SETTLE_SECONDS):
            log.warning("serving release %s before all its query workers started",
                        new.release.id if new.release else "-")
        with self._lock:
            old, self._served = self._served, new
        log.info("now serving release %s", new.release.id if new.release else "-")
        self._retire(old)
        return True

    def _switch(self, target: str) -> None:
        try:
            self.switch(target)
        finally:
            self._switching = False

    def _retire(self, old: Served) -> None:
        """Let ``old`` go once no request and no query uses it any more."""
        old.executor.retire()
        give_up = time.monotonic() + RETIRE_SECONDS
        while (old.users > 0 or old.executor.busy > 0) and time.monotonic() < give_up:
            time.sleep(0.1)
        old.close()

    # -- opening a release ---------------------------------------------------------
    def _open(self, link: str | None) -> Served:
        """Open the release ``current`` points to (and the --data files): check it, hold it,
        start its executor. Raises StoreError with one line saying what is wrong."""
        s = self.settings
        release = find_release(s)
        lease = None
        if release is not None and release.path is not None:
            lease = layout.hold(s, release.path)
        checked: Future[None] | None = None
        try:
            if release is not None and release.path is not None:
                # checked while the workers start (both read the store; neither waits)
                checked = _CHECKER.submit(check_release, release)
            files = [s.path(f) for f in s.data_files]
            for f in files:
                if not f.is_file():
                    raise StoreError(f"--data {f}: no such file")
                for_path(f)
            if files:
                release = files_release(files, release)
            spec, tmp = self._spec(release, files)
            try:
                limits = Limits(memory_mb=s.query_memory_mb,
                                stack=evaluation_stack(s.max_query_tokens))
                executor: QueryPool | InlineExecutor | ThreadExecutor
                if self.inprocess:
                    executor = ThreadExecutor(spec, s.query_workers, s.query_timeout, limits,
                                              s.long_query_seconds, self.inprocess_defence)
                elif s.query_workers > 0:
                    executor = QueryPool(
                        spec, s.query_workers, s.query_timeout, limits, s.long_query_seconds)
                else:
                    executor = InlineExecutor(spec, limits.stack)
            except BaseException:
                if tmp is not None:
                    tmp.cleanup()
                damage = checked.exception() if checked is not None else None
                if isinstance(damage, StoreError):  # the clearer reason
                    raise damage from None
                raise
            if checked is not None:
                try:
                    checked.result()
                except BaseException:
                    executor.close()
                    if tmp is not None:
                        tmp.cleanup()
                    raise
        except BaseException:
            if checked is not None:
                checked.cancel()
                wait([checked])
            if lease is not None:
                layout.let_go(lease)
            raise
        follows = link if not files and s.store != "remote" else None
        return Served(release, spec, executor, self._description(release), follows, lease, tmp)

    def _graph_for(self, path: Path) -> str:
        return str(self.iris.graph("data", path.name))

    def _spec(self, release: Release | None, files: list[Path]
              ) -> tuple[StoreSpec, tempfile.TemporaryDirectory | None]:
        s = self.settings
        if s.store == "remote":
            return StoreSpec("remote", query_url=s.remote_query_url,
                             store_url=s.remote_store_url, timeout=s.query_timeout), None
        dump = None
        if release and release.dumps_dir and (release.dumps_dir / QUADS_DUMP).is_file():
            dump = release.dumps_dir / QUADS_DUMP
        if s.store in ("memory", "oxigraph-memory"):
            pairs = ([(str(dump), None)] if dump else []) + [
                (str(f), self._graph_for(f)) for f in files]
            if dump and release and release.void_path:  # as the build's store holds it
                pairs.append((str(release.void_path), str(self.iris.description_graph)))
            if not pairs:
                raise StoreError("nothing to serve: run `uprgraph build` or pass --data FILE")
            return StoreSpec(s.store, files=tuple(pairs)), None
        if s.store != "oxigraph":
            raise StoreError(
                f"unknown store {s.store!r}: use oxigraph, oxigraph-memory, memory or remote")
        has_store = bool(release and release.store_path and release.store_path.is_dir())
        if not files:
            if not has_store:
                raise StoreError(
                    f"no release in {s.current_release}: run `uprgraph build` first "
                    "(or `uprgraph serve --data FILE` to serve RDF files)")
            return StoreSpec("oxigraph", path=str(release.store_path)), None  # type: ignore
        # Extra files: one store in a temporary directory with the release and the files.
        tmp = tempfile.TemporaryDirectory(prefix="uprgraph-serve-")
        store = ox.Store(tmp.name)
        if has_store:
            source = ox.Store.read_only(str(release.store_path))  # type: ignore[union-attr]
            store.bulk_extend(source.quads_for_pattern(None, None, None, None))
            del source
        from ..store.oxigraph import load_rdf_file

        for f in files:
            try:
                load_rdf_file(store, f, self._graph_for(f))
            except SyntaxError as exc:
                tmp.cleanup()
                raise StoreError(f"--data {f}: {exc}") from exc
        store.flush()
        del store
        return StoreSpec("oxigraph", path=tmp.name), tmp

    # -- the dataset description (VoID + DCAT) --------------------------------
    def _description(self, release: Release | None) -> ox.Store:
        """The release's ``void.ttl``, as the build's :func:`describe` wrote it; without one
        (``--data`` files only) the same function describes what is served."""
        g = ox.Store()
        if release and release.void_path:
            g.bulk_extend(ox.parse(path=str(release.void_path), format=ox.RdfFormat.TURTLE,
                                   base_iri=self.iris.base))
            return g
        built = release.built if release else datetime.now(UTC)
        listed = release.dumps if release else []
        dumps = [Dump(**{"compressed": d["file"].endswith(".gz"), **d}) for d in listed]
        graph = describe(self.settings, built=built.isoformat().replace("+00:00", "Z"),
                         triples=None, graphs=(), dumps=dumps)
        g.bulk_extend(ox.parse(graph.serialize(format="nt", encoding="utf-8"),
                               format=ox.RdfFormat.N_TRIPLES))
        return g

    def close(self) -> None:
        self._served.close()
