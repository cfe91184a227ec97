"""Search over recommendations with facets: filters in the URL, counts per value, paging.

A facet is a SPARQL pattern binding ``?value`` for each ``?rec`` (:data:`FACETS`); a
filter is the same facet fixed to one value (:meth:`Facet.pattern`). The page, its
CSV and its JSON run the same ``search-rows.rq`` text; the downloads drop only the
page slice (or keep it when a page is asked for), so they hold exactly the page's rows.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import current_app

from ..render import WebError
from . import named

PAGE_SIZE = 50
FACET_LIMIT = 25
SDG = "http://metadata.un.org/sdg/"
#: how a theme reaches the chosen one: itself or through a SKOS mapping, either way; the
#: few themes are found first, then their recommendations (a path from ?rec timed out)
MAPPED = "skos:exactMatch|^skos:exactMatch|skos:closeMatch|^skos:closeMatch"
THEME_MAPPED = ("{{ SELECT DISTINCT ?_theme WHERE {{ {{ BIND({v} AS ?_theme) }} UNION "
                "{{ {v} " + MAPPED + " ?_theme }} }} }}\n  ?rec upr:theme ?_theme .")
LATEST = """?_a upr:assesses ?rec ; upr:implementationStatus {v} ; dcterms:date ?_d .
  FILTER NOT EXISTS {{ ?_b upr:assesses ?rec ; dcterms:date ?_e FILTER(?_e > ?_d) }}"""


def _via(link: str, attribute: str) -> str:
    """``?rec link ?x . ?x attribute ?value`` as a join of two sub-selects: the store hashes
    them (one scan each) instead of looking ``?x`` up once per recommendation."""
    return (f"{{ SELECT ?rec ?_x WHERE {{ ?rec {link} ?_x }} }}\n"
            f"      {{ SELECT ?_x ?value WHERE {{ ?_x {attribute} ?value }} }}")


@dataclass(frozen=True)
class Facet:
    """One facet: its URL key, heading, how it binds ``?value`` and how its values look."""

    key: str
    title: str
    #: SPARQL binding ?value for ?rec, or (``of_review``) for the recommendation's review ?rv
    binds: str
    kind: str  # "iri", "int", "sdg"
    chosen: str  # pattern with {v}: the recommendations ?rec with that value
    #: ``chosen`` is said of recommendations only, so ``?rec a upr:Recommendation`` is implied
    rec_only: bool = False
    #: ``binds`` as a path, for filters that leave few recommendations to look up one by one
    path: str = ""
    #: a property of the review: counted per review first, then summed (a recommendation
    #: belongs to exactly one review, the shapes say), so 250 rows are joined, not 31,000
    of_review: bool = False

    def pattern(self, term: str) -> str:
        return self.chosen.format(v=term)


FACETS: tuple[Facet, ...] = (
    Facet("sur", "State under review", "?rv upr:stateUnderReview ?value .", "iri",
          "?rec upr:review/upr:stateUnderReview {v} .", of_review=True),
    Facet("by", "Recommending state", "?rec upr:recommendingState ?value .", "iri",
          "?rec upr:recommendingState {v} .", True),
    Facet("group", "Regional group of the recommending state",
          _via("upr:recommendingState", "upr:regionalGroup"), "iri",
          "?rec upr:recommendingState/upr:regionalGroup {v} .", True,
          "?rec upr:recommendingState/upr:regionalGroup ?value ."),
    Facet("cycle", "Cycle", "?rv upr:cycle ?value .", "int", "?rec upr:review/upr:cycle {v} .",
          of_review=True),
    Facet("session", "Session", "?rv upr:session ?value .", "int",
          "?rec upr:review/upr:session {v} .", of_review=True),
    Facet("response", "Response", "?rec upr:response ?value .", "iri",
          "?rec upr:response {v} .", True),
    Facet("theme", "Theme (any scheme, through SKOS mappings)", "?rec upr:theme ?value .", "iri",
          THEME_MAPPED),
    Facet("sdg", "SDG goal", "?rec upr:sdg ?_sdg . BIND(REPLACE(STR(?_sdg), "
          f'"^{SDG}([0-9]+).*$", "Goal $1") AS ?value)', "sdg",
          f'?rec upr:sdg ?_sdg . FILTER(REGEX(STR(?_sdg), "^{SDG}{{v}}(\\\\.|$)"))', True),
    Facet("action", "Action category", "?rec upr:actionCategory ?value .", "int",
          "?rec upr:actionCategory {v} .", True),
    Facet("status", "Implementation status (latest)", LATEST.format(v="?value"), "iri", LATEST,
          True),
)
BY_KEY = {f.key: f for f in FACETS}
#: filters that leave few recommendations (see :meth:`Filters.selective`)
SELECTIVE = ("sur", "by")
#: how the review facets reach a recommendation's review, after selective filters or not
REVIEW_OF_FEW = "?rec upr:review ?rv ."
REVIEW_OF_MANY = "{ SELECT ?rec ?rv WHERE { ?rec upr:review ?rv } }"
# integers only after the first key: comparing IRIs or strings costs the store a lookup per
# comparison (23,484 rows sorted by IRI took seconds); ties keep the store's stable order
_PARAGRAPH = "?sortPara ?sortSub"
SORTS = {
    "-cycle": f"DESC(?sortCycle) ?sortSession {_PARAGRAPH}",
    "cycle": f"?sortCycle ?sortSession {_PARAGRAPH}",
    "state": f"?sortState ?sortCycle {_PARAGRAPH}",
    "response": f"?sortResponse DESC(?sortCycle) ?sortSession {_PARAGRAPH}",
}
SORT_TITLES = {"-cycle": "newest cycle first", "cycle": "oldest cycle first",
               "state": "state under review", "response": "response"}
DEFAULT_SORT = "-cycle"  # integers only: ordering by strings is slow in the store


def site():
    """The application's site: settings, IRIs, the query workers."""
    return current_app.extensions["uprgraph"]


@dataclass(frozen=True)
class Filters:
    """The search's state, exactly as the URL says it (shareable, bookmarkable)."""

    chosen: tuple[tuple[str, str], ...] = ()
    text: str = ""
    review: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_args(cls, args) -> Filters:
        chosen = []
        for f in FACETS:
            value = (args.get(f.key) or "").strip()
            if value:
                _term(f, value)  # refuses a bad value with a 400 now
                chosen.append((f.key, value))
        sort = args.get("sort") or DEFAULT_SORT
        if sort not in SORTS:
            raise WebError(400, f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        try:
            page = int(args.get("page") or 1)
        except ValueError:
            raise WebError(400, "page must be a whole number") from None
        if page < 1 or page > 100_000:
            raise WebError(400, "page must be between 1 and 100000")
        text = (args.get("q") or "").strip()[:200]
        return cls(tuple(chosen), text, args.get("review") or "", sort, page)

    def params(self, **change: object) -> dict[str, str]:
        """URL parameters of this search, with some changed (None removes one)."""
        out: dict[str, object] = {"q": self.text or None, **dict(self.chosen),
                                  "review": self.review or None,
                                  "sort": self.sort if self.sort != DEFAULT_SORT else None,
                                  "page": self.page if self.page != 1 else None}
        out.update(change)
        return {k: str(v) for k, v in out.items() if v not in (None, "")}

    def query_string(self, **change: object) -> str:
        return urlencode(self.params(**change))

    def rec_only(self) -> bool:
        """True when a filter already says ?rec is a recommendation."""
        return bool(self.text) or any(BY_KEY[k].rec_only for k, _ in self.chosen)

    def selective(self) -> bool:
        """True when a filter leaves few recommendations (one state's, one review's): the
        store then does best looking each one up, rather than scanning every one."""
        return bool(self.review) or any(k in SELECTIVE for k, _ in self.chosen)

    def sparql(self) -> str:
        """The filters on ?rec. Unless :meth:`selective`, each is its own sub-select: the
        store evaluates each once and joins them by hashing, where nested lookups per
        recommendation cost seconds."""
        lines = [BY_KEY[k].pattern(_term(BY_KEY[k], v)) for k, v in self.chosen]
        if not self.rec_only():
            lines.insert(0, "?rec a upr:Recommendation .")
        if self.review:
            lines.append(f"?rec upr:review {named.iri(self.review)} .")
        if self.text:
            lines.append("?rec upr:text ?_text . FILTER(CONTAINS(LCASE(STR(?_text)), "
                         f"{named.literal(self.text.lower())}))")
        if self.selective():
            return "\n  ".join(lines)
        # no DISTINCT: every query counts or selects DISTINCT ?rec (a fifth less store time)
        return "\n  ".join(f"{{ SELECT ?rec WHERE {{ {line} }} }}" for line in lines)


def _term(facet: Facet, value: str) -> str:
    """A URL value as a SPARQL term: IRIs are written relative to the data's base."""
    if facet.kind == "int" or facet.kind == "sdg":
        if not re.fullmatch(r"\d{1,6}", value):
            raise WebError(400, f"{facet.key} must be a number, not {value!r}")
        return value
    base = site().iris.base
    iri = value if re.match(r"https?://", value) else base + value
    if re.search(r'[\x00-\x20<>"{}|^`\\]', iri):
        raise WebError(400, f"{facet.key}: {value!r} is not an IRI")
    return f"<{iri}>"


def short(facet: Facet, value: named.Value) -> str:
    """A facet value as it goes into the URL: IRIs of this dataset relative to its base."""
    v = value.value
    if facet.kind == "sdg":
        return v.removeprefix("Goal ")
    base = site().iris.base
    return v[len(base):] if v.startswith(base) else v


#: what a sort needs beyond cycle, session and paragraph (string keys: asked only when chosen)
SORT_PATTERNS = {
    "state": ("?sortState", "{ SELECT ?rv ?sortState "
                            "WHERE { ?rv upr:stateUnderReview/rdfs:label ?sortState } }"),
    "response": ("?sortResponse", "OPTIONAL { SELECT ?rec ?sortResponse "
                                  "WHERE { ?rec upr:response/skos:prefLabel ?sortResponse } }"),
}


def rows_query(filters: Filters, *, page: int | None) -> str:
    slice_ = "" if page is None else f"LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}"
    variables, patterns = SORT_PATTERNS.get(filters.sort, ("", ""))
    return named.query("search-rows", filters=filters.sparql(), order=SORTS[filters.sort],
                       slice=slice_, sortVariables=variables, sortPatterns=patterns)


def count_query(filters: Filters) -> str:
    return named.query("search-count", filters=filters.sparql())


def facets_queries(filters: Filters) -> dict[str, str]:
    """Two queries for every facet (the review's and the recommendation's own), each
    evaluating the filters once, not once per facet; they run side by side."""
    few, where = filters.selective(), filters.sparql()

    def part(f: Facet) -> str:
        pattern = f.path if few and f.path else f.binds
        binds = f"{pattern}\n        BIND({named.literal(f.key)} AS ?facet)"
        if f.of_review:
            return f"{{ {binds} }}"
        if few:  # the few recommendations first, each looked up
            return f"{{ {where}\n        {binds} }}"
        return f"{{ SELECT ?rec ?value ?facet WHERE {{ {binds} }} }}"

    out = {}
    for name, review in (("search-facets-review", True), ("search-facets", False)):
        parts = "\n      UNION\n      ".join(part(f) for f in FACETS if f.of_review == review)
        out[name] = named.query(name, filters="" if few and not review else where, facets=parts,
                                reviews=REVIEW_OF_FEW if few else REVIEW_OF_MANY)
    return out


def results(filters: Filters) -> dict:
    """One page of rows and the total (two queries, run side by side)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    texts = {"rows": rows_query(filters, page=filters.page), "count": count_query(filters)}
    return _results(filters, texts, _run_all(app, texts))


def page(filters: Filters) -> tuple[dict, dict]:
    """The search page: its rows, total and facet counts (three queries, side by side)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    facet_texts = facets_queries(filters)
    texts = {"rows": rows_query(filters, page=filters.page), "count": count_query(filters),
             **facet_texts}
    answers = _run_all(app, texts)
    counts = [row for name in facet_texts for row in answers[name]]
    return _results(filters, texts, answers), _facets(filters, facet_texts, counts)


def _results(filters: Filters, texts: dict[str, str], answers: dict[str, list]) -> dict:
    total = int(str(answers["count"][0]["recommendations"])) if answers["count"] else 0
    pages = max(1, -(-total // PAGE_SIZE))
    return {"rows": answers["rows"], "total": total, "page": filters.page, "pages": pages,
            "query": texts["rows"], "all_query": rows_query(filters, page=None)}


def _facets(filters: Filters, texts: dict[str, str], rows: list[named.Row]) -> dict:
    """Counts per value of every facet (the most frequent first, at most FACET_LIMIT)."""
    chosen = dict(filters.chosen)
    out = []
    for f in FACETS:
        mine = [r for r in rows if "value" in r and str(r["facet"]) == f.key][:FACET_LIMIT]
        values = [{"value": short(f, r["value"]),
                   "label": str(r.get("valueLabel") or _label(f, r["value"])),
                   "count": r["recommendations"],
                   "chosen": chosen.get(f.key) == short(f, r["value"])} for r in mine]
        out.append({"facet": f, "values": values, "chosen": chosen.get(f.key)})
    return {"facets": out, "queries": texts}


def _label(facet: Facet, value: named.Value) -> str:
    return value.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _run_all(app, texts: dict[str, str]) -> dict[str, list[named.Row]]:
    """Run several page queries at once on the worker pool (each in its own thread)."""
    def one(text: str) -> list[named.Row]:
        with app.app_context():
            return named.run(text)

    workers = max(1, min(len(texts), site().settings.query_workers or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {k: pool.submit(one, t) for k, t in texts.items()}
        return {k: f.result() for k, f in futures.items()}
