"""Recommendation, theme, finding and source pages: what a reader asks of each, one named
query a block."""

from __future__ import annotations

from collections import defaultdict

from . import named, review, search


def recommendation_view(iri: str) -> dict:
    """Text, states, response, themes, SDGs, source, statuses over time, findings."""
    ask, queries = named.asker("rec", iri)
    main = ask("recommendation")
    if not main:
        return {}
    terms: dict[str, list] = defaultdict(list)
    for row in ask("recommendation-terms"):
        terms[str(row["kind"])].append(row)
    assessments = ask("recommendation-assessments")
    r = main[0]
    return {
        "rec": r,
        "title": f"Recommendation {r.get('paragraph') or ''} to {r.get('stateLabel', '')}",
        "terms": dict(terms),
        "assessments": assessments,
        "latest": assessments[0] if assessments else None,
        "findings": ask("recommendation-findings"),
        "queries": queries,
    }


def theme_view(iri: str, args) -> dict:
    """Label, scheme, mappings (other schemes, SDGs), counts and findings across reviews."""
    ask, queries = named.asker("theme", iri)
    main = ask("theme")
    if not main:
        return {}
    base = search.site().iris.base
    short = iri[len(base):] if iri.startswith(base) else iri
    filters = search.Filters.from_args({**args, "theme": short})
    t = main[0]
    return {
        "theme": t,
        "title": str(t["label"]),
        "mappings": ask("theme-mappings"),
        "reviews": ask("theme-reviews"),
        "findings": ask("theme-findings"),
        "results": search.results(filters) if t["recommendations"].number else None,
        "filters": filters,
        "queries": queries,
    }


def finding_view(iri: str) -> dict:
    """Review and theme it bears on, direction, headline, statement, figures with their bound,
    dates or period, places, source with its link, and the recommendations it bears on."""
    ask, queries = named.asker("finding", iri)
    main = ask("finding")
    if not main:
        return {}
    f = main[0]
    kind = str(f["kind"]).rsplit("#", 1)[-1]
    return {
        "finding": f,
        "kind": kind,
        "title": str(f["headline"]),
        "reviews": ask("finding-reviews"),
        "figures": [review.figure(row) for row in ask("finding-figures")],
        "recommendations": ask("finding-recommendations"),
        "queries": queries,
    }


def source_view(iri: str) -> dict:
    """What the source is (title, publisher, date, subject, where to read it) and what cites
    it: counts by kind, and its findings and conclusions one by one."""
    ask, queries = named.asker("source", iri)
    main = ask("source")
    if not main:
        return {}
    s = main[0]
    return {
        "source": s,
        "title": str(s.get("title") or s["label"]),
        "citations": ask("source-citations"),
        "findings": ask("source-findings"),
        "queries": queries,
    }
