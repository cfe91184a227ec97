"""Computed links -> their own RDF graph, each with its score and the run that made it.

Nothing here is what a source stated: a recurrence and a source match are
each a node of their own class (``upr:RecurrenceLink``, ``upr:SourceMatch``)
with ``upr:score`` and ``prov:wasGeneratedBy`` a ``upr:LinkingActivity`` that
names the method, its version and its parameters (once per run), and
``prov:used`` the imports it read. Suggestions are far more numerous (one or
two per UPR Info row) and share their concept, score and run: one
``upr:Suggestion`` node per method, concept and score is ``upr:suggestedFor``
each recommendation it is suggested for. No timestamps: the same data gives
the same graph.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS
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


_RDF_TYPE = ox.NamedNode(str(RDF.type))
_LABEL = ox.NamedNode(str(RDFS.label))
_USED = ox.NamedNode(str(PROV.used))
_GENERATED_BY = ox.NamedNode(str(PROV.wasGeneratedBy))
_DECIMAL = ox.NamedNode(str(XSD.decimal))


class Publisher:
    """Writes the links as Oxigraph quads of one named graph: a few hundred thousand of
    them are made in a fraction of the time an rdflib graph takes to add them."""

    def __init__(self, iris: IRIs, graph: ox.NamedNode) -> None:
        self.iris = iris
        self.graph = graph
        self.quads: list[ox.Quad] = []
        self._nodes: dict[str, ox.NamedNode] = {}
        self._scores: dict[float, ox.Literal] = {}
        upr = iris.upr
        self._upr = {name: ox.NamedNode(str(upr[name])) for name in (
            "LinkingActivity", "method", "methodVersion", "parameters", "score",
            "RecurrenceLink", "laterRecommendation", "earlierRecommendation",
            "SourceMatch", "rowRecommendation", "matrixRecommendation",
            "Suggestion", "suggestedFor", "suggestedConcept")}

    def _add(self, s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> None:
        self.quads.append(ox.Quad(s, p, o, self.graph))

    def _node(self, value: str) -> ox.NamedNode:
        """One term per IRI: a recommendation linked many times is held once."""
        found = self._nodes.get(value)
        if found is None:
            found = self._nodes[value] = ox.NamedNode(value)
        return found

    def _score(self, score: float) -> ox.Literal:
        found = self._scores.get(score)
        if found is None:
            # the canonical lexical form (0.75, 1), as Oxigraph and rdflib write it
            lexical = f"{score:.4f}".rstrip("0").rstrip(".")
            found = self._scores[score] = ox.Literal(lexical, datatype=_DECIMAL)
        return found

    def run(self, run: Run) -> ox.NamedNode:
        iri = ox.NamedNode(str(self.iris.linking_run(run.method, run.key())))
        add, upr = self._add, self._upr
        add(iri, _RDF_TYPE, upr["LinkingActivity"])
        add(iri, _LABEL, ox.Literal(run.label, language="en"))
        add(iri, upr["method"], ox.Literal(run.method))
        add(iri, upr["methodVersion"], ox.Literal(run.version))
        add(iri, upr["parameters"], ox.Literal(json.dumps(run.parameters, sort_keys=True)))
        for used in run.used:
            add(iri, _USED, self._node(used))
        return iri

    def _link(self, kind: str, keys: tuple[str, ...], cls: str, score: float,
              activity: ox.NamedNode) -> ox.NamedNode:
        node = ox.NamedNode(str(self.iris.link(kind, *keys)))
        self._add(node, _RDF_TYPE, self._upr[cls])
        self._add(node, self._upr["score"], self._score(score))
        self._add(node, _GENERATED_BY, activity)
        return node

    def recurrences(self, links: list[Recurrence], activity: ox.NamedNode) -> None:
        upr, add = self._upr, self._add
        for link in links:
            node = self._link("recurrence", (link.later, link.earlier), "RecurrenceLink",
                              link.score, activity)
            add(node, upr["laterRecommendation"], self._node(link.later))
            add(node, upr["earlierRecommendation"], self._node(link.earlier))

    def matches(self, reviews: list[ReviewMatching], activity: ox.NamedNode) -> None:
        upr, add = self._upr, self._add
        for review in reviews:
            for match in review.matches:
                node = self._link("source-match", (match.row, match.recommendation),
                                  "SourceMatch", match.score, activity)
                add(node, upr["rowRecommendation"], self._node(match.row))
                add(node, upr["matrixRecommendation"], self._node(match.recommendation))

    def suggestions(self, suggestions: list[Suggestion],
                    activities: dict[str, ox.NamedNode]) -> None:
        """One node per method, concept and score, ``upr:suggestedFor`` every recommendation
        it is suggested for: a suggestion costs one triple, not five."""
        upr, add = self._upr, self._add
        nodes: dict[tuple[str, str, float], ox.NamedNode] = {}
        for s in suggestions:
            key = (s.method, s.concept, s.score)
            node = nodes.get(key)
            if node is None:
                node = nodes[key] = self._link("suggestion", (s.method, s.concept, repr(s.score)),
                                               "Suggestion", s.score, activities[s.method])
                add(node, upr["suggestedConcept"], self._node(s.concept))
            add(node, upr["suggestedFor"], self._node(s.recommendation))
