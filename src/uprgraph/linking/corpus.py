"""The recommendations a build holds, read back from its parsed graphs for linking.

Linking runs on the data as parsed (after validation), not on the importers'
records, so it sees exactly what the release publishes: hand-written Turtle
and every import alike.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS
from rdflib.term import Node

from ..iris import SDG, IRIs

#: the import formats whose recommendations carry one recommending state per row
ROW_FORMATS = frozenset({"upr-info"})
#: the import formats that list one recommendation with all its states (and tag it)
MATRIX_FORMATS = frozenset({"ohchr-matrix"})


@dataclass(frozen=True)
class Rec:
    """One recommendation with what linking needs to know about it."""

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


def _last(iri: Node) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def sdg_goal(iri: str) -> str | None:
    """The goal IRI of an SDG goal or target IRI (``.../16.10`` -> ``.../16``)."""
    if not iri.startswith(str(SDG)):
        return None
    code = iri[len(str(SDG)):].split(".", 1)[0]
    return str(SDG) + code if code.isdigit() else None


def read(graph: Graph, iris: IRIs, exclude: set[Node] = frozenset()) -> list[Rec]:
    """Every ``upr:Recommendation`` of ``graph`` with a text and a review, sorted by IRI."""
    upr = iris.upr
    uhri_prefix = str(iris.theme("uhri-2014", "x"))[:-1]
    exact: dict[Node, Node] = {}
    for s, o in graph.subject_objects(SKOS.exactMatch):
        if str(o).startswith(uhri_prefix):
            exact[s] = o
    close: dict[Node, set[str]] = defaultdict(set)
    for s, o in graph.subject_objects(SKOS.closeMatch):
        if str(o).startswith(uhri_prefix):
            close[s].add(str(o))

    def values(predicate: URIRef) -> dict[Node, list[Node]]:
        found: dict[Node, list[Node]] = defaultdict(list)
        for s, o in graph.subject_objects(predicate):
            found[s].append(o)
        return found

    texts = values(upr.text)
    review_of = values(upr.review)
    recommenders = values(upr.recommendingState)
    responses = values(upr.response)
    themes = values(upr.theme)
    sdgs = values(upr.sdg)
    derived = values(PROV.wasDerivedFrom)
    formats = {s: str(o) for s, o in graph.subject_objects(DCTERMS.format)}
    state_of = {s: o for s, o in graph.subject_objects(upr.stateUnderReview)}
    cycle_of = {s: int(o) for s, o in graph.subject_objects(upr.cycle)}
    session_of = {s: int(o) for s, o in graph.subject_objects(upr.session)}
    recs = []
    for iri in graph.subjects(RDF.type, upr.Recommendation, unique=True):
        if iri in exclude or not isinstance(iri, URIRef) or not texts.get(iri):
            continue
        reviews = review_of.get(iri)
        if not reviews or reviews[0] not in state_of or reviews[0] not in cycle_of:
            continue
        review = reviews[0]
        source = min((str(s) for s in derived.get(iri, [])), default=None)
        coded, other, mapped = set(), set(), set()
        for concept in themes.get(iri, []):
            text = str(concept)
            if text.startswith(uhri_prefix):
                coded.add(text)
            elif concept in exact:
                coded.add(str(exact[concept]))
            else:
                other.add(text)
                mapped |= close.get(concept, set())
        goals = {g for g in (sdg_goal(str(s)) for s in sdgs.get(iri, [])) if g}
        response = responses.get(iri)
        recs.append(Rec(
            iri=str(iri),
            state=_last(state_of[review]),
            cycle=cycle_of[review],
            session=session_of.get(review),
            text=str(min(texts[iri], key=str)),
            recommending=tuple(sorted(_last(s) for s in recommenders.get(iri, []))),
            response=_last(response[0]).rsplit("#", 1)[-1] if response else None,
            format=formats.get(URIRef(source)) if source else None,
            source=source,
            themes=tuple(sorted(coded)),
            sdg_goals=tuple(sorted(goals)),
            other_concepts=tuple(sorted(other)),
            mapped_themes=tuple(sorted(mapped - coded)),
        ))
    recs.sort(key=lambda r: r.iri)
    return recs
