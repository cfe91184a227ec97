"""The one place that mints IRIs and maps IRIs to the server's URLs.

Every IRI of the data hangs off one configurable base. Importers and graph
builders never format an IRI string themselves: they call an :class:`IRIs`
method, so the same input always yields the same IRI, and the whole scheme can
be read on one page:

    {base}id/state/KHM                         a state (ISO 3166-1 alpha-3)
    {base}id/review/KHM/3                      state under review, cycle
    {base}id/recommendation/KHM/3/110.1        paragraph of the outcome report
    {base}id/scheme/{scheme}                   a SKOS concept scheme
    {base}id/theme/{scheme}/{code}             a concept of that scheme
    {base}id/concept/{scheme}/{code}           a concept of a non-theme scheme (regional groups)
    {base}id/finding/{source}/{local}          evidence about implementation
    {base}id/finding/{source}/{local}/q1       a quantity a finding states
    {base}id/mechanism/{slug}                  a review mechanism (the UPR)
    {base}id/place/KHM/{slug}                  a place within a state
    {base}id/cube/{slug}                       a Data Cube data set (theme counts)
    {base}id/cube/{slug}/{local}               one observation of that data set
    {base}id/source/{slug}                     a report that findings come from
    {base}id/organisation/{slug}               a publisher or assessor
    {base}id/import/{name}                     a file brought in by `uprgraph import`
    {base}id/document/A/HRC/41/17/Add.1        a UN document, by its symbol
    {base}id/m49/034                           a UN M49 area (region, sub-region)
    {base}id/link/{kind}/{hash}                a computed link (recurrence, match, suggestion)
    {base}id/linking/{method}/{hash}           the run of a linking method (a PROV activity)
    {base}id/dataset/uprgraph/linkset/{target}/{predicate}   a VoID linkset
    {base}graph/{kind}/{name}                  a named graph of the release
    {base}graph/void                           the release's own VoID/DCAT description
    {base}def/upr#Term                         the ontology
    {base}sparql, {base}dumps/{file}           the endpoint and the dumps
    {base}doc/...                              documents about /id/ things
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from rdflib import Namespace, URIRef

DEFAULT_BASE = "http://localhost:8080/"

SDG = Namespace("http://metadata.un.org/sdg/")
UNDOCS = "https://undocs.org/"
WIKIDATA = Namespace("http://www.wikidata.org/entity/")
GEONAMES = "https://sws.geonames.org/"

_SAFE_SEGMENT = re.compile(r"[^A-Za-z0-9._~-]+")
_SDG_CODE = re.compile(r"^(?:[1-9]|1[0-7])(?:\.(?:[1-9][0-9]?|[a-z]))?$")


def slug(text: str) -> str:
    """A lower-case, ASCII, URL-safe segment for a free-text name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SAFE_SEGMENT.sub("-", ascii_text.strip().lower()).strip("-") or "x"


def segment(text: str) -> str:
    """A code kept as it is (case and dots), only unsafe characters replaced."""
    cleaned = _SAFE_SEGMENT.sub("-", text.strip()).strip("-")
    if not cleaned:
        raise ValueError(f"cannot mint an IRI segment from {text!r}")
    return cleaned


def normalise_base(base: str) -> str:
    if not re.match(r"^https?://[^/]+", base):
        raise ValueError(f"base IRI must be an absolute http(s) IRI, got {base!r}")
    return base if base.endswith("/") else base + "/"


@dataclass(frozen=True)
class IRIs:
    """Mints the IRIs of one deployment, all under ``base``."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", normalise_base(self.base))

    # -- vocabulary -------------------------------------------------------
    @property
    def ontology(self) -> URIRef:
        return URIRef(self.base + "def/upr")

    @property
    def upr(self) -> Namespace:
        """The ontology's namespace, ``{base}def/upr#``."""
        return Namespace(self.base + "def/upr#")

    @property
    def shapes(self) -> URIRef:
        return URIRef(self.base + "def/shapes")

    # -- things -----------------------------------------------------------
    def _id(self, *parts: str) -> URIRef:
        return URIRef(self.base + "id/" + "/".join(parts))

    def state(self, iso3: str) -> URIRef:
        if not re.fullmatch(r"[A-Za-z]{3}", iso3):
            raise ValueError(f"not an ISO 3166-1 alpha-3 code: {iso3!r}")
        return self._id("state", iso3.upper())

    def review(self, iso3: str, cycle: int) -> URIRef:
        return self._id("review", iso3.upper(), str(int(cycle)))

    def recommendation(self, iso3: str, cycle: int, local_id: str) -> URIRef:
        """``local_id`` is the paragraph number (``110.1``) or a derived stable id."""
        return self._id("recommendation", iso3.upper(), str(int(cycle)), segment(local_id))

    def scheme(self, scheme: str) -> URIRef:
        return self._id("scheme", slug(scheme))

    def theme(self, scheme: str, code: str) -> URIRef:
        return self._id("theme", slug(scheme), segment(code))

    def finding(self, source: str, local_id: str) -> URIRef:
        return self._id("finding", slug(source), segment(local_id))

    def quantity(self, source: str, local_id: str, n: int) -> URIRef:
        """The ``n``-th figure (1-based) a finding states, below the finding's IRI."""
        return URIRef(f"{self.finding(source, local_id)}/q{int(n)}")

    def concept(self, scheme: str, code: str) -> URIRef:
        """A concept of a scheme that is not a theme vocabulary (e.g. regional groups)."""
        return self._id("concept", slug(scheme), segment(code))

    def mechanism(self, name: str) -> URIRef:
        return self._id("mechanism", slug(name))

    def place(self, iso3: str, name: str) -> URIRef:
        """A place within the state ``iso3``."""
        return self._id("place", iso3.upper(), slug(name))

    def cube(self, name: str) -> URIRef:
        """A Data Cube data set, such as the theme counts one source states."""
        return self._id("cube", slug(name))

    def observation(self, cube: str, local_id: str) -> URIRef:
        return URIRef(f"{self.cube(cube)}/{segment(local_id)}")

    def source(self, name: str) -> URIRef:
        return self._id("source", slug(name))

    def imported(self, name: str) -> URIRef:
        """A file brought in by ``uprgraph import`` (``{base}id/import/{name}``)."""
        return self._id("import", slug(name))

    def organisation(self, name: str) -> URIRef:
        return self._id("organisation", slug(name))

    def assessment(self, source: str, local_id: str) -> URIRef:
        return self._id("assessment", slug(source), segment(local_id))

    def document(self, symbol: str) -> URIRef:
        """A UN document by its symbol; each ``/``-separated part kept as a segment."""
        parts = [segment(p) for p in symbol.strip().split("/") if p.strip()]
        if not parts:
            raise ValueError(f"empty UN document symbol: {symbol!r}")
        return self._id("document", *parts)

    def m49_area(self, code: str) -> URIRef:
        """A UN M49 region, sub-region or intermediate region (``{base}id/m49/034``)."""
        code = code.strip()
        if not re.fullmatch(r"[0-9]{3}", code):
            raise ValueError(f"not a three-digit UN M49 code: {code!r}")
        return self._id("m49", code)

    def link(self, kind: str, *keys: str) -> URIRef:
        """A computed link between ``keys`` (IRIs, a concept...): same keys, same IRI."""
        digest = hashlib.sha1("|".join(keys).encode("utf-8")).hexdigest()[:16]
        return self._id("link", slug(kind), digest)

    def linking_run(self, method: str, key: str) -> URIRef:
        """One run of a linking method; ``key`` identifies its version, parameters, inputs."""
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
        return self._id("linking", slug(method), digest)

    def linkset(self, target: str, predicate: str) -> URIRef:
        """A VoID linkset of the dataset: links to ``target`` with ``predicate`` (local name)."""
        return URIRef(f"{self.dataset()}/linkset/{slug(target)}/{segment(predicate)}")

    def graph(self, kind: str, name: str) -> URIRef:
        return URIRef(f"{self.base}graph/{slug(kind)}/{slug(name)}")

    @property
    def description_graph(self) -> URIRef:
        """The named graph holding the release's VoID/DCAT description (queryable by SPARQL)."""
        return URIRef(self.base + "graph/void")

    def dataset(self) -> URIRef:
        return URIRef(self.base + "id/dataset/uprgraph")

    # -- service URLs (the server answers them under the same base) --------
    @property
    def sparql_endpoint(self) -> URIRef:
        return URIRef(self.base + "sparql")

    @property
    def void(self) -> URIRef:
        return URIRef(self.base + ".well-known/void")

    def dump(self, file_name: str) -> URIRef:
        return URIRef(self.base + "dumps/" + file_name)

    # -- outside namespaces -----------------------------------------------
    @staticmethod
    def sdg(code: str) -> URIRef:
        """A UN SDG KOS goal or target IRI (``16``, ``16.10``, ``16.a``)."""
        code = code.strip()
        if not _SDG_CODE.match(code):
            raise ValueError(f"not an SDG goal or target code: {code!r}")
        return SDG[code]

    @staticmethod
    def undocs(symbol: str) -> URIRef:
        return URIRef(UNDOCS + symbol.strip())

    @staticmethod
    def wikidata(qid: str) -> URIRef:
        """A Wikidata item (``Q218``)."""
        qid = qid.strip()
        if not re.fullmatch(r"Q[1-9][0-9]*", qid):
            raise ValueError(f"not a Wikidata item id: {qid!r}")
        return WIKIDATA[qid]

    @staticmethod
    def geonames(geonames_id: str) -> URIRef:
        """A GeoNames feature, in the form GeoNames' own RDF uses (trailing slash)."""
        geonames_id = geonames_id.strip()
        if not re.fullmatch(r"[1-9][0-9]*", geonames_id):
            raise ValueError(f"not a GeoNames id: {geonames_id!r}")
        return URIRef(f"{GEONAMES}{geonames_id}/")

    # -- IRI <-> URL -------------------------------------------------------
    def is_local(self, iri: str) -> bool:
        return iri.startswith(self.base)

    def path_of(self, iri: str) -> str | None:
        """The path of a local IRI relative to the base (``id/state/KHM``), else None."""
        return iri[len(self.base):] if self.is_local(iri) else None

    def from_path(self, path: str) -> URIRef:
        return URIRef(self.base + path.lstrip("/"))

    def document_path(self, iri: str) -> str | None:
        """``id/...`` -> ``doc/...``: where the description of a thing lives."""
        path = self.path_of(iri)
        if path is None or not path.startswith("id/"):
            return None
        return "doc/" + path[len("id/"):]

    def thing_of_document(self, doc_path: str) -> URIRef | None:
        if not doc_path.startswith("doc/"):
            return None
        return self.from_path("id/" + doc_path[len("doc/"):])
