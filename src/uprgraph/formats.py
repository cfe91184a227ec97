"""The one table of formats: media types, file extensions, rdflib and pyoxigraph names.

Everything that reads, writes or negotiates RDF or SPARQL results looks its
format up here; content negotiation uses Werkzeug's Accept parser (q-values and
wildcards) rather than a hand-written one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    """One serialisation: ``kind`` is ``rdf`` (graphs), ``results`` (SELECT/ASK) or ``html``."""

    name: str
    kind: str
    media_type: str
    extensions: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    rdflib: str | None = None
    oxigraph_rdf: ox.RdfFormat | None = None
    oxigraph_results: ox.QueryResultsFormat | None = None
    #: can carry named graphs (N-Quads, TriG, JSON-LD)
    datasets: bool = False

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


FORMATS: tuple[Format, ...] = (
    Format("turtle", "rdf", "text/turtle", (".ttl",), ("application/x-turtle",),
           rdflib="turtle", oxigraph_rdf=ox.RdfFormat.TURTLE),
    Format("ntriples", "rdf", "application/n-triples", (".nt",), ("text/plain",),
           rdflib="nt", oxigraph_rdf=ox.RdfFormat.N_TRIPLES),
    Format("rdfxml", "rdf", "application/rdf+xml", (".rdf", ".owl", ".xml"),
           rdflib="xml", oxigraph_rdf=ox.RdfFormat.RDF_XML),
    Format("jsonld", "rdf", "application/ld+json", (".jsonld", ".json-ld"),
           rdflib="json-ld", oxigraph_rdf=ox.RdfFormat.JSON_LD, datasets=True),
    Format("nquads", "rdf", "application/n-quads", (".nq",), ("text/x-nquads",),
           rdflib="nquads", oxigraph_rdf=ox.RdfFormat.N_QUADS, datasets=True),
    Format("trig", "rdf", "application/trig", (".trig",), ("application/x-trig",),
           rdflib="trig", oxigraph_rdf=ox.RdfFormat.TRIG, datasets=True),
    Format("json", "results", "application/sparql-results+json", (".srj",),
           ("application/json",), oxigraph_results=ox.QueryResultsFormat.JSON),
    Format("xml", "results", "application/sparql-results+xml", (".srx",),
           ("application/xml",), oxigraph_results=ox.QueryResultsFormat.XML),
    Format("csv", "results", "text/csv", (".csv",), oxigraph_results=ox.QueryResultsFormat.CSV),
    Format("tsv", "results", "text/tab-separated-values", (".tsv",),
           oxigraph_results=ox.QueryResultsFormat.TSV),
    Format("html", "html", "text/html", (".html", ".htm"), ("application/xhtml+xml",)),
)

BY_NAME = {f.name: f for f in FORMATS}
RDF_FORMATS = tuple(f for f in FORMATS if f.kind == "rdf")
RESULT_FORMATS = tuple(f for f in FORMATS if f.kind == "results")


class UnknownFormat(ValueError):
    """A file or name that no known format matches."""


def by_name(name: str) -> Format:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r}; known: {', '.join(BY_NAME)}") from None


def by_media_type(media_type: str) -> Format | None:
    media_type = media_type.split(";")[0].strip().lower()
    for f in FORMATS:
        if media_type in f.media_types:
            return f
    return None


def by_extension(ext: str, kind: str | None = None) -> Format | None:
    ext = ext.lower() if ext.startswith(".") else "." + ext.lower()
    for f in FORMATS:
        if ext in f.extensions and (kind is None or f.kind == kind):
            return f
    return None


def for_path(path: Path | str) -> Format:
    """The RDF format of a file by its name; ``.gz`` is looked through."""
    p = Path(path)
    suffixes = [s for s in p.suffixes if s != ".gz"]
    fmt = by_extension(suffixes[-1], kind="rdf") if suffixes else None
    if fmt is None:
        known = ", ".join(e for f in RDF_FORMATS for e in f.extensions)
        raise UnknownFormat(f"{p}: cannot tell the RDF format from the name (known: {known})")
    return fmt


def negotiate(accept: str | None, offered: tuple[Format, ...] | list[Format]) -> Format | None:
    """The offered format the Accept header prefers (q-values, wildcards); None if none fits.

    An absent or empty header accepts the first offered format.
    """
    if not accept or not accept.strip():
        return offered[0] if offered else None
    best = _best(accept, tuple(fmt.media_types for fmt in offered))
    return offered[best] if best is not None else None


@lru_cache(maxsize=512)
def _best(accept: str, offered: tuple[tuple[str, ...], ...]) -> int | None:
    """The index of the offered media types that ``accept`` prefers (clients repeat their
    Accept headers, so the parse is cached)."""
    # imported here: query workers use this module and start faster without werkzeug
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    parsed = parse_accept_header(accept, MIMEAccept)
    best, best_q, best_rank = None, 0.0, len(offered)
    for rank, media_types in enumerate(offered):
        q = max(parsed.quality(mt) for mt in media_types)
        if q > best_q or (q == best_q and q > 0 and rank < best_rank):
            best, best_q, best_rank = rank, q, rank
    return best if best_q > 0 else None

#: W3C's IRIs for formats (https://www.w3.org/ns/formats/), used in service descriptions
W3C_FORMAT_IRIS = {
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "nquads": "http://www.w3.org/ns/formats/N-Quads",
    "trig": "http://www.w3.org/ns/formats/TriG",
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
}
