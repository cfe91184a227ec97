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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.term import Node

from ..inputs import Input
from ..iris import IRIs
from . import matching, recurrence, suggest
from .corpus import Rec, read
from .publish import Publisher, Run

#: the build's input name for the linking graph (``{base}graph/linking/links``)
GRAPH_KIND, GRAPH_NAME = "linking", "links"
LABEL = Path("linking")


def _software() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("scikit-learn", "rapidfuzz",
                                                                 "scipy")}


@dataclass
class Linked:
    graph: Graph
    recommendations: int = 0
    recurrences: list[recurrence.Recurrence] = field(default_factory=list)
    matchings: list[matching.ReviewMatching] = field(default_factory=list)
    suggestions: list[suggest.Suggestion] = field(default_factory=list)

    def summary(self) -> str:
        matched = sum(len(m.matches) for m in self.matchings)
        unmatched = sum(len(m.unmatched) for m in self.matchings)
        return (f"linked {self.recommendations} recommendations: {len(self.recurrences)} "
                f"recurrence links, {matched} source matches ({unmatched} rows unmatched), "
                f"{len(self.suggestions)} suggestions")


def link_recs(recs: list[Rec], iris: IRIs) -> Linked:
    """Every link among ``recs``, as a graph."""
    publisher = Publisher(iris)
    linked = Linked(publisher.graph, len(recs))
    if not recs:
        return linked
    software = _software()

    def used(selected: list[Rec]) -> tuple[str, ...]:
        return tuple(sorted({r.source for r in selected if r.source}))

    linked.recurrences = recurrence.find(recs)
    if linked.recurrences:
        run = Run(recurrence.METHOD, recurrence.VERSION,
                  "Recurring recommendations across cycles (TF-IDF cosine)",
                  {**recurrence.parameters(), "software": software}, used(recs))
        publisher.recurrences(linked.recurrences, publisher.run(run))
    linked.matchings = matching.match(recs)
    if any(m.matches for m in linked.matchings):
        reviews = {(m.state, m.cycle) for m in linked.matchings}
        run = Run(matching.METHOD, matching.VERSION,
                  "UPR Info rows matched to OHCHR matrix recommendations",
                  {**matching.parameters(), "software": software},
                  used([r for r in recs if (r.state, r.cycle) in reviews]))
        publisher.matches(linked.matchings, publisher.run(run))
    linked.suggestions = suggest.suggest(recs)
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
    return linked


def link(data: Graph, iris: IRIs, exclude: set[Node] = frozenset()) -> Linked:
    """Read the recommendations of ``data`` (minus ``exclude``) and link them."""
    return link_recs(read(data, iris, exclude), iris)


def link_inputs(data: Graph, iris: IRIs, exclude: set[Node],
                log: Callable[[str], None] = lambda _m: None) -> list[Input]:
    """The build's linking step: the links graph as one more input (none without links)."""
    linked = link(data, iris, exclude)
    if not len(linked.graph):
        return []
    log(linked.summary())
    return [Input(LABEL, iris.graph(GRAPH_KIND, GRAPH_NAME), "linking", linked.graph)]
