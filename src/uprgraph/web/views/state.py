"""The state page: its reviews across cycles, what it received and what it made."""

from __future__ import annotations

from . import named, search


def state_view(state_iri: str, args) -> dict:
    """Plain data for ``state.html``; an empty dict when the IRI is not a state."""
    ask, queries = named.asker("state", state_iri)

    summary = ask("state-summary")
    if not summary:
        return {}
    responses = ask("state-responses")
    received = [r for r in responses if str(r["direction"]) == "received"]
    made = [r for r in responses if str(r["direction"]) == "made"]
    iso3 = str(summary[0].get("iso3") or state_iri.rsplit("/", 1)[-1])
    filters = search.Filters.from_args({**args, "sur": "id/state/" + iso3})
    results = search.results(filters) if received else None
    return {
        "summary": summary[0],
        "title": str(summary[0].get("label") or iso3),
        "iso3": iso3,
        "cycles": ask("state-cycles"),
        "received": received,
        "made": made,
        "themes": ask("state-themes") if received else [],
        "groups": ask("state-groups") if received else [],
        "results": results,
        "filters": filters,
        "queries": queries,
    }
