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

from ..inputs import Input, add_graph
from ..iris import IRIs
from ..reading import RDFLIB_ROLES
from ..terms import to_rdflib
from . import matching, recurrence, suggest
from .cache import Cache, ReadAhead, cache_dir, collector_paused, input_digests
from .corpus import Facts, Rec, data_store, graph_facts, merged, read, recs_of
from .features import TextFeatures, Texts, compute
from .publish import Publisher, Run

__all__ = ["Arrivals", "Cache", "Linked", "Prepared", "ReadAhead", "cache_dir", "data_store",
           "finish", "link", "link_quads", "link_recs", "prepare"]

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
              cache: Cache | None = None, norms: dict[str, str] | None = None) -> Linked:
    """Every link among ``recs``, as a graph; ``lap(step)`` after each step (for timing).
    ``texts``: features of the texts known already; ``cache``: where each state's
    recurrence links are kept (see :mod:`.cache`); ``norms``: each text's normalised form,
    if known already."""
    publisher = Publisher(iris, ox.NamedNode(str(iris.graph(GRAPH_KIND, GRAPH_NAME))))
    linked = Linked(publisher.quads, len(recs))
    if not recs:
        return linked
    texts = texts or Texts()
    if norms is None:
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
        if linked.quads:
            log(linked.summary())
        return linked.quads
    cache = cache or Cache(folder)  # type: ignore[arg-type]
    return finish(prepare(data, iris, items, cache, exclude, lap=lap), iris, log, lap)


@dataclass
class Arrivals:
    """How linking waits for inputs the build is still reading (:class:`..reading.Reading`):
    ``digested(item)`` returns once a data file's digest is known, with the digest it was
    announced with (None: none); ``ready(item)`` once the input is read (and, for a links
    file, pruned to what the data describes), raising the error of an input not read."""

    digested: Callable[[Input], str | None]
    ready: Callable[[Input], None]


@dataclass
class Prepared:
    """What linking read of the data: the recommendations and their texts."""

    recs: list[Rec]
    texts: Texts
    norms: dict[str, str]
    cache: Cache


def prepare(data: ox.Store, iris: IRIs, items: Sequence[Input], cache: Cache,
            exclude: Iterable[Node] | None = None, arrivals: Arrivals | None = None,
            lap: Callable[[str], None] = lambda _step: None) -> Prepared:
    """Read the recommendations of ``data`` for linking: what each input gives, from the
    cache where it is unchanged, and their normalised texts.

    ``exclude``: the restricted nodes (None: those the inputs other than shapes and
    ontology mark restricted, as the build finds them). With ``arrivals``, the inputs are
    still being read into ``data``: an unchanged data file whose entries were read ahead
    is not waited for, and the others are read once they are in; every input is then in
    a graph of its own (the default graph is empty).
    """
    with collector_paused():
        facts, texts, restricted = _parts(data, iris, items, cache, arrivals)
        lap("read")
        recs = recs_of(facts, iris, restricted if exclude is None else exclude)
        lap("rows")
        # each distinct text normalised once, for recurrence and suggestions alike
        norms = texts.normalised(r.text for r in recs)
        lap("normalise")
    return Prepared(recs, texts, norms, cache)


def finish(prepared: Prepared, iris: IRIs, log: Callable[[str], None] = lambda _m: None,
           lap: Callable[[str], None] = lambda _step: None) -> list[ox.Quad]:
    """Link what :func:`prepare` read: the quads of the links graph."""
    cache = prepared.cache
    with collector_paused():
        linked = link_recs(prepared.recs, iris, lap, prepared.texts, cache, prepared.norms)
    cache.keep_used()
    log(f"linking: {cache.hits} cached parts reused, {cache.misses} computed")
    if linked.quads:
        log(linked.summary())
    return linked.quads


def _parts(data: ox.Store, iris: IRIs, items: Sequence[Input], cache: Cache,
           arrivals: Arrivals | None) -> tuple[Facts, Texts, set[str]]:
    """The facts and text features of every input's graph, and the IRIs they mark
    restricted: from the cache for an input whose digest it holds, else read (and kept,
    unless it holds blank nodes, whose labels are the parse's own). A graph holding
    several inputs is read, never kept."""
    groups: dict[str, list[Input]] = {}
    for item in items:
        groups.setdefault(str(item.graph_iri), []).append(item)
    facts, texts, restricted = [], [], set()
    for name in sorted(groups):
        group = groups[name]
        digest, store = _entry(data, group, cache, arrivals, iris.base)
        found = cache.get("facts", digest, Facts) if digest else None
        if found is None:
            found = graph_facts(store, iris, ox.NamedNode(name))
            if digest and not found.blank:
                cache.put("facts", digest, found)
        facts.append(found)
        if group[0].role not in RDFLIB_ROLES:
            restricted |= found.restricted
        if not digest:
            continue
        features = cache.get("texts", digest, TextFeatures)
        if features is None:
            features = compute(found.one.get("text", {}).values())
            cache.put("texts", digest, features)
        texts.append(features)
    if arrivals is None:  # anything else the store holds, as before there were inputs
        known = {ox.NamedNode(name) for name in groups}
        others: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph()]
        others += sorted((g for g in data.named_graphs() if g not in known), key=str)
        for graph in others:
            facts.append(found := graph_facts(data, iris, graph))
            restricted |= found.restricted
    return merged(facts), Texts(texts), restricted


def _entry(data: ox.Store, group: list[Input], cache: Cache, arrivals: Arrivals | None,
           base: str) -> tuple[str | None, ox.Store]:
    """The digest a graph's entries are kept under (None: not kept) and the store to read
    it from if they are not: an unchanged data file read ahead is not waited for."""
    item = group[0]
    if arrivals is not None and len(group) == 1 and item.role == "data":
        announced = arrivals.digested(item)
        if announced is not None and cache.read_ahead("facts", announced):
            return announced, data
    if arrivals is not None:
        for each in group:
            arrivals.ready(each)
    # shapes and ontology join the store last: read from their own graphs
    store = _alone(group) if item.role in RDFLIB_ROLES else data
    if len(group) > 1:
        return None, store
    return input_digests(store, [item], base).get(str(item.graph_iri)), store


def _alone(group: list[Input]) -> ox.Store:
    """A store of the rdflib graphs of ``group``, in their graph."""
    store = ox.Store()
    for item in group:
        add_graph(store, item.graph, ox.NamedNode(str(item.graph_iri)))
    return store
