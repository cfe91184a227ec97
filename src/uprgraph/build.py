"""``uprgraph build``: sources -> validated, public, versioned release -> store.

The steps run in one direction and nothing is published until all of them
succeed: parse every input, validate with SHACL, drop restricted material,
write dumps, description and store into a staging directory, then swap it in.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD
from tqdm import tqdm

from . import inputs as inputs_mod
from . import validation_cache
from .config import Settings
from .counting import Counting
from .forked import ChildFailed, Forked
from .inputs import Input
from .linking import Arrivals, ReadAhead
from .linking import Prepared as PreparedLinks
from .linking import cache_dir as linking_cache_dir
from .linking import finish as finish_links
from .linking import prepare as prepare_links
from .links.linksets import describe_linksets
from .reading import Reading
from .release import layout, pieces
from .release.describe import VOID, describe, description_quads
from .release.dumps import Dump, Spans, write_dumps
from .release.pieces import Piece, Previous
from .release.storage import write_store
from .store.oxigraph import OxigraphStore
from .validate import Report
from .working import RDFLIB_ROLES, WorkingSet

#: the scratch directory of a build's graphs as N-Triples, beside the releases (and
#: that of the N-Quads of earlier versions, removed like it when a build was interrupted)
_SCRATCH_PREFIXES = (".pieces-", ".nquads-")
T = TypeVar("T")
#: the steps of a build, in order; each is timed (``BuildResult.timings``) and shown
#: (``parse`` ends once every input is read: linking reads what is in meanwhile, and goes
#: on in ``link``; ``validate`` runs in a process of its own beside link and filter, and
#: is its own time;
#: ``wait`` is what the build then waited for its verdict; the graphs' and links' counts,
#: the store and the dumps are made in threads started before the verdict, into a staging
#: directory removed if it fails, ``count``, ``dump`` and ``load`` being what the build
#: still waited for each after it)
STAGES = ("parse", "validate", "link", "filter", "wait", "count", "dump", "load", "publish")


class BuildError(RuntimeError):
    """The build stopped; nothing was published. ``report`` holds SHACL results if any."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    release: layout.Release
    report: Report
    timings: dict[str, float] = field(default_factory=dict)
    withheld: int = 0
    #: the release the store was made from (its unchanged graphs kept), None: loaded afresh
    store_from: str | None = None


def _prefixes(settings: Settings) -> dict[str, str]:
    iris = settings.iris
    return {
        "upr": str(iris.upr),
        "id": iris.base + "id/",
        "rdf": str(RDF),
        "rdfs": str(RDFS),
        "owl": str(OWL),
        "xsd": str(XSD),
        "skos": str(SKOS),
        "prov": str(PROV),
        "dcterms": str(DCTERMS),
        "dcat": str(DCAT),
        "foaf": str(FOAF),
        "void": str(VOID),
        "qb": "http://purl.org/linked-data/cube#",
        "sh": "http://www.w3.org/ns/shacl#",
        "sdg": "http://metadata.un.org/sdg/",
    }


def _release_id(settings: Settings, digest: str) -> tuple[datetime, str]:
    """The build time and a release id no earlier build has: the same data built twice
    within one second waits for the next second rather than replace the release."""
    while True:
        built = datetime.now(UTC).replace(microsecond=0)
        release_id = f"{built:%Y%m%dT%H%M%SZ}-{digest}"
        if not (settings.releases_dir / release_id).exists():
            return built, release_id
        time.sleep(1 - datetime.now(UTC).microsecond / 1e6)


def build(
    settings: Settings,
    *,
    progress: bool = False,
    log: Callable[[str], None] = lambda _msg: None,
) -> BuildResult:
    """Build and publish a release; raise :class:`BuildError` and publish nothing on failure.

    SHACL validation runs in a forked process beside linking and filtering; nothing
    is written into the release before it reports that the data conforms.
    """
    if progress:  # messages above the progress bar, not through it
        log = partial(tqdm.write, file=sys.stderr)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    steps = [s for s in STAGES if s != "validate"]  # validation is timed in its own process
    stages = tqdm(total=len(steps), desc="build: parse", unit="stage", disable=not progress,
                  bar_format="{desc:<20} {bar} {n_fmt}/{total_fmt} stages [{elapsed}]")

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now
        stages.update(1)
        following = steps.index(name) + 1
        if following < len(steps):
            stages.set_description(f"build: {steps[following]}")
        else:
            stages.close()

    # what the published release offers for reuse: read first, since files it was made
    # from are read again faster (inputs.load_into)
    reuse = _Reuse(settings)
    # what linking kept of each data file is read back while the files are parsed
    ahead = ReadAhead(linking_cache_dir(settings), settings.iris.base)
    validating: list[Forked[Report]] = []

    def validate() -> None:
        """Once every input is read: prune the links files, then fork the validation (it
        validates the store as it is now; this process goes on to change it). Linking
        calls this as soon as the last input is in, whatever it still has to read: the
        validation is the longest step of a full build."""
        if validating:
            return
        reading.wait()
        ahead.settle()  # no thread of this process is left halfway through at the fork
        reuse.settle()
        lap("parse")
        log(f"read {len(work.items)} files, {sum(i.triples for i in work.items)} triples")
        work.keep_described_links()
        shapes, ontology = work.shapes_and_ontology()
        data_items = [i for i in work.items if i.role not in RDFLIB_ROLES]
        log(f"validating {sum(i.triples for i in data_items)} triples against the shapes")
        timings["validate"] = 0.0  # the child's own time, once it reports (overlaps link)
        validating.append(Forked(lambda: validation_cache.validate_data(
            work, data_items, shapes, ontology,
            locate=partial(work.labels_of, project_dir=settings.project_dir),
            folder=validation_cache.cache_dir(settings), log=log,
            divide=str(settings.iris.upr.Recommendation)), "validation", collect=True))

    try:
        work = WorkingSet(inputs_mod.collect(settings),
                          reuse.previous.sources if reuse.previous is not None else None)
        with tqdm(total=len(work.items), desc="reading", unit="file", disable=not progress,
                  leave=False) as bar:
            reading = work.start_reading(settings.iris.base, done=lambda _item: bar.update(1),
                                         hashed=ahead.want)
            # linking reads the recommendations meanwhile: an unchanged file from what it
            # kept of it, a new one as soon as it is in the store
            try:
                prepared = prepare_links(work.store, settings.iris, work.items, ahead.cache,
                                         arrivals=_arrivals(work, reading, ahead, validate))
                validate()
            finally:
                reading.join()
    except BaseException as exc:
        if validating:  # forked before linking failed
            validating[0].cancel()
        if isinstance(exc, inputs_mod.InputError):
            stages.close()
            raise BuildError(str(exc)) from exc
        raise
    finally:
        ahead.settle()
        reuse.settle()
    items = list(work.items)
    validation = validating[0]

    def conforming(wait: bool = True) -> Report | None:
        """The validation report (waiting for it; ``wait`` False: None if it is not in
        yet); BuildError if the data does not conform."""
        if not wait and not validation.done():
            return None
        report = validation.result()
        timings["validate"] = round(validation.seconds or 0.0, 3)
        if not report.conforms:
            stages.close()
            raise BuildError(f"the data does not conform to the shapes; nothing was "
                             f"published\n\n{report.render()}", report)
        return report

    staging = None
    try:
        staging, release_id, built, withheld, (stored, store_from) = _release(
            settings, work, items, lap, conforming, log, reuse, prepared)
        report = conforming()
        assert report is not None
        release = layout.publish(settings, staging, release_id, store_quads=stored)
    except BaseException as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, Exception) and not isinstance(exc, BuildError | ChildFailed):
            conforming()  # a step that failed on data that does not conform: say why
        validation.cancel()
        raise
    lap("publish")
    return BuildResult(release=release, report=report, timings=timings, withheld=withheld,
                       store_from=store_from)


def _release(
    settings: Settings, work: WorkingSet, items: list[Input], lap: Callable[[str], None],
    verdict: Callable[[bool], object], log: Callable[[str], None], reuse: _Reuse,
    prepared: PreparedLinks,
) -> tuple[Path, str, datetime, int, tuple[int, str | None]]:
    """Link, filter, and write dumps, description and store into a staging directory
    (its path, the release id and time, the quads withheld, the quads in its store and
    the release that store was made from).

    Validation runs beside linking; the store and the dumps are then written while
    ``verdict`` waits for it, on the core linking leaves idle, into a staging directory
    (and a scratch folder) removed if it raises (the data does not conform): nothing is
    published before the verdict (``verdict(False)`` raises only if it is already in,
    and returns at once otherwise). The store is loaded in parts
    (:data:`.storage.LOAD_QUADS`), so that its load and the validation process together
    hold less than the build held before."""
    data_roles = tuple({i.role for i in items if i.role not in RDFLIB_ROLES})
    upr = settings.iris.upr
    restricted = work.subjects(upr.accessLevel, upr.Restricted, data_roles)
    # the links of what linking read while the inputs were parsed (minus the same
    # restricted recommendations), as quads of their own graph
    work.add_computed(finish_links(prepared, settings.iris, log))
    lap("link")
    withheld = work.withhold(restricted)
    work.deduplicate()
    settings.releases_dir.mkdir(parents=True, exist_ok=True)
    for prefix in _SCRATCH_PREFIXES:  # of an interrupted build
        for leftover in settings.releases_dir.glob(prefix + "*"):
            shutil.rmtree(leftover, ignore_errors=True)
    try:
        return _write(settings, work, verdict, withheld, lap, reuse)
    except BaseException:
        # after the threads writing into it have ended (the pool's exit waits for them)
        for leftover in settings.releases_dir.glob(layout.BUILDING_PREFIX + "*"):
            shutil.rmtree(leftover, ignore_errors=True)
        raise


def _write(settings: Settings, work: WorkingSet, verdict: Callable[[bool], object], withheld: int,
           lap: Callable[[str], None], reuse: _Reuse,
           ) -> tuple[Path, str, datetime, int, tuple[int, str | None]]:
    """The release's pieces, counts, dumps and store, written into a staging directory."""
    # each graph serialised once, on disk rather than in memory: the release id, the
    # dumps and the on-disk store are all made from these pieces
    with (tempfile.TemporaryDirectory(prefix=_SCRATCH_PREFIXES[0],
                                      dir=settings.releases_dir) as tmp,
          ThreadPoolExecutor(max_workers=2, thread_name_prefix="release") as pool,
          ThreadPoolExecutor(max_workers=3, thread_name_prefix="count") as counters):
        scratch = Path(tmp)
        # the counts only read the working store: they run while its graphs are written
        # out and validation may still be going on, on the core the build would otherwise
        # leave idle waiting for it
        counting = Counting(settings, work, counters)
        graphs = pieces.write_pieces(work.store, work.graph_names(), scratch, work.sources(),
                                     reuse.previous)
        lap("filter")
        writing = _Writing(settings, pool, scratch, reuse)
        counting.count_links(graphs, writing.previous)
        verdict(False)  # a verdict already in that the data does not conform: write nothing
        built, release_id = _release_id(settings, pieces.release_digest(graphs))
        staging = layout.start(settings, release_id)
        # the store's load and the dumps run in Rust and zlib without Python's lock; while
        # validation runs, one thread writes (the store, then the dumps): more would take
        # the validation's core, and the build waits for it
        gate = _Gate()
        writing.loading = pool.submit(write_store, staging / layout.STORE, graphs,
                                      writing.previous, str(settings.iris.description_graph),
                                      scratch / "store.nq")
        writing.loading.add_done_callback(lambda _done: gate.open())
        writing.dumping = pool.submit(gate.then, write_dumps, scratch / layout.DUMPS,
                                      work.store, graphs, counting.triples, writing.prefixes,
                                      writing.previous)
        try:
            verdict(True)
        except BaseException:
            gate.open(run=False)
            _close_loaded(writing.loading)
            raise
        # the dumps, if they have not started, beside what is left of the store's load,
        # on the cores validation gave back
        gate.open(workers=2)
        lap("wait")
        stored = _write_release(settings, work, staging, graphs,
                                (built, release_id, withheld), counting, writing, lap)
    return staging, release_id, built, withheld, stored


def _close_loaded(loading: Future[tuple[OxigraphStore, bool]]) -> None:
    """Close the store being written, once its load has ended (the build failed): an open
    store goes on writing into the staging directory, which then cannot be removed whole."""
    try:
        store, _derived = loading.result()
    except Exception:  # the build is failing already, for the reason it raises
        return
    store.close()


def _arrivals(work: WorkingSet, reading: Reading, ahead: ReadAhead,
              validate: Callable[[], None]) -> Arrivals:
    """How linking waits for the inputs ``reading`` is reading into ``work``;
    ``validate()`` once every input is in."""
    def digested(item: Input) -> str | None:
        reading.wait_digested(item)
        return ahead.announced.get(str(item.graph_iri))

    def ready(item: Input) -> None:
        if item.role == "links":  # links files keep what the data describes: all must be in
            validate()
        else:
            reading.wait_for(item)
        if reading.finished():
            validate()

    return Arrivals(digested, ready)


class _Gate:
    """Holds a step back until it is opened (``run`` False: the step is skipped), and
    says how many threads it may take (``workers``)."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._run = True
        self._workers = 1

    def open(self, run: bool = True, workers: int = 1) -> None:
        if not self._open.is_set():
            self._run, self._workers = run, workers
            self._open.set()

    def then(self, fn: Callable[..., T], *args: object) -> T | None:
        """``fn(*args, workers=...)`` once the gate is open, None if it was opened not
        to run."""
        self._open.wait()
        return fn(*args, workers=self._workers) if self._run else None


class _Reuse:
    """The prefixes and builder of this build, and what it may reuse of the published
    release (``previous``, None: nothing)."""

    def __init__(self, settings: Settings) -> None:
        self.prefixes = _prefixes(settings)
        self.builder = pieces.builder_key(settings.iris.base, self.prefixes)
        self.previous = _previous(settings, self.builder)
        # its dumps and store checked against their checksums while the inputs are parsed
        self._checking = threading.Thread(target=self.previous.check_all, name="check",
                                          daemon=True) if self.previous is not None else None
        if self._checking is not None:
            self._checking.start()

    def settle(self) -> None:
        """Wait for the checks (before the build forks: see :class:`.linking.ReadAhead`)."""
        if self._checking is not None:
            self._checking.join()


@dataclass
class _Writing:
    """What writing a release's files shares: its threads, scratch folder, prefixes, and
    the published release it may reuse (``dumping``: the dumps being written)."""

    settings: Settings
    pool: ThreadPoolExecutor
    scratch: Path
    reuse: _Reuse
    dumping: Future[tuple[list[Dump], Spans] | None] | None = None
    loading: Future[tuple[OxigraphStore, bool]] | None = None

    @property
    def prefixes(self) -> dict[str, str]:
        return self.reuse.prefixes

    @property
    def builder(self) -> str:
        return self.reuse.builder

    @property
    def previous(self) -> Previous | None:
        return self.reuse.previous


def _previous(settings: Settings, builder: str) -> Previous | None:
    """What this build may reuse of the published release (None: nothing)."""
    try:
        published = layout.current(settings)
    except layout.ReleaseError:
        return None
    if (published.manifest.get("version") != settings.version
            or published.manifest.get("base_iri") != settings.iris.base):
        return None
    return pieces.previous(published.path, builder)


def _write_release(
    settings: Settings, work: WorkingSet, staging: Path, graphs: list[Piece],
    release: tuple[datetime, str, int], counting: Counting, writing: _Writing,
    lap: Callable[[str], None],
) -> tuple[int, str | None]:
    """Dumps, store, description, links report and manifest of a release into ``staging``;
    the number of quads its store holds, counted, and the release that store was made
    from (None: loaded afresh).

    Graphs unchanged since the published release are taken from it: their pieces of
    its dumps and, through hard links, its store's files."""
    built, release_id, withheld = release
    triples = counting.triples
    previous = writing.previous
    counts = counting.result()
    lap("count")
    graph_counts, links_report = counts.graphs, counts.links_report
    assert writing.dumping is not None
    written = writing.dumping.result()
    assert written is not None  # skipped only once the build failed
    dumps, spans = written
    for dump in dumps:  # written into the scratch folder, on the same file system
        os.replace(writing.scratch / layout.DUMPS / dump.file, staging / layout.DUMPS / dump.file)
    pieces.record(staging, writing.builder, graphs, spans, counts.links)
    lap("dump")
    assert writing.loading is not None
    store, derived = writing.loading.result()
    stamp = built.isoformat().replace("+00:00", "Z")
    try:
        description = describe(settings, built=stamp, triples=triples, graphs=graph_counts,
                               dumps=dumps)
        describe_linksets(description, settings, links_report.linksets)
        described = list(description_quads(description, settings.iris.description_graph))
        store.load(described)
        # counted once here; a server starting on this store compares with this count
        stored = len(store)
    finally:  # closed before the staging directory may be removed: it writes in there
        store.close()
    if stored != triples + len(described):
        raise BuildError(f"store holds {stored} quads, expected {triples + len(described)}")
    lap("load")
    description.serialize(staging / layout.DESCRIPTION, format="turtle")
    (staging / layout.LINKS_REPORT).write_text(
        json.dumps(links_report.as_dict(), indent=2) + "\n", encoding="utf-8"
    )
    manifest = {
        "id": release_id,
        "version": settings.version,
        "built": stamp,
        "base_iri": settings.iris.base,
        "triples": triples,
        # what the store holds: the data and, in a graph of its own, its description
        "store_quads": stored,
        "withheld": withheld,
        "graphs": [{"iri": g, "triples": n} for g, n in graph_counts],
        "dumps": [d.as_dict() for d in dumps],
        "inputs": [
            {"file": i.label(settings.project_dir), "graph": str(i.graph_iri),
             "role": i.role, "triples": i.triples}
            for i in work.items
        ],
    }
    (staging / layout.MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return stored, (previous.path.name if derived and previous is not None else None)
