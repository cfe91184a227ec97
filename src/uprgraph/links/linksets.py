"""VoID linksets: for each outside dataset, which predicate links to it and how often.

``count_links`` counts, in a release's store, the triples whose subject is one of
ours (under the base) and whose object lies in a target dataset's namespace;
``describe_linksets`` states them as ``void:Linkset`` nodes of the dataset
description. Both are pure: the build calls them after loading the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, XSD, Namespace

from ..config import Settings
from ..iris import GEONAMES, SDG, UNDOCS, WIKIDATA, IRIs
from ..store.base import Store
from .sdg import SDG_SCHEME

VOID = Namespace("http://rdfs.org/ns/void#")


@dataclass(frozen=True)
class Target:
    """An outside dataset that the data links to."""

    name: str
    title: str
    dataset: URIRef
    namespace: str

    def default_predicates(self, iris: IRIs) -> tuple[URIRef, ...]:
        """Predicates reported even when no link uses them (count 0)."""
        return {
            "un-sdg-kos": (iris.upr.sdg,),
            "wikidata": (OWL.sameAs,),
            "geonames": (OWL.sameAs,),
            "undocs": (FOAF.page,),
        }.get(self.name, ())


#: the outside datasets, in the order they are reported
TARGETS: tuple[Target, ...] = (
    Target("un-sdg-kos", "UN Sustainable Development Goals knowledge organisation system",
           SDG_SCHEME, str(SDG)),
    Target("wikidata", "Wikidata", URIRef("http://www.wikidata.org/"), str(WIKIDATA)),
    Target("geonames", "GeoNames", URIRef(GEONAMES), GEONAMES),
    Target("undocs", "UN Official Document System (undocs.org)", URIRef(UNDOCS), UNDOCS),
)
_BY_NAME = {t.name: t for t in TARGETS}


@dataclass(frozen=True)
class Linkset:
    target: str
    dataset: URIRef
    predicate: URIRef
    triples: int

    def as_dict(self) -> dict:
        return {"target": self.target, "dataset": str(self.dataset),
                "predicate": str(self.predicate), "triples": self.triples}


def local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _query(iris: IRIs, graph: str | None = None) -> str:
    case = '""'
    for target in reversed(TARGETS):
        case = f'IF(STRSTARTS(?os, "{target.namespace}"), "{target.name}", {case})'
    triples = "?s ?p ?o ." if graph is None else f"GRAPH <{graph}> {{ ?s ?p ?o }}"
    return f"""
        SELECT ?target ?p (COUNT(*) AS ?n) WHERE {{
          {triples}
          FILTER(isIRI(?o) && isIRI(?s) && STRSTARTS(STR(?s), "{iris.base}")
                 && !STRSTARTS(STR(?s), "{iris.dataset()}"))  # not the description's own
          BIND(STR(?o) AS ?os)
          BIND({case} AS ?target)
          FILTER(?target != "")
        }} GROUP BY ?target ?p"""


#: (target name, predicate IRI) -> links
Counts = dict[tuple[str, str], int]


def link_counts(store: Store, iris: IRIs, graph: str | None = None) -> Counts:
    """The links from our resources to each target, per predicate, in ``graph`` (None: in
    the union of the graphs)."""
    counts: Counts = {}
    for row in store.query(_query(iris, graph)).rows():
        counts[(row["target"].value, row["p"].value)] = int(row["n"].value)  # type: ignore[union-attr]
    return counts


def linksets(counts: Counts, iris: IRIs) -> list[Linkset]:
    """The linksets of ``counts``, with every default predicate, in reporting order."""
    counts = dict(counts)
    for target in TARGETS:
        for predicate in target.default_predicates(iris):
            counts.setdefault((target.name, str(predicate)), 0)
    order = {t.name: i for i, t in enumerate(TARGETS)}
    return [
        Linkset(name, _BY_NAME[name].dataset, URIRef(predicate), n)
        for (name, predicate), n in sorted(counts.items(), key=lambda kv: (order[kv[0][0]], kv[0]))
    ]


def count_links(store: Store, iris: IRIs) -> list[Linkset]:
    """The links from our resources to each target dataset, per predicate."""
    return linksets(link_counts(store, iris), iris)


def describe_linksets(graph: Graph, settings: Settings, linksets: list[Linkset]) -> Graph:
    """Add each linkset (and the target datasets) to the dataset description ``graph``."""
    iris = settings.iris
    dataset = iris.dataset()
    graph.bind("void", VOID)
    for linkset in linksets:
        target = _BY_NAME[linkset.target]
        name = local_name(str(linkset.predicate))
        iri = iris.linkset(target.name, name)
        graph.add((dataset, VOID.subset, iri))
        graph.add((iri, RDF.type, VOID.Linkset))
        graph.add((iri, VOID.subjectsTarget, dataset))
        graph.add((iri, VOID.objectsTarget, target.dataset))
        graph.add((iri, VOID.target, dataset))
        graph.add((iri, VOID.target, target.dataset))
        graph.add((iri, VOID.linkPredicate, linkset.predicate))
        graph.add((iri, VOID.triples, Literal(linkset.triples, datatype=XSD.integer)))
        graph.add((iri, DCTERMS.title, Literal(f"Links to {target.title} ({name})", lang="en")))
        graph.add((target.dataset, RDF.type, VOID.Dataset))
        graph.add((target.dataset, DCTERMS.title, Literal(target.title, lang="en")))
        graph.add((target.dataset, VOID.uriSpace, Literal(target.namespace)))
    return graph
