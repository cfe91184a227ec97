"""``uprgraph build``: sources -> validated, public, versioned release -> store.

The steps run in one direction and nothing is published until all of them
succeed: parse every input, validate with SHACL, drop restricted material,
write dumps, description and store into a staging directory, then swap it in.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD
from tqdm import tqdm

from . import inputs as inputs_mod
from . import validation_cache
from .config import Settings
from .forked import ChildFailed, Forked
from .inputs import Input
from .linking import cache_dir as linking_cache_dir
from .linking import link_quads
from .links.linksets import count_links, describe_linksets
from .links.report import coverage
from .release import layout
from .release.describe import VOID, describe, description_quads
from .release.dumps import write_dumps
from .store.oxigraph import OxigraphStore
from .validate import Report
from .working import RDFLIB_ROLES, WorkingSet

#: the scratch directory of a build's N-Quads, beside the releases
_NQUADS_PREFIX = ".nquads-"
#: the steps of a build, in order; each is timed (``BuildResult.timings``) and shown
#: (``validate`` runs in a process of its own beside link and filter and is its own
#: time; ``wait`` is what the build then waited for its verdict)
STAGES = ("parse", "validate", "link", "filter", "wait", "dump", "load", "publish")


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


def content_digest(nquads: Path) -> str:
    """Twelve hex digits of SHA-256 over the store's N-Quads. The in-memory store writes
    quads in the order they were added, which the build keeps the same for the same input
    (files in path order, rdflib graphs sorted: :func:`inputs.add_graph`)."""
    with nquads.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:12]


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

    try:
        work = WorkingSet(inputs_mod.collect(settings))
        bar = tqdm(work.items, desc="reading", unit="file", disable=not progress, leave=False)
        for item in bar:
            work.parse(item, settings.iris.base)
    except inputs_mod.InputError as exc:
        stages.close()
        raise BuildError(str(exc)) from exc
    items = list(work.items)
    lap("parse")
    log(f"read {len(items)} files, {sum(i.triples for i in items)} triples")

    work.keep_described_links()
    shapes, ontology = Graph(), Graph()
    for item in items:
        if item.role in RDFLIB_ROLES:
            (shapes if item.role == "shapes" else ontology).__iadd__(item.graph)
    data_items = [i for i in items if i.role not in RDFLIB_ROLES]
    log(f"validating {sum(i.triples for i in data_items)} triples against the shapes")
    timings["validate"] = 0.0  # the child's own time, once it reports (overlaps link)
    # the child validates the store as it is now; this process goes on to change it
    validation = Forked(lambda: validation_cache.validate_data(
        work, data_items, shapes, ontology,
        locate=partial(work.labels_of, project_dir=settings.project_dir),
        folder=validation_cache.cache_dir(settings), log=log), "validation")

    def conforming() -> Report:
        """The validation report (waiting for it); BuildError if the data does not conform."""
        report = validation.result()
        timings["validate"] = round(validation.seconds or 0.0, 3)
        if not report.conforms:
            stages.close()
            raise BuildError(f"the data does not conform to the shapes; nothing was "
                             f"published\n\n{report.render()}", report)
        return report

    staging = None
    try:
        staging, release_id, built, withheld, stored = _release(settings, work, items, lap,
                                                                conforming, log)
        report = conforming()
        release = layout.publish(settings, staging, release_id, store_quads=stored)
    except BaseException as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, Exception) and not isinstance(exc, BuildError | ChildFailed):
            conforming()  # a step that failed on data that does not conform: say why
        validation.cancel()
        raise
    lap("publish")
    return BuildResult(release=release, report=report, timings=timings, withheld=withheld)


def _release(
    settings: Settings, work: WorkingSet, items: list[Input], lap: Callable[[str], None],
    verdict: Callable[[], object], log: Callable[[str], None],
) -> tuple[Path, str, datetime, int, int]:
    """Link, filter, and write dumps, description and store into a staging directory
    (its path, the release id and time, the quads withheld, the quads in its store).

    ``verdict`` waits for validation (raising if the data does not conform) before
    anything is written: validation runs beside linking, and its memory is given
    back before the dumps and the store take theirs."""
    data_roles = tuple({i.role for i in items if i.role not in RDFLIB_ROLES})
    upr = settings.iris.upr
    restricted = work.subjects(upr.accessLevel, upr.Restricted, data_roles)
    # the linking step reads the recommendations from the working store, where each
    # input is a graph of its own; its links come back as quads of their own graph
    work.add_computed(link_quads(work.store, settings.iris, restricted, log, items,
                                 linking_cache_dir(settings)))
    lap("link")
    withheld = work.withhold(restricted)
    work.deduplicate()
    settings.releases_dir.mkdir(parents=True, exist_ok=True)
    for leftover in settings.releases_dir.glob(_NQUADS_PREFIX + "*"):  # of an interrupted build
        shutil.rmtree(leftover, ignore_errors=True)
    # one N-Quads serialisation, on disk rather than in memory: the release id, the
    # N-Quads dump and the on-disk store are all made from it
    with tempfile.TemporaryDirectory(prefix=_NQUADS_PREFIX, dir=settings.releases_dir) as tmp:
        nquads = Path(tmp) / "release.nq"
        work.store.dump(str(nquads), ox.RdfFormat.N_QUADS)
        lap("filter")
        verdict()
        lap("wait")
        built, release_id = _release_id(settings, content_digest(nquads))
        staging = layout.start(settings, release_id)
        try:
            stored = _write_release(settings, work, staging, nquads,
                                    (built, release_id, withheld), lap)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return staging, release_id, built, withheld, stored


def _write_release(
    settings: Settings, work: WorkingSet, staging: Path, nquads: Path,
    release: tuple[datetime, str, int], lap: Callable[[str], None],
) -> int:
    """Dumps, store, description, links report and manifest of a release into ``staging``;
    the number of quads its store holds, counted."""
    built, release_id, withheld = release
    triples = len(work.store)
    store = OxigraphStore.create(staging / layout.STORE)
    # the store's bulk load and the dumps run in Rust and zlib without Python's lock,
    # beside the counting queries here
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="release") as pool:
        loading = pool.submit(store.load_serialized, nquads, ox.RdfFormat.N_QUADS)
        dumping = pool.submit(write_dumps, staging / layout.DUMPS, work.store,
                              work.graph_names(), triples, _prefixes(settings), nquads)
        graph_counts = sorted(work.graph_counts().items())
        # the public data in memory answers the counting queries faster than the disk store
        public = OxigraphStore(work.store)
        linksets = count_links(public, settings.iris)
        links_report = coverage(public, settings.iris)
        dumps = dumping.result()
        lap("dump")
        loading.result()
    stamp = built.isoformat().replace("+00:00", "Z")
    description = describe(settings, built=stamp, triples=triples, graphs=graph_counts,
                           dumps=dumps)
    describe_linksets(description, settings, linksets)
    described = list(description_quads(description, settings.iris.description_graph))
    store.load(described)
    # counted once here; a server starting on this store compares with this count
    stored = len(store)
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
    return stored
