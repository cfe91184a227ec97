"""UN documents: symbols, their type and session, and their page on undocs.org.

A UN document symbol is a series of ``/``-separated parts that starts with the
body's letters: ``A/HRC/43/15`` (Human Rights Council, 43rd session, document
15), ``A/HRC/43/15/Add.1`` (its addendum), ``A/HRC/WG.6/34/SVN/1`` (the
national report for the 34th Working Group session).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from ..iris import IRIs

#: a well-formed symbol (the same rule as shapes/links.ttl)
SYMBOL_PATTERN = r"^[A-Z]{1,10}(/[A-Za-z0-9][A-Za-z0-9.()-]*)+$"
_SYMBOL = re.compile(SYMBOL_PATTERN)
_ADDENDUM = re.compile(r"/Add\.\d+$")
_HRC_SESSION = re.compile(r"^A/HRC/(\d+)/")
_WG_SESSION = re.compile(r"^A/HRC/WG\.6/(\d+)/")
_POSITION = re.compile(
    r"^\s*(?P<symbol>[A-Z]{1,10}(?:/[A-Za-z0-9][A-Za-z0-9.()-]*)+)"
    r"(?:\s*[-–,]\s*Para(?:graph)?s?\.?\s*(?P<paragraph>[0-9][0-9.]*))?\s*$",
    re.I,
)


class SymbolError(ValueError):
    """Text that is not a UN document symbol."""


def normalise(symbol: str) -> str:
    """A symbol without spaces around its slashes; raise :class:`SymbolError` if malformed."""
    cleaned = re.sub(r"\s*/\s*", "/", symbol.strip())
    if not _SYMBOL.match(cleaned):
        raise SymbolError(f"not a UN document symbol: {symbol!r}")
    return cleaned


def is_well_formed(symbol: str) -> bool:
    return bool(_SYMBOL.match(symbol))


@dataclass(frozen=True)
class Position:
    """Where a state's position on a recommendation is given: document and paragraph."""

    symbol: str
    paragraph: str | None


def parse_position_source(text: str) -> Position:
    """``A/HRC/43/15/Add.1 - Para.3`` -> Position("A/HRC/43/15/Add.1", "3")."""
    match = _POSITION.match(text)
    if not match:
        raise SymbolError(f"not a document symbol with an optional paragraph: {text!r}")
    return Position(normalise(match.group("symbol")), match.group("paragraph"))


def document_type(symbol: str, upr) -> URIRef | None:
    """The ontology's document type concept where the symbol tells it, else None.

    ``upr`` is the ontology namespace (``IRIs.upr``).
    """
    if _ADDENDUM.search(symbol):
        return upr.ReportAddendum
    if _HRC_SESSION.match(symbol) and symbol.count("/") == 3:
        # A/HRC/<session>/<number>: in the UPR's context, the Working Group's report
        return upr.WorkingGroupReport
    return None


def council_session(symbol: str) -> int | None:
    """The Human Rights Council session in the symbol (``A/HRC/43/15`` -> 43)."""
    match = _HRC_SESSION.match(symbol)
    return int(match.group(1)) if match else None


def working_group_session(symbol: str) -> int | None:
    """The UPR Working Group session (``A/HRC/WG.6/34/SVN/1`` -> 34)."""
    match = _WG_SESSION.match(symbol)
    return int(match.group(1)) if match else None


def describe_document(
    graph: Graph, iris: IRIs, symbol: str, *, date: str | None = None
) -> URIRef:
    """Add a UN document's node: type, symbol, undocs.org page, document type, session.

    The session is the Human Rights Council's (``upr:councilSession``), read from
    the symbol; ``date`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) only where a source gives it.
    """
    symbol = normalise(symbol)
    upr = iris.upr
    doc = iris.document(symbol)
    graph.add((doc, RDF.type, upr.UNDocument))
    graph.add((doc, upr.symbol, Literal(symbol)))
    graph.add((doc, FOAF.page, iris.undocs(symbol)))
    kind = document_type(symbol, upr)
    if kind is not None:
        graph.add((doc, upr.documentType, kind))
    session = council_session(symbol)
    if session is not None:
        graph.add((doc, upr.councilSession, Literal(session, datatype=XSD.integer)))
    if date:
        datatype = XSD.date if len(date) == 10 else XSD.gYearMonth if len(date) == 7 else XSD.gYear
        graph.add((doc, DCTERMS.date, Literal(date, datatype=datatype)))
    return doc


def enrich_documents(data: Graph, iris: IRIs) -> Graph:
    """What the symbols of the data's UN documents tell, as new triples (type, session).

    Meant for the build: the graph it returns holds only triples the data lacks.
    """
    upr = iris.upr
    derived = Graph()
    for doc, symbol in data.subject_objects(upr.symbol):
        if (doc, RDF.type, upr.UNDocument) not in data or not is_well_formed(str(symbol)):
            continue
        found = Graph()
        if iris.document(str(symbol)) != doc:
            continue
        describe_document(found, iris, str(symbol))
        for triple in found:
            if triple not in data and (triple[0], triple[1], None) not in data:
                derived.add(triple)
    return derived
