"""``uprgraph links fetch-wikidata``: owl:sameAs from the states to Wikidata and GeoNames.

The mapping is fetched once from a SPARQL endpoint (Wikidata's by default) with
SPARQLWrapper and written to ``data/links/wikidata.ttl``; builds then use that
file offline, keeping only the links of states the data describes. A build
without the file simply has no such links.
"""

from __future__ import annotations

import re
import urllib.error
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import OWL
from SPARQLWrapper import JSON, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .. import __version__
from ..iris import IRIs
from .turtle import relative_turtle

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
DEFAULT_OUTPUT = Path("data/links/wikidata.ttl")
USER_AGENT = f"uprgraph/{__version__} (UPR Linked Data; state code mapping)"

#: items with an ISO 3166-1 alpha-3 code (P298), their GeoNames id (P1566) if any,
#: whether they are a country or sovereign state, and whether they were dissolved (P576)
QUERY = """
PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?item ?iso3 ?geonames ?country ?dissolved WHERE {
  ?item wdt:P298 ?iso3 .
  OPTIONAL { ?item wdt:P1566 ?geonames }
  BIND(EXISTS { ?item wdt:P31 ?kind FILTER(?kind IN (wd:Q6256, wd:Q3624078)) } AS ?country)
  BIND(EXISTS { ?item wdt:P576 ?end } AS ?dissolved)
}
"""

_QID = re.compile(r"^http://www\.wikidata\.org/entity/(Q[1-9][0-9]*)$")


class FetchError(RuntimeError):
    """The mapping could not be fetched; the message says from where and why."""


@dataclass
class Candidate:
    qid: str
    country: bool
    dissolved: bool
    geonames: set[str] = field(default_factory=set)

    def rank(self) -> tuple[bool, bool, int]:
        """Current countries first, then the oldest (lowest) item number."""
        return (self.dissolved, not self.country, int(self.qid[1:]))


@dataclass(frozen=True)
class Mapping:
    iso3: str
    qid: str
    geonames: tuple[str, ...]


def run_query(endpoint: str, timeout: float = 60.0) -> list[dict]:
    """The SELECT bindings of :data:`QUERY` at ``endpoint``."""
    client = SPARQLWrapper(endpoint, agent=USER_AGENT)
    client.setQuery(QUERY)
    client.setReturnFormat(JSON)
    client.setTimeout(int(timeout))
    try:
        result = client.queryAndConvert()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{endpoint} answered HTTP {exc.code} {exc.reason}") from exc
    except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot reach the SPARQL endpoint {endpoint}: {reason}") from exc
    except SPARQLWrapperException as exc:
        raise FetchError(f"{endpoint} refused the query: {exc}") from exc
    if not isinstance(result, dict) or "results" not in result:
        raise FetchError(f"{endpoint} did not answer with SPARQL JSON results")
    return result["results"]["bindings"]


def _truthy(binding: dict | None) -> bool:
    return bool(binding) and binding["value"] in ("true", "1")


def choose(bindings: list[dict]) -> list[Mapping]:
    """One Wikidata item per ISO alpha-3 code (current countries before others)."""
    by_code: dict[str, dict[str, Candidate]] = {}
    for row in bindings:
        iso3 = row.get("iso3", {}).get("value", "").strip().upper()
        match = _QID.match(row.get("item", {}).get("value", ""))
        if not match or not re.fullmatch(r"[A-Z]{3}", iso3):
            continue
        qid = match.group(1)
        candidate = by_code.setdefault(iso3, {}).setdefault(
            qid, Candidate(qid, _truthy(row.get("country")), _truthy(row.get("dissolved"))))
        geonames = row.get("geonames", {}).get("value", "").strip()
        if re.fullmatch(r"[1-9][0-9]*", geonames):
            candidate.geonames.add(geonames)
    mappings = []
    for iso3, candidates in sorted(by_code.items()):
        best = min(candidates.values(), key=Candidate.rank)
        mappings.append(Mapping(iso3, best.qid, tuple(sorted(best.geonames, key=int))))
    return mappings


def mapping_graph(mappings: list[Mapping], iris: IRIs) -> Graph:
    g = Graph()
    for m in mappings:
        state = iris.state(m.iso3)
        g.add((state, OWL.sameAs, iris.wikidata(m.qid)))
        for geonames_id in m.geonames:
            g.add((state, OWL.sameAs, iris.geonames(geonames_id)))
    return g


def fetch(iris: IRIs, output: Path, endpoint: str = WIKIDATA_ENDPOINT,
          timeout: float = 60.0) -> list[Mapping]:
    """Query ``endpoint`` and write the mapping to ``output`` (relative IRIs)."""
    mappings = choose(run_query(endpoint, timeout))
    if not mappings:
        raise FetchError(f"{endpoint} returned no item with an ISO 3166-1 alpha-3 code "
                         "(wdt:P298); nothing was written")
    fetched = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    header = (f"owl:sameAs links of the states to Wikidata items and GeoNames features,\n"
              f"fetched from {endpoint} on {fetched} by `uprgraph links fetch-wikidata`\n"
              f"({len(mappings)} ISO 3166-1 alpha-3 codes). Re-run the command to refresh.")
    text = relative_turtle(mapping_graph(mappings, iris), iris.base, {"owl": str(OWL)}, header)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    return mappings
