"""The review page: what a reader of the seed's infographic wants, for any review.

Received / supported / noted with dates and UN documents; per theme the count as
the source words it, the progress and regression findings with their figures,
dates, places and sources; the conclusions; the recommendations, paged and
filterable. Each block is one named query of ``web/queries/``.
"""

from __future__ import annotations

import re
from collections import defaultdict

from . import named, search
from .named import Row


def theme_count_text(row: Row) -> str:
    """The count as the source states it: a number, a bound in words, or no number at all."""
    if "received" in row:
        return str(row["received"])
    if "moreThan" in row:
        return f"more than {row['moreThan']}"
    parts = [f"{row[k]} {k}" for k in ("supported", "noted") if k in row]
    if parts:
        return ", ".join(parts)
    # no number: the source's own quantifier ("many"), quoted from its sentence
    word = _QUANTIFIER.search(str(row.get("statement", "")))
    return f"“{word.group(0).lower()}”" if word else ""


_QUANTIFIER = re.compile(r"\b(many|several|numerous|a few|few|some|most|a number of)\b", re.I)


def figure(row: Row) -> dict[str, str]:
    """A figure for the page: the number as said, and what it counts."""
    return {"text": figure_text(row), "counts": str(row.get("counts", ""))}


def figure_text(row: Row) -> str:
    """A figure with its bound and unit, as a reader says it: "more than 300%"."""
    bound = {"AtLeast": "at least ", "MoreThan": "more than ", "Approximately": "approximately ",
             "Exact": ""}.get(str(row.get("bound", "")).rsplit("#", 1)[-1], "")
    value = row["value"].number
    shown = f"{value:,}" if isinstance(value, int) else str(row["value"])
    unit = str(row.get("unit", ""))
    counts = str(row.get("counts", ""))
    if unit == "percent":
        shown += "%"
    elif unit and not counts.startswith(unit):
        shown += f" {unit}"
    return bound + shown


def review_view(review_iri: str, args: dict[str, str]) -> dict:
    """Plain data for ``review.html``: every block with the query that answered it."""
    ask, queries = named.asker("review", review_iri)

    summary = ask("review-summary")
    if not summary:
        return {}
    documents = ask("review-documents")
    counts = ask("review-theme-counts")
    findings = ask("review-findings")
    figures: dict[str, list[dict]] = defaultdict(list)
    for row in ask("review-finding-figures"):
        figures[str(row["finding"])].append(figure(row))
    by_theme: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        by_theme[str(f["theme"])][str(f["directionLabel"])].append(
            {**f, "figures": figures.get(str(f["finding"]), [])})
    conclusions = [{**c, "figures": figures.get(str(c["conclusion"]), [])}
                   for c in ask("review-conclusions")]
    themes = [{**c, "count_text": theme_count_text(c),
               "findings": by_theme.pop(str(c["theme"]), {})} for c in counts]
    responses = ask("review-theme-responses")
    s = summary[0]
    filters = search.Filters.from_args({**args, "review": review_iri})
    results = search.results(filters) if int(str(s["countedReceived"])) else None
    return {
        "summary": s,
        "title": str(s.get("label") or f"{s.get('stateLabel', '')}, cycle {s['cycle']}"),
        "documents": documents,
        "themes": themes,
        "conclusions": conclusions,
        "responses": responses,
        "results": results,
        "filters": filters,
        "queries": queries,
    }
