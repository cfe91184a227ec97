"""Linking: connect what the sources state separately, and say how sure it is.

Runs inside ``uprgraph build`` on the parsed data (after validation), and
publishes into a named graph of its own (``{base}graph/linking/links``):

- recurrence (:mod:`.recurrence`): a recommendation's near-repeats to the same
  state in earlier cycles;
- source matching (:mod:`.matching`): a UPR Info row and the OHCHR matrix
  recommendation it is part of, for a review held by both;
- suggestions (:mod:`.suggest`): UHRI themes and SDG goals for untagged
  recommendations.

Everything is computed from the data alone (no model downloaded, no clock,
ties broken by IRI): the same data gives the same links, and removing an
import removes the links of its recommendations.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from ..iris import IRIs
from ..terms import to_rdflib
from . import matching, recurrence, suggest
from .corpus import Rec, data_store, read
from .publish import Publisher, Run
from .text import normalised

__all__ = ["Linked", "data_store", "link", "link_quads", "link_recs"]

#: the links graph, ``{base}graph/linking/links``
GRAPH_KIND, GRAPH_NAME = "linking", "links"


def _software() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("scikit-learn", "rapidfuzz",
                                                                 "scipy")}


@dataclass
class Linked:
    #: the links, as quads of the links graph
    quads: list[ox.Quad]
    recommendations: int = 0
    recurrences: list[recurrence.Recurrence] = field(default_factory=list)
    matchings: list[matching.ReviewMatching] = field(default_factory=list)
    suggestions: list[suggest.Suggestion] = field(default_factory=list)

    @property
    def graph(self) -> Graph:
        """The links as an rdflib graph (slow for many links: for tests and small data)."""
        graph = Graph()
        for quad in self.quads:
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                       to_rdflib(quad.object)))
        return graph

    def summary(self) -> str:
        matched = sum(len(m.matches) for m in self.matchings)
        unmatched = sum(len(m.unmatched) for m in self.matchings)
        return (f"linked {self.recommendations} recommendations: {len(self.recurrences)} "
                f"recurrence links, {matched} source matches ({unmatched} rows unmatched), "
                f"{len(self.suggestions)} suggestions")


def link_recs(recs: list[Rec], iris: IRIs,
              lap: Callable[[str], None] = lambda _step: None) -> Linked:
    """Every link among ``recs``, as a graph; ``lap(step)`` after each step (for timing)."""
    publisher = Publisher(iris, ox.NamedNode(str(iris.graph(GRAPH_KIND, GRAPH_NAME))))
    linked = Linked(publisher.quads, len(recs))
    if not recs:
        return linked
    # each distinct text normalised once, for recurrence and suggestions alike
    norms = normalised(r.text for r in recs)
    lap("normalise")
    linked.recurrences = recurrence.find(recs, norms=norms)
    lap("recurrence")
    linked.matchings = matching.match(recs)
    lap("matching")
    linked.suggestions = suggest.suggest(recs, norms=norms)
    lap("suggestions")
    _publish(publisher, linked, recs)
    lap("graph")
    return linked


def _publish(publisher: Publisher, linked: Linked, recs: list[Rec]) -> None:
    software = _software()

    def used(selected: list[Rec]) -> tuple[str, ...]:
        return tuple(sorted({r.source for r in selected if r.source}))

    if linked.recurrences:
        run = Run(recurrence.METHOD, recurrence.VERSION,
                  "Recurring recommendations across cycles (TF-IDF cosine)",
                  {**recurrence.parameters(), "software": software}, used(recs))
        publisher.recurrences(linked.recurrences, publisher.run(run))
    if any(m.matches for m in linked.matchings):
        reviews = {(m.state, m.cycle) for m in linked.matchings}
        run = Run(matching.METHOD, matching.VERSION,
                  "UPR Info rows matched to OHCHR matrix recommendations",
                  {**matching.parameters(), "software": software},
                  used([r for r in recs if (r.state, r.cycle) in reviews]))
        publisher.matches(linked.matchings, publisher.run(run))
    activities = {}
    for method, label in ((suggest.MAPPING, "Themes suggested by mappings between schemes"),
                          (suggest.CLASSIFIER, "Themes and SDG goals suggested by a text "
                                               "classifier trained on tagged matrices")):
        if any(s.method == method for s in linked.suggestions):
            params = ({"relation": "skos:closeMatch to uhri-2014"} if method == suggest.MAPPING
                      else {**suggest.parameters(), "software": software})
            activities[method] = publisher.run(Run(method, suggest.VERSION, label, params,
                                                   used(recs)))
    publisher.suggestions(linked.suggestions, activities)


def link(data: ox.Store, iris: IRIs, exclude: Iterable[Node] = frozenset()) -> Linked:
    """Read the recommendations of ``data`` (minus ``exclude``) and link them."""
    return link_recs(read(data, iris, exclude), iris)


def link_quads(data: ox.Store, iris: IRIs, exclude: Iterable[Node],
               log: Callable[[str], None] = lambda _m: None) -> list[ox.Quad]:
    """The build's linking step: the quads of the links graph (``{base}graph/linking/links``).

    ``data`` holds every data quad of the build, each input file in a named graph of
    its own (:func:`.corpus.data_store` makes one from parsed graphs); ``exclude``: the
    restricted nodes, whose recommendations are neither read nor linked.
    """
    linked = link(data, iris, exclude)
    if linked.quads:
        log(linked.summary())
    return linked.quads
