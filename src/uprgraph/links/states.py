"""ISO 3166-1 and UN M49 codes of the states, so that every state carries all three.

pycountry's numeric ISO 3166-1 codes equal the M49 codes for every UN member
and observer state. The importers set the codes when they mint a state; this
module fills in what a hand-written or older data file lacks (``enrich_states``)
and checks a release (``states_missing_codes``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pycountry
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ..iris import IRIs
from ..store.base import Store


@dataclass(frozen=True)
class StateCodes:
    iso2: str
    iso3: str
    m49: str


def codes_for(iso3: str) -> StateCodes | None:
    """The codes of the state with ISO 3166-1 alpha-3 ``iso3``, or None when ISO lacks it."""
    country = pycountry.countries.get(alpha_3=iso3.upper())
    if country is None:
        return None
    return StateCodes(country.alpha_2, country.alpha_3, country.numeric)


def _iso3_of(data: Graph, iris: IRIs, state: URIRef) -> str | None:
    stated = data.value(state, iris.upr.iso3)
    if stated is not None:
        return str(stated)
    path = iris.path_of(str(state)) or ""
    return path.rsplit("/", 1)[-1] if path.startswith("id/state/") else None


def enrich_states(data: Graph, iris: IRIs) -> Graph:
    """The ISO alpha-2/alpha-3 and M49 codes the data's states lack, as a new graph.

    A code the data already states is never replaced, even where it differs.
    """
    upr = iris.upr
    added = Graph()
    for state in sorted(set(data.subjects(RDF.type, upr.State)), key=str):
        if not isinstance(state, URIRef):
            continue
        iso3 = _iso3_of(data, iris, state)
        codes = codes_for(iso3) if iso3 else None
        if codes is None:
            continue
        for prop, value in ((upr.iso2, codes.iso2), (upr.iso3, codes.iso3), (upr.m49, codes.m49)):
            if data.value(state, prop) is None:
                added.add((state, prop, Literal(value)))
    return added


def states_missing_codes(store: Store, iris: IRIs) -> list[tuple[str, list[str]]]:
    """Each state of a release that lacks an ISO alpha-2, alpha-3 or M49 code, with what lacks."""
    upr = iris.upr
    query = f"""
        SELECT ?state (BOUND(?iso2) AS ?has2) (BOUND(?iso3) AS ?has3) (BOUND(?m49) AS ?hasM49)
        WHERE {{
          ?state a <{upr.State}> .
          OPTIONAL {{ ?state <{upr.iso2}> ?iso2 }}
          OPTIONAL {{ ?state <{upr.iso3}> ?iso3 }}
          OPTIONAL {{ ?state <{upr.m49}> ?m49 }}
        }}"""
    missing: dict[str, set[str]] = {}
    for row in store.query(query).rows():
        state = row["state"].value  # type: ignore[union-attr]
        for name, var in (("iso2", "has2"), ("iso3", "has3"), ("m49", "hasM49")):
            if row[var].value == "false":  # type: ignore[union-attr]
                missing.setdefault(state, set()).add(name)
        missing.setdefault(state, set())
    return sorted((s, sorted(m)) for s, m in missing.items() if m)
