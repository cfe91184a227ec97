"""The recommendations a build holds, read back from its parsed graphs for linking.

Linking runs on the data as parsed (after validation), not on the importers'
records, so it sees exactly what the release publishes: hand-written Turtle
and every import alike. It reads a pyoxigraph store holding every data file
in a named graph of its own (:func:`data_store` makes one from parsed graphs).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from sys import intern
from typing import Any, NamedTuple

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS
from rdflib.term import Node

from ..iris import SDG, IRIs
from ..terms import to_oxigraph

#: the import formats whose recommendations carry one recommending state per row
ROW_FORMATS = frozenset({"upr-info"})
#: the import formats that list one recommendation with all its states (and tag it)
MATRIX_FORMATS = frozenset({"ohchr-matrix"})


class Rec(NamedTuple):
    """One recommendation with what linking needs to know about it (a named tuple, not a
    frozen dataclass: a build makes one per recommendation, and a tuple is made in two
    thirds of the time)."""

    iri: str
    state: str
    cycle: int
    session: int | None
    text: str
    recommending: tuple[str, ...]
    response: str | None
    #: the import's format ("upr-info", "ohchr-matrix") or None for hand-written data
    format: str | None
    source: str | None
    #: UHRI codes (uhri-2014 concept IRIs) it is tagged with, directly or by exactMatch
    themes: tuple[str, ...] = ()
    #: SDG goal IRIs (targets reduced to their goal)
    sdg_goals: tuple[str, ...] = ()
    #: concepts of other schemes it is tagged with (UPR Info issues)
    other_concepts: tuple[str, ...] = ()
    #: UHRI codes its other concepts are skos:closeMatch to (a suggestion, not a tag)
    mapped_themes: tuple[str, ...] = ()


def _last(iri: str) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def sdg_goal(iri: str) -> str | None:
    """The goal IRI of an SDG goal or target IRI (``.../16.10`` -> ``.../16``)."""
    if not iri.startswith(str(SDG)):
        return None
    code = iri[len(str(SDG)):].split(".", 1)[0]
    return str(SDG) + code if code.isdigit() else None


def _predicates(iris: IRIs) -> tuple[tuple[str, URIRef, bool], ...]:
    """What :func:`graph_facts` reads: (name, predicate, single-valued)."""
    upr = iris.upr
    return (("exact", SKOS.exactMatch, False), ("close", SKOS.closeMatch, False),
            ("text", upr.text, True), ("review", upr.review, True),
            ("recommending", upr.recommendingState, False), ("response", upr.response, True),
            ("theme", upr.theme, False), ("sdg", upr.sdg, False),
            ("derived", PROV.wasDerivedFrom, True), ("format", DCTERMS.format, True),
            ("state", upr.stateUnderReview, True), ("cycle", upr.cycle, True),
            ("session", upr.session, True))


@dataclass
class Facts:
    """What linking reads of one graph: per predicate, each subject's values (a list) or,
    for a single-valued one, its least value; the IRIs typed ``upr:Recommendation``.
    ``blank``: a blank node was read (its label is the parse's: not worth keeping)."""

    many: dict[str, dict[str, list[str]]]
    one: dict[str, dict[str, str]]
    recommendations: set[str]
    blank: bool = False
    #: the IRIs marked ``upr:accessLevel upr:Restricted``: not linked (a blank node is
    #: never a recommendation linking reads)
    restricted: set[str] = field(default_factory=set)


def graph_facts(store: ox.Store, iris: IRIs,
                graph: ox.NamedNode | ox.DefaultGraph | None = None) -> Facts:
    """The :class:`Facts` of one graph of ``store`` (of all of them if ``graph`` is None).
    One pass over the quads of each predicate linking needs: a pattern lookup in the
    store's index, no query to plan and no rdflib terms to build."""
    facts = Facts({}, {}, set())
    for name, predicate, single in _predicates(iris):
        quads = store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None, graph)
        if single:
            found: dict[str, str] = {}
            for quad in quads:
                # interned: a recommendation's IRI and a state's are each held once, not
                # per quad (not worth it for texts, each held once anyway)
                subject, value = intern(quad.subject.value), quad.object.value
                if name != "text":
                    value = intern(value)
                if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object,
                                                                        ox.BlankNode):
                    facts.blank = True
                known = found.get(subject)
                if known is None or value < known:
                    found[subject] = value
            facts.one[name] = found
        else:
            values: dict[str, list[str]] = defaultdict(list)
            for quad in quads:
                if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object,
                                                                        ox.BlankNode):
                    facts.blank = True
                values[intern(quad.subject.value)].append(intern(quad.object.value))
            facts.many[name] = dict(values)
    facts.recommendations = {q.subject.value for q in store.quads_for_pattern(
        None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(iris.upr.Recommendation)), graph)
        if isinstance(q.subject, ox.NamedNode)}
    facts.restricted = {q.subject.value for q in store.quads_for_pattern(
        None, ox.NamedNode(str(iris.upr.accessLevel)), ox.NamedNode(str(iris.upr.Restricted)),
        graph) if isinstance(q.subject, ox.NamedNode)}
    return facts


def merged(parts: Iterable[Facts]) -> Facts:
    """The facts of several graphs as one (the least value of a single-valued property).
    The parts are merged into their largest (a rebuild that adds one file to a large one
    goes over the small one's facts only): they are not to be used afterwards. The order
    of a subject's values is not kept (what reads them sorts them or takes a set)."""
    parts = list(parts)
    whole = Facts({}, {}, set())
    for name in {name for part in parts for name in part.many}:
        whole.many[name] = _into_largest([p.many[name] for p in parts if name in p.many],
                                         operator.add)
    for name in {name for part in parts for name in part.one}:
        whole.one[name] = _into_largest([p.one[name] for p in parts if name in p.one], min)
    for part in parts:
        whole.recommendations |= part.recommendations
        whole.restricted |= part.restricted
    return whole


def _into_largest(found: list[dict], combine: Callable[[Any, Any], Any]) -> dict:
    """The largest of ``found``, with the others' entries added: a subject it has already
    gets ``combine(its value, the other's)``."""
    into = max(found, key=len)
    for values in found:
        if values is into:
            continue
        for subject, value in values.items():
            known = into.get(subject)
            into[subject] = value if known is None else combine(known, value)
    return into


def read(store: ox.Store, iris: IRIs, exclude: Iterable[Node] = frozenset(),
         facts: Facts | None = None) -> list[Rec]:
    """Every ``upr:Recommendation`` of ``store`` (any graph) with a text and a review,
    sorted by IRI; from ``facts`` where the caller has them (:func:`graph_facts`)."""
    if facts is None:
        facts = graph_facts(store, iris)
    return recs_of(facts, iris, exclude)


def recs_of(facts: Facts, iris: IRIs, exclude: Iterable[Node] = frozenset()) -> list[Rec]:
    """The recommendations :func:`read` finds in ``facts``."""
    skipped = {str(n) for n in exclude}
    uhri_prefix = str(iris.theme("uhri-2014", "x"))[:-1]
    many, one = facts.many, facts.one

    def values(name: str) -> dict[str, list[str]]:
        return many.get(name, {})

    def single(name: str) -> dict[str, str]:
        return one.get(name, {})

    exact = {s: min(o for o in v if o.startswith(uhri_prefix))
             for s, v in values("exact").items() if any(o.startswith(uhri_prefix)
                                                        for o in v)}
    close = {s: {o for o in v if o.startswith(uhri_prefix)}
             for s, v in values("close").items()}
    texts = single("text")
    review_of = single("review")
    recommenders = values("recommending")
    responses = single("response")
    themes = values("theme")
    sdgs = values("sdg")
    derived = single("derived")
    formats = single("format")
    state_of = single("state")
    cycle_of = {s: int(v) for s, v in single("cycle").items()}
    session_of = {s: int(v) for s, v in single("session").items()}
    recommendations = facts.recommendations
    # what many recommendations share (a review, a state, a set of concepts) worked out once
    reviews = {review: (_last(state_of[review]), cycle_of[review], session_of.get(review))
               for review in state_of.keys() & cycle_of.keys()}
    lasts = cache(_last)
    answers = cache(lambda response: _last(response).rsplit("#", 1)[-1])
    tagged = cache(lambda concepts: _concepts(concepts, uhri_prefix, exact, close))
    states_of = cache(lambda found: tuple(sorted({lasts(s) for s in found})))
    goals_of = cache(lambda found: tuple(sorted({g for g in map(sdg_goal, found) if g})))
    no_values: list[str] = []
    recs = []
    for iri in sorted(recommendations - skipped):
        text = texts.get(iri)
        review = reviews.get(review_of.get(iri))  # type: ignore[arg-type]
        if not text or review is None:
            continue
        source = derived.get(iri)
        response = responses.get(iri)
        coded, other, mapped = tagged(frozenset(themes.get(iri, no_values)))
        recs.append(Rec(
            iri=iri,
            state=review[0],
            cycle=review[1],
            session=review[2],
            text=text,
            recommending=states_of(frozenset(recommenders.get(iri, no_values))),
            response=answers(response) if response else None,
            format=formats.get(source) if source else None,
            source=source,
            themes=coded,
            sdg_goals=goals_of(frozenset(sdgs.get(iri, no_values))),
            other_concepts=other,
            mapped_themes=mapped,
        ))
    return recs


def _concepts(concepts: frozenset[str], uhri_prefix: str, exact: dict[str, str],
              close: dict[str, set[str]]) -> tuple[tuple[str, ...], ...]:
    """UHRI codes, other concepts and the UHRI codes those are closeMatch to (minus the codes)
    of a recommendation tagged with ``concepts``."""
    coded, other, mapped = set(), set(), set()
    for concept in concepts:
        if concept.startswith(uhri_prefix):
            coded.add(concept)
        elif concept in exact:
            coded.add(exact[concept])
        else:
            other.add(concept)
            mapped |= close.get(concept, set())
    return tuple(sorted(coded)), tuple(sorted(other)), tuple(sorted(mapped - coded))


def data_store(graphs: Iterable[tuple[URIRef, Graph | str]]) -> ox.Store:
    """An in-memory store with each input in a named graph of its own: what :func:`read`
    reads when the build has its data as rdflib graphs or as N-Triples text (which the
    store parses itself, far faster than terms are converted one by one)."""
    store = ox.Store()
    terms: dict[Node, ox.NamedNode | ox.BlankNode | ox.Literal] = {}

    def term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        found = terms.get(node)
        if found is None:
            found = terms[node] = to_oxigraph(node)
        return found

    for name, graph in graphs:
        graph_name = ox.NamedNode(str(name))
        if isinstance(graph, str):
            store.bulk_load(graph.encode("utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=graph_name)
        else:
            store.bulk_extend(ox.Quad(term(s), term(p), term(o), graph_name)
                              for s, p, o in graph)
    return store
