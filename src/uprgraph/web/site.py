"""What the web tier serves: the release (or extra files), its description, the executor.

One :class:`Site` per application, attached in :func:`uprgraph.web.create_app`
and reached from views through ``current_app``. Views read the store only
through ``site.run`` (a worker with a timeout); they never rebuild anything.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from ..config import Settings
from ..formats import for_path
from ..iris import IRIs
from ..release import layout
from ..release.describe import describe
from ..release.dumps import QUADS_DUMP, Dump
from ..store.base import StoreError
from .executor import InlineExecutor, Job, QueryPool, StoreSpec

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


class Site:
    """Settings, release, store executor and the dataset description of one app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.iris = IRIs(settings.base_iri)
        self.prefixes = {**NS, "upr": str(self.iris.upr)}
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.release = find_release(settings)
        files = [settings.path(f) for f in settings.data_files]
        for f in files:
            if not f.is_file():
                raise StoreError(f"--data {f}: no such file")
            for_path(f)
        if files:
            self.release = files_release(files, self.release)
        self.spec = self._spec(files)
        if settings.query_workers > 0:
            self.executor: QueryPool | InlineExecutor = QueryPool(
                self.spec, settings.query_workers, settings.query_timeout)
        else:
            self.executor = InlineExecutor(self.spec)
        self.description = self._description()

    # -- the store -----------------------------------------------------------
    def _graph_for(self, path: Path) -> str:
        return str(self.iris.graph("data", path.name))

    def _spec(self, files: list[Path]) -> StoreSpec:
        s = self.settings
        release = self.release
        if s.store == "remote":
            return StoreSpec("remote", query_url=s.remote_query_url,
                             store_url=s.remote_store_url, timeout=s.query_timeout)
        dump = None
        if release and release.dumps_dir and (release.dumps_dir / QUADS_DUMP).is_file():
            dump = release.dumps_dir / QUADS_DUMP
        if s.store == "memory":
            pairs = ([(str(dump), None)] if dump else []) + [
                (str(f), self._graph_for(f)) for f in files]
            if dump and release and release.void_path:  # as the build's store holds it
                pairs.append((str(release.void_path), str(self.iris.description_graph)))
            if not pairs:
                raise StoreError("nothing to serve: run `uprgraph build` or pass --data FILE")
            return StoreSpec("memory", files=tuple(pairs))
        if s.store != "oxigraph":
            raise StoreError(f"unknown store {s.store!r}: use oxigraph, memory or remote")
        has_store = bool(release and release.store_path and release.store_path.is_dir())
        if not files:
            if not has_store:
                raise StoreError(
                    f"no release in {s.current_release}: run `uprgraph build` first "
                    "(or `uprgraph serve --data FILE` to serve RDF files)")
            return StoreSpec("oxigraph", path=str(release.store_path))  # type: ignore[union-attr]
        # Extra files: one store in a temporary directory with the release and the files.
        self._tmp = tempfile.TemporaryDirectory(prefix="uprgraph-serve-")
        store = ox.Store(self._tmp.name)
        if has_store:
            source = ox.Store.read_only(str(release.store_path))  # type: ignore[union-attr]
            store.bulk_extend(source.quads_for_pattern(None, None, None, None))
            del source
        from ..store.oxigraph import load_rdf_file

        for f in files:
            try:
                load_rdf_file(store, f, self._graph_for(f))
            except SyntaxError as exc:
                raise StoreError(f"--data {f}: {exc}") from exc
        store.flush()
        del store
        return StoreSpec("oxigraph", path=self._tmp.name)

    def run(self, query: str, fmt: str, **kw: object):
        """Run a query through the executor (timeout, worker process); returns an Answer."""
        prefixes = tuple(self.prefixes.items()) if fmt in ("turtle", "trig") else ()
        # relative IRIs (``PREFIX upr: <def/upr#>``, as in queries/) resolve against the
        # data's base; on the query's first line, so error line numbers stay right
        query = f"BASE <{self.iris.base}> {query}"
        return self.executor.run(Job(query, fmt, prefixes=prefixes, **kw))  # type: ignore[arg-type]

    # -- the dataset description (VoID + DCAT) --------------------------------
    def _description(self) -> ox.Store:
        """The release's ``void.ttl``, as the build's :func:`describe` wrote it; without one
        (``--data`` files only) the same function describes what is served."""
        g = ox.Store()
        if self.release and self.release.void_path:
            g.bulk_extend(ox.parse(path=str(self.release.void_path), format=ox.RdfFormat.TURTLE,
                                   base_iri=self.iris.base))
            return g
        built = self.release.built if self.release else datetime.now(UTC)
        listed = self.release.dumps if self.release else []
        dumps = [Dump(**{"compressed": d["file"].endswith(".gz"), **d}) for d in listed]
        graph = describe(self.settings, built=built.isoformat().replace("+00:00", "Z"),
                         triples=None, graphs=(), dumps=dumps)
        g.bulk_extend(ox.parse(graph.serialize(format="nt", encoding="utf-8"),
                               format=ox.RdfFormat.N_TRIPLES))
        return g

    def close(self) -> None:
        self.executor.close()
        if self._tmp is not None:
            self._tmp.cleanup()
