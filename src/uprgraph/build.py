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
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node
from tqdm import tqdm

from . import inputs as inputs_mod
from .config import Settings
from .inputs import Input
from .linking import data_store, link_quads
from .links.linksets import count_links, describe_linksets
from .links.report import coverage
from .release import layout
from .release.describe import VOID, describe, description_quads
from .release.dumps import write_dumps
from .store.oxigraph import OxigraphStore
from .terms import to_oxigraph
from .validate import Report, validate_ntriples

#: the steps of a build, in order; each is timed (``BuildResult.timings``) and shown
STAGES = ("parse", "validate", "link", "filter", "dump", "load", "publish")


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


def restricted_nodes(graph: Graph, settings: Settings) -> set[Node]:
    """Everything marked ``upr:accessLevel upr:Restricted``: never published."""
    upr = settings.iris.upr
    return set(graph.subjects(upr.accessLevel, upr.Restricted))


def _is_withheld(term: Node, restricted: set[Node], prefixes: tuple[str, ...]) -> bool:
    if term in restricted:
        return True
    return bool(prefixes) and isinstance(term, URIRef) and str(term).startswith(prefixes)


def public_quads(
    items: list[Input], restricted: set[Node], computed: Iterable[ox.Quad] = ()
) -> tuple[list[ox.Quad], int]:
    """Quads of every input minus restricted material; a triple stays in its first graph only.
    ``computed``: quads computed from the public data (the links), added as they are."""
    sub_prefixes = tuple(f"{r}{sep}" for r in restricted if isinstance(r, URIRef) for sep in "/#")
    seen: set[tuple[Node, Node, Node]] = set()
    quads: list[ox.Quad] = []
    withheld = 0
    for item in items:
        graph_name = ox.NamedNode(str(item.graph_iri))
        for s, p, o in item.graph:
            if any(_is_withheld(t, restricted, sub_prefixes) for t in (s, o)):
                withheld += 1
                continue
            if (s, p, o) in seen:
                continue
            seen.add((s, p, o))
            quads.append(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph_name))
    quads.extend(computed)
    quads.sort(key=str)
    return quads, withheld


def _keep_described_links(items: list[Input]) -> None:
    """Links files may map every state in the world; keep links of what the data describes."""
    described = {s for i in items if i.role == "data" for s in i.graph.subjects(unique=True)}
    for item in items:
        if item.role == "links":
            kept = Graph()
            for triple in item.graph:
                if triple[0] in described:
                    kept.add(triple)
            item.graph = kept


def _ntriples(item: Input) -> str:
    """An input's triples as N-Triples for the validator: an N-Triples file as it is on
    disk (no rdflib serialisation of what imports wrote), other files serialised."""
    if item.role == "data" and item.path.suffix == ".nt":
        text = item.path.read_text(encoding="utf-8")
        if "_:" not in text:  # blank nodes were relabelled when the file was parsed
            return text if text.endswith("\n") else text + "\n"
    return item.graph.serialize(format="nt")


def _locator(items: list[Input], project_dir: Path) -> Callable[[Node], Iterator[str]]:
    def locate(node: Node) -> Iterator[str]:
        for item in items:
            if (node, None, None) in item.graph:
                yield item.label(project_dir)

    return locate


def build(
    settings: Settings,
    *,
    progress: bool = False,
    log: Callable[[str], None] = lambda _msg: None,
) -> BuildResult:
    """Build and publish a release; raise :class:`BuildError` and publish nothing on failure."""
    if progress:  # messages above the progress bar, not through it
        log = partial(tqdm.write, file=sys.stderr)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    stages = tqdm(total=len(STAGES), desc="build: parse", unit="stage", disable=not progress,
                  bar_format="{desc:<20} {bar} {n_fmt}/{total_fmt} stages [{elapsed}]")

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now
        stages.update(1)
        following = STAGES.index(name) + 1
        if following < len(STAGES):
            stages.set_description(f"build: {STAGES[following]}")
        else:
            stages.close()

    try:
        items = inputs_mod.collect(settings)
        bar = tqdm(items, desc="reading", unit="file", disable=not progress, leave=False)
        for item in bar:
            inputs_mod.parse(item, settings.iris.base)
    except inputs_mod.InputError as exc:
        stages.close()
        raise BuildError(str(exc)) from exc
    lap("parse")
    log(f"read {len(items)} files, {sum(len(i.graph) for i in items)} triples")

    _keep_described_links(items)
    shapes, ontology = Graph(), Graph()
    for item in items:
        if item.role in ("shapes", "ontology"):
            (shapes if item.role == "shapes" else ontology).__iadd__(item.graph)
    data_items = [i for i in items if i.role not in ("shapes", "ontology")]
    log(f"validating {sum(len(i.graph) for i in data_items)} triples against the shapes")
    ntriples = [_ntriples(i) for i in data_items]
    report = validate_ntriples("".join(ntriples), shapes, ontology,
                               locate=_locator(items, settings.project_dir))
    lap("validate")
    if not report.conforms:
        stages.close()
        raise BuildError(
            f"the data does not conform to the shapes; nothing was published\n\n{report.render()}",
            report,
        )

    restricted = set().union(*(restricted_nodes(i.graph, settings) for i in data_items))
    # the linking step reads every data file from a store, each in a graph of its own
    data = data_store(zip((i.graph_iri for i in data_items), ntriples, strict=True))
    linked = link_quads(data, settings.iris, restricted, log)
    del ntriples, data
    lap("link")
    quads, withheld = public_quads(items, restricted, linked)
    del ontology, shapes
    lap("filter")

    digest = hashlib.sha256("\n".join(map(str, quads)).encode()).hexdigest()[:12]
    built = datetime.now(UTC).replace(microsecond=0)
    release_id = f"{built:%Y%m%dT%H%M%SZ}-{digest}"
    staging = layout.start(settings, release_id)
    try:
        dumps = write_dumps(staging / layout.DUMPS, quads, _prefixes(settings))
        lap("dump")
        store = OxigraphStore.create(staging / layout.STORE)
        store.load(quads)
        stored = len(store)
        graph_counts = sorted(Counter(q.graph_name.value for q in quads).items())
        linksets = count_links(store, settings.iris)
        links_report = coverage(store, settings.iris)
        if stored != len(quads):
            raise BuildError(f"store holds {stored} quads, expected {len(quads)}")
        description = describe(
            settings,
            built=built.isoformat().replace("+00:00", "Z"),
            triples=len(quads),
            graphs=graph_counts,
            dumps=dumps,
        )
        describe_linksets(description, settings, linksets)
        described = list(description_quads(description, settings.iris.description_graph))
        store.load(described)
        store.close()
        lap("load")
        description.serialize(staging / layout.DESCRIPTION, format="turtle")
        (staging / layout.LINKS_REPORT).write_text(
            json.dumps(links_report.as_dict(), indent=2) + "\n", encoding="utf-8"
        )
        manifest = {
            "id": release_id,
            "version": settings.version,
            "built": built.isoformat().replace("+00:00", "Z"),
            "base_iri": settings.iris.base,
            "triples": len(quads),
            # what the store holds: the data and, in a graph of its own, its description
            "store_quads": len(quads) + len(described),
            "withheld": withheld,
            "graphs": [{"iri": g, "triples": n} for g, n in graph_counts],
            "dumps": [d.as_dict() for d in dumps],
            "inputs": [
                {"file": i.label(settings.project_dir), "graph": str(i.graph_iri),
                 "role": i.role, "triples": len(i.graph)}
                for i in items
            ],
        }
        (staging / layout.MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        release = layout.publish(settings, staging, release_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    lap("publish")
    return BuildResult(release=release, report=report, timings=timings, withheld=withheld)
