"""``uprgraph links report``: how much of the data is linked, kind by kind.

Each figure is a count out of a total (recommendations with an SDG target out of
all recommendations, ...). The report also carries the linksets, so that it and
the VoID description of the same release state the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib.namespace import FOAF, OWL

from ..iris import GEONAMES, SDG, WIKIDATA, IRIs
from ..linking.figures import review_lines, reviews
from ..store.base import Store
from .linksets import Linkset, count_links
from .m49 import SCHEMA


@dataclass(frozen=True)
class Figure:
    group: str
    name: str
    label: str
    count: int
    total: int

    @property
    def share(self) -> float | None:
        return round(self.count / self.total, 4) if self.total else None

    def as_dict(self) -> dict:
        return {"group": self.group, "name": self.name, "label": self.label,
                "count": self.count, "total": self.total, "share": self.share}


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    linksets: list[Linkset] = field(default_factory=list)
    #: per review, what came back (computed recurrence links) and how sources matched
    reviews: list[dict] = field(default_factory=list)

    def figure(self, name: str) -> Figure:
        return next(f for f in self.figures if f.name == name)

    def as_dict(self) -> dict:
        return {"coverage": [f.as_dict() for f in self.figures],
                "linksets": [ls.as_dict() for ls in self.linksets],
                "reviews": self.reviews}

    def render(self) -> str:
        lines = ["Coverage of links", ""]
        width = max((len(f.label) for f in self.figures), default=10)
        group = None
        for f in self.figures:
            if f.group != group:
                group = f.group
                lines.append(f"{group}:")
            share = "   n/a" if f.share is None else f"{f.share:6.1%}"
            lines.append(f"  {f.label:<{width}}  {f.count:>7} / {f.total:<7} {share}")
        lines += ["", "Linksets (VoID)", ""]
        for ls in self.linksets:
            lines.append(f"  {ls.target:<12} {ls.predicate}  {ls.triples}")
        if self.reviews:
            lines += ["", "Per review (computed links)", ""]
            lines += [f"  {line}" for line in review_lines(self.reviews)]
        return "\n".join(lines) + "\n"


def _figures(iris: IRIs) -> list[tuple[str, str, str, str, str, str | None]]:
    """(group, name, label, class, pattern over ?x, condition or None) of every figure:
    figures with the same class and pattern are counted in one pass, each over the
    matches its condition holds for."""
    upr = iris.upr
    rec, state, doc = str(upr.Recommendation), str(upr.State), str(upr.UNDocument)
    sdg = str(SDG)
    suggested = f"?l <{upr.suggestedFor}> ?x ; <{upr.suggestedConcept}> ?c ."
    return [
        ("recommendations", "recommendations_with_sdg", "with an SDG goal or target", rec,
         f"?x <{upr.sdg}> ?g .", f'STRSTARTS(STR(?g), "{sdg}")'),
        ("recommendations", "recommendations_with_sdg_target", "with an SDG target", rec,
         f"?x <{upr.sdg}> ?g .",
         f'STRSTARTS(STR(?g), "{sdg}") && CONTAINS(STRAFTER(STR(?g), "{sdg}"), ".")'),
        ("recommendations", "recommendations_with_source_document", "with a source document", rec,
         f"?x <{upr.sourceDocument}> ?d", None),
        ("recommendations", "recommendations_with_paragraph", "with a paragraph number", rec,
         f"?x <{upr.paragraph}> ?p", None),
        ("recommendations", "recommendations_with_position_source", "with a position source", rec,
         f"?x <{upr.positionSource}> ?d", None),
        ("states", "states_with_iso_codes", "with ISO 3166-1 alpha-2 and alpha-3", state,
         f"?x <{upr.iso2}> ?a ; <{upr.iso3}> ?b", None),
        ("states", "states_with_m49", "with an M49 code", state, f"?x <{upr.m49}> ?m", None),
        ("states", "states_with_m49_area", "with an M49 region", state,
         f"?x <{SCHEMA.containedInPlace}> ?area", None),
        ("states", "states_with_wikidata", "with a Wikidata link", state,
         f"?x <{OWL.sameAs}> ?w .", f'STRSTARTS(STR(?w), "{WIKIDATA}")'),
        ("states", "states_with_geonames", "with a GeoNames link", state,
         f"?x <{OWL.sameAs}> ?w .", f'STRSTARTS(STR(?w), "{GEONAMES}")'),
        ("linking", "recommendations_repeating", "repeating one of an earlier cycle", rec,
         f"?l <{upr.laterRecommendation}> ?x", None),
        ("linking", "recommendations_repeated", "repeated in a later cycle", rec,
         f"?l <{upr.earlierRecommendation}> ?x", None),
        ("linking", "rows_matched", "a source row matched to a matrix recommendation", rec,
         f"?l <{upr.rowRecommendation}> ?x", None),
        ("linking", "recommendations_with_suggested_theme", "with a suggested UHRI theme", rec,
         suggested, f'STRSTARTS(STR(?c), "{iris.base}id/theme/")'),
        ("linking", "recommendations_with_suggested_sdg", "with a suggested SDG goal", rec,
         suggested, f'STRSTARTS(STR(?c), "{sdg}")'),
        ("documents", "documents_with_page", "with an undocs.org page", doc,
         f"?x <{FOAF.page}> ?page", None),
        ("documents", "documents_with_type", "with a document type", doc,
         f"?x <{upr.documentType}> ?t", None),
    ]


def _count(store: Store, cls: str, pattern: str | None,
           conditions: tuple[str, ...] = ()) -> list[int]:
    """The members of ``cls`` (all of them: ``pattern`` None) that match ``pattern``, one
    count per condition of ``conditions`` on its matches (none: one count, of all)."""
    # the pattern first, its subjects then checked for the class by an EXISTS holding one
    # triple pattern: twice as fast as a join with every member of the class, and at once
    # when nothing matches the pattern (an EXISTS holding a FILTER, though, is evaluated
    # once per candidate without the candidate bound: minutes at 20,000 rows)
    if not pattern:
        where, counted = f"?x a <{cls}> .", ["?x"]
    elif not conditions:
        where, counted = f"{{ {pattern} }} FILTER EXISTS {{ ?x a <{cls}> }}", ["?x"]
    else:  # one pass over the pattern's matches, ?x bound to ?x0, ?x1... where each holds
        held = " ".join(f"BIND(({c}) AS ?holds{i})" for i, c in enumerate(conditions))
        either = " || ".join(f"?holds{i}" for i in range(len(conditions)))
        counted = [f"?x{i}" for i in range(len(conditions))]
        where = (f"{{ {pattern} {held} FILTER({either}) }} FILTER EXISTS {{ ?x a <{cls}> }} "
                 + " ".join(f"BIND(IF(?holds{i}, ?x, ?unbound) AS ?x{i})"
                            for i in range(len(conditions))))
    columns = " ".join(f"(COUNT(DISTINCT {v}) AS ?n{i})" for i, v in enumerate(counted))
    rows = list(store.query(f"SELECT {columns} WHERE {{ {where} }}").rows())
    return [int(rows[0][f"n{i}"].value) if rows else 0  # type: ignore[union-attr]
            for i in range(len(counted))]


def figures(store: Store, iris: IRIs) -> list[Figure]:
    """Every coverage figure of the store's data."""
    listed = _figures(iris)
    conditions: dict[tuple[str, str], list[str]] = {}
    for *_, cls, pattern, condition in listed:
        if condition is not None:
            conditions.setdefault((cls, pattern), []).append(condition)
    # the counts of each shared pattern, in the order its figures are listed
    shared = {key: iter(_count(store, *key, tuple(each))) for key, each in conditions.items()}
    totals: dict[str, int] = {}
    found = []
    for group, name, label, cls, pattern, condition in listed:
        if cls not in totals:
            totals[cls] = _count(store, cls, None)[0]
        count = (next(shared[(cls, pattern)]) if condition is not None
                 else _count(store, cls, pattern)[0])
        found.append(Figure(group, name, label, count, totals[cls]))
    return found


def coverage(store: Store, iris: IRIs, linksets: list[Linkset] | None = None) -> Report:
    """Every coverage figure and linkset of the store's data (``linksets``: already
    counted by :func:`count_links` on the same store, which reads every triple)."""
    if linksets is None:
        linksets = count_links(store, iris)
    return Report(figures(store, iris), linksets, reviews(store, iris))
