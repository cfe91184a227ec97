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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from ..inputs import Input
from ..iris import IRIs
from ..terms import to_rdflib
from . import matching, recurrence, suggest
from .cache import Cache, ReadAhead, cache_dir, collector_paused, input_digests
from .corpus import Facts, Rec, data_store, graph_facts, merged, read, recs_of
from .features import TextFeatures, Texts, compute
from .publish import Publisher, Run

__all__ = ["Cache", "Linked", "ReadAhead", "cache_dir", "data_store", "link", "link_quads",
           "link_recs"]

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
              lap: Callable[[str], None] = lambda _step: None, texts: Texts | None = None,
              cache: Cache | None = None) -> Linked:
    """Every link among ``recs``, as a graph; ``lap(step)`` after each step (for timing).
    ``texts``: features of the texts known already; ``cache``: where each state's
    recurrence links are kept (see :mod:`.cache`)."""
    publisher = Publisher(iris, ox.NamedNode(str(iris.graph(GRAPH_KIND, GRAPH_NAME))))
    linked = Linked(publisher.quads, len(recs))
    if not recs:
        return linked
    texts = texts or Texts()
    # each distinct text normalised once, for recurrence and suggestions alike
    norms = texts.normalised(r.text for r in recs)
    lap("normalise")
    linked.recurrences = recurrence.find(recs, norms=norms, texts=texts, cache=cache)
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
               log: Callable[[str], None] = lambda _m: None, items: Sequence[Input] = (),
               folder: Path | None = None,
               lap: Callable[[str], None] = lambda _step: None,
               cache: Cache | None = None) -> list[ox.Quad]:
    """The build's linking step: the quads of the links graph (``{base}graph/linking/links``).

    ``data`` holds every data quad of the build, each input file in a named graph of
    its own (:func:`.corpus.data_store` makes one from parsed graphs); ``exclude``: the
    restricted nodes, whose recommendations are neither read nor linked. With ``items``
    (the build's inputs) and ``folder``, what each input alone gives is kept in a cache
    there (:mod:`.cache`) and taken from it when that input has not changed: the same
    links, sooner; ``cache``: that cache, with entries read ahead (:class:`.ReadAhead`).
    """
    if folder is None and cache is None:
        linked = link(data, iris, exclude)
    else:
        cache = cache or Cache(folder)  # type: ignore[arg-type]
        with collector_paused():
            facts, texts = _parts(data, iris, input_digests(data, items, iris.base), cache)
            lap("read")
            recs = recs_of(facts, iris, exclude)
            lap("rows")
            linked = link_recs(recs, iris, lap, texts, cache)
        cache.keep_used()
        log(f"linking: {cache.hits} cached parts reused, {cache.misses} computed")
    if linked.quads:
        log(linked.summary())
    return linked.quads


def _parts(data: ox.Store, iris: IRIs, digests: dict[str, str],
           cache: Cache) -> tuple[Facts, Texts]:
    """The facts and text features of every graph of ``data``: from the cache for an input
    whose digest it holds, else read (and kept, unless it holds blank nodes, whose labels
    are the parse's own)."""
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph()]
    graphs += sorted(data.named_graphs(), key=str)
    facts, texts = [], []
    for graph in graphs:
        digest = digests.get(graph.value) if isinstance(graph, ox.NamedNode) else None
        found = cache.get("facts", digest, Facts) if digest else None
        if found is None:
            found = graph_facts(data, iris, graph)
            if digest and not found.blank:
                cache.put("facts", digest, found)
        facts.append(found)
        if not digest:
            continue
        features = cache.get("texts", digest, TextFeatures)
        if features is None:
            features = compute(found.one.get("text", {}).values())
            cache.put("texts", digest, features)
        texts.append(features)
    return merged(facts), Texts(texts)
