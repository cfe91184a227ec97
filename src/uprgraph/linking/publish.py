"""Computed links -> their own RDF graph, each with its score and the run that made it.

Nothing here is what a source stated: a recurrence, a source match and a
suggestion are each a node of their own class (``upr:RecurrenceLink``,
``upr:SourceMatch``, ``upr:Suggestion``) with ``upr:score`` and
``prov:wasGeneratedBy`` a ``upr:LinkingActivity`` that names the method, its
version and its parameters, and ``prov:used`` the imports it read. No
timestamps: the same data gives the same graph.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import PROV, XSD

from ..iris import IRIs
from .matching import ReviewMatching
from .recurrence import Recurrence
from .suggest import Suggestion


@dataclass(frozen=True)
class Run:
    """One linking method as run on one build's data."""

    method: str
    version: str
    label: str
    parameters: dict
    used: tuple[str, ...]

    def key(self) -> str:
        return json.dumps([self.method, self.version, self.parameters, self.used],
                          sort_keys=True)


class Publisher:
    def __init__(self, iris: IRIs) -> None:
        self.iris = iris
        self.upr = iris.upr
        self.graph = Graph()

    def run(self, run: Run) -> URIRef:
        iri = self.iris.linking_run(run.method, run.key())
        add, upr = self.graph.add, self.upr
        add((iri, RDF.type, upr.LinkingActivity))
        add((iri, RDFS.label, Literal(run.label, lang="en")))
        add((iri, upr.method, Literal(run.method)))
        add((iri, upr.methodVersion, Literal(run.version)))
        add((iri, upr.parameters, Literal(json.dumps(run.parameters, sort_keys=True))))
        for used in run.used:
            add((iri, PROV.used, URIRef(used)))
        return iri

    def _link(self, node: URIRef, cls: URIRef, score: float, activity: URIRef) -> None:
        add = self.graph.add
        add((node, RDF.type, cls))
        # the lexical form Oxigraph keeps (0.75, 1), so the dumps and the store agree
        lexical = f"{score:.4f}".rstrip("0").rstrip(".")
        add((node, self.upr.score, Literal(lexical, datatype=XSD.decimal)))
        add((node, PROV.wasGeneratedBy, activity))

    def recurrences(self, links: list[Recurrence], activity: URIRef) -> None:
        upr = self.upr
        for link in links:
            node = self.iris.link("recurrence", link.later, link.earlier)
            self._link(node, upr.RecurrenceLink, link.score, activity)
            self.graph.add((node, upr.laterRecommendation, URIRef(link.later)))
            self.graph.add((node, upr.earlierRecommendation, URIRef(link.earlier)))

    def matches(self, reviews: list[ReviewMatching], activity: URIRef) -> None:
        upr = self.upr
        for review in reviews:
            for match in review.matches:
                node = self.iris.link("source-match", match.row, match.recommendation)
                self._link(node, upr.SourceMatch, match.score, activity)
                self.graph.add((node, upr.rowRecommendation, URIRef(match.row)))
                self.graph.add((node, upr.matrixRecommendation, URIRef(match.recommendation)))

    def suggestions(self, suggestions: list[Suggestion], activities: dict[str, URIRef]) -> None:
        upr = self.upr
        for s in suggestions:
            node = self.iris.link("suggestion", s.recommendation, s.concept)
            self._link(node, upr.Suggestion, s.score, activities[s.method])
            self.graph.add((node, upr.suggestedFor, URIRef(s.recommendation)))
            self.graph.add((node, upr.suggestedConcept, URIRef(s.concept)))
