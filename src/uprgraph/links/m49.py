"""The ISO 3166 / UN M49 table (``iso3166-m49.csv``) as SKOS and as links of the states.

``uprgraph vocab add iso3166-m49.csv`` writes two files:

- ``vocabularies/<name>.ttl``: the concept scheme ``{base}id/scheme/m49`` with the
  world, its regions, sub-regions and intermediate regions as concepts
  (``{base}id/m49/150``), each ``skos:broader`` the area containing it, with its
  English label and its code as ``skos:notation``;
- ``data/links/<name>.ttl``: for each country, ``upr:iso2``, ``upr:iso3``, ``upr:m49``
  and ``schema:containedInPlace`` the smallest M49 area it lies in. Like any
  file under ``data/links/``, the build keeps only the triples of states that
  the data describes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, Namespace
from rdflib.namespace import DCTERMS, RDF, SKOS

from ..iris import IRIs

SCHEMA = Namespace("https://schema.org/")
SCHEME_NAME = "m49"
WORLD = ("001", "World")
REQUIRED_COLUMNS = ("name", "alpha-2", "alpha-3", "country-code", "region", "sub-region",
                    "region-code", "sub-region-code")


class M49Error(ValueError):
    """A CSV file that is not the ISO 3166 / M49 table."""


@dataclass(frozen=True)
class Area:
    code: str
    label: str
    parent: str | None


@dataclass(frozen=True)
class Country:
    name: str
    iso2: str
    iso3: str
    m49: str
    #: the smallest M49 area the country lies in (None: Antarctica and the like)
    area: str | None


def is_m49_table(path: Path) -> bool:
    """Whether ``path`` is a CSV file with the columns of the ISO 3166 / M49 table."""
    if path.suffix.lower() != ".csv":
        return False
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    return all(c in header for c in REQUIRED_COLUMNS)


def _code(raw: str) -> str | None:
    raw = (raw or "").strip()
    return raw.zfill(3) if raw.isdigit() else None


def read_table(path: Path) -> tuple[dict[str, Area], list[Country]]:
    """Areas by code (world, regions, sub-regions, intermediate regions) and countries."""
    if not is_m49_table(path):
        columns = ", ".join(REQUIRED_COLUMNS)
        raise M49Error(f"{path}: not the ISO 3166 / M49 table (columns {columns})")
    areas: dict[str, Area] = {WORLD[0]: Area(WORLD[0], WORLD[1], None)}
    countries: list[Country] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            m49 = _code(row["country-code"])
            iso2, iso3 = row["alpha-2"].strip(), row["alpha-3"].strip()
            if not m49 or len(iso2) != 2 or len(iso3) != 3:
                raise M49Error(f"{path}, line {line}: incomplete codes {iso2!r} {iso3!r} {m49!r}")
            parent = WORLD[0]
            smallest = None
            for level in ("region", "sub-region", "intermediate-region"):
                code = _code(row.get(f"{level}-code", ""))
                label = (row.get(level) or "").strip()
                if not code or not label:
                    continue
                areas.setdefault(code, Area(code, label, parent))
                parent = smallest = code
            countries.append(Country(row["name"].strip(), iso2, iso3, m49, smallest))
    return areas, countries


def scheme_graph(areas: dict[str, Area], iris: IRIs, source: str) -> Graph:
    """The M49 areas as a SKOS concept scheme."""
    g = Graph()
    scheme = iris.scheme(SCHEME_NAME)
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, SKOS.prefLabel, Literal("UN M49 geographic regions", lang="en")))
    g.add((scheme, DCTERMS.source, Literal(source)))
    for area in areas.values():
        iri = iris.m49_area(area.code)
        g.add((iri, RDF.type, SKOS.Concept))
        g.add((iri, SKOS.inScheme, scheme))
        g.add((iri, SKOS.prefLabel, Literal(area.label, lang="en")))
        g.add((iri, SKOS.notation, Literal(area.code)))
        if area.parent is None:
            g.add((iri, SKOS.topConceptOf, scheme))
            g.add((scheme, SKOS.hasTopConcept, iri))
        else:
            g.add((iri, SKOS.broader, iris.m49_area(area.parent)))
            g.add((iris.m49_area(area.parent), SKOS.narrower, iri))
    return g


def state_links_graph(countries: list[Country], iris: IRIs) -> Graph:
    """Codes of every country, and the M49 area it lies in."""
    upr = iris.upr
    g = Graph()
    for country in countries:
        state = iris.state(country.iso3)
        g.add((state, upr.iso2, Literal(country.iso2)))
        g.add((state, upr.iso3, Literal(country.iso3)))
        g.add((state, upr.m49, Literal(country.m49)))
        if country.area:
            g.add((state, SCHEMA.containedInPlace, iris.m49_area(country.area)))
    return g
