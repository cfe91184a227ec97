"""The one renderer layer: views hand over plain data, this turns it into a response.

HTML is one renderer among the RDF and SPARQL formats of
:mod:`uprgraph.formats`; every format decision goes through
:func:`uprgraph.formats.negotiate`. URLs of the site come from :class:`Urls`
(the server's URL space mapped onto the data's canonical IRI base).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from .. import formats
from ..formats import Format
from ..iris import IRIs

#: the ontology's ``upr:headline`` (its namespace follows the configurable base)
HEADLINE_SUFFIX = "/def/upr#headline"
LABELS = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
    "http://xmlns.com/foaf/0.1/name",
    "https://schema.org/name",
)
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Link, Location, Warning, "
    "X-SPARQL-Truncated, X-SPARQL-Max-Rows, Content-Length, Content-Range",
}


class WebError(HTTPException):
    """An HTTP error with a message that says what is wrong (rendered by :func:`error_response`)."""

    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra_headers = headers or {}


@dataclass(frozen=True)
class Urls:
    """All URLs of the site for one request; ``root`` is where the client reached us."""

    root: str
    iris: IRIs

    def path(self, path: str, **params: object) -> str:
        query = urlencode([(k, v) for k, v in params.items() if v is not None])
        return self.root + path.lstrip("/") + ("?" + query if query else "")

    def for_iri(self, iri: str) -> str:
        """Where a link to ``iri`` should point: on this site when the IRI is ours."""
        path = self.iris.path_of(iri)
        if path is None:
            return iri
        doc = self.iris.document_path(iri)
        return self.root + (doc if doc is not None else path)

    def doc(self, iri: str, fmt: Format | None = None) -> str:
        doc = self.iris.document_path(iri) or self.iris.path_of(iri) or ""
        return self.root + doc + (fmt.extension if fmt else "")

    def sparql(self, query: str | None = None) -> str:
        return self.path("sparql", query=query)


def urls() -> Urls:
    return Urls(request.url_root, current_app.extensions["uprgraph"].iris)


# -- negotiation -----------------------------------------------------------
def choose(offered: Iterable[Format], *, ext: str | None = None) -> Format:
    """The format for this request: extension, then ``format`` parameter, then Accept."""
    offered = tuple(offered)
    if ext:
        fmt = formats.by_extension(ext)
        if fmt is None or fmt not in offered:
            raise WebError(404, f"no {ext} representation here; offered: "
                           + ", ".join(f.extension for f in offered))
        return fmt
    wanted = request.args.get("format") or (
        request.form.get("format") if request.mimetype == "application/x-www-form-urlencoded"
        else None)
    if wanted:
        fmt = _by_format_param(wanted.strip().lower(), offered)
        if fmt is not None:
            return fmt
        # Clients such as SPARQLWrapper send their own names; the Accept header decides then.
    fmt = formats.negotiate(request.headers.get("Accept"), offered)
    if fmt is None:
        raise WebError(406, "none of the accepted media types is offered; offered: "
                       + ", ".join(f.media_type for f in offered))
    return fmt


#: names that clients (SPARQLWrapper, YASGUI, curl users) put in a ``format`` parameter
_FORMAT_ALIASES = {"json-ld": "jsonld", "rdf+xml": "rdfxml", "rdf": "rdfxml", "n3": "turtle",
                   "ttl": "turtle", "nt": "ntriples", "nq": "nquads", "srj": "json", "srx": "xml"}


def _by_format_param(wanted: str, offered: tuple[Format, ...]) -> Format | None:
    fmt = (formats.BY_NAME.get(_FORMAT_ALIASES.get(wanted, wanted))
           or formats.by_media_type(wanted))
    if fmt is not None and fmt not in offered:  # the same word for graphs: xml, json
        graph_twin = {"xml": "rdfxml", "json": "jsonld"}.get(fmt.name)
        fmt = formats.BY_NAME[graph_twin] if graph_twin else None
    return fmt if fmt in offered else None


def content_type(fmt: Format) -> str:
    text = fmt.media_type.startswith("text/") or fmt.name in ("json", "xml", "jsonld", "ntriples",
                                                               "nquads", "trig", "rdfxml")
    return fmt.media_type + ("; charset=utf-8" if text else "")


def wants_html() -> bool:
    return formats.negotiate(request.headers.get("Accept"),
                             (formats.BY_NAME["turtle"], formats.BY_NAME["html"])) is \
        formats.BY_NAME["html"] and "text/html" in (request.headers.get("Accept") or "")


# -- responses ---------------------------------------------------------------
def html(template: str, status: int = 200, **context: object) -> Response:
    body = render_template(template, urls=urls(), site=current_app.extensions["uprgraph"],
                           **context)
    return Response(body, status, content_type="text/html; charset=utf-8")


def error_response(exc: HTTPException) -> Response:
    message = getattr(exc, "message", None) or exc.description or exc.name
    code = exc.code or 500
    if wants_html():
        resp = html("error.html", code, code=code, title=exc.name, message=message)
    else:
        resp = Response(f"{code} {exc.name}: {message}\n", code,
                        content_type="text/plain; charset=utf-8")
    resp.headers.update(CORS)
    resp.headers.update(getattr(exc, "extra_headers", {}))
    if code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def cacheable(resp: Response, etag: str) -> Response:
    """ETag and Last-Modified of the release, Cache-Control; answers 304 when fresh."""
    site = current_app.extensions["uprgraph"]
    resp.set_etag(etag)
    if site.release is not None:
        resp.last_modified = site.release.built
    resp.cache_control.public = True
    resp.cache_control.max_age = site.settings.cache_max_age
    resp.vary.add("Accept")
    resp.headers.update(CORS)
    return resp.make_conditional(request)


def release_etag(*parts: str) -> str:
    site = current_app.extensions["uprgraph"]
    rel = site.release.id if site.release is not None else "none"
    return "-".join((rel, *parts)).replace('"', "")


def fresh(etag: str) -> Response | None:
    """A 304 before any work when the client already holds this representation."""
    if request.if_none_match and request.if_none_match.contains(etag):
        return cacheable(Response(status=304), etag)
    return None


# -- security ----------------------------------------------------------------
#: every HTML page: scripts and styles from this site only, no inline script, no framing
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "strict-origin-when-cross-origin"}


def secure(resp: Response) -> Response:
    """Security headers on every response; the Content-Security-Policy on HTML."""
    for name, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(name, value)
    if resp.mimetype == "text/html":
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers.setdefault("X-Frame-Options", "DENY")
    return resp


def safe_href(url: object) -> str | None:
    """Only http(s) IRIs become links: ``javascript:``, ``data:`` and the like stay text."""
    text = str(url) if url is not None else ""
    if text.split(":", 1)[0].strip().lower() in ("http", "https"):
        return text
    return None


# -- terms for templates -------------------------------------------------------
@dataclass(frozen=True)
class TermView:
    text: str
    href: str | None = None
    iri: str | None = None
    note: str = ""
    kind: str = "iri"


def labels_of(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The best label of every subject (English first, then untagged, then any)."""
    best: dict[str, tuple[int, str]] = {}
    for t in triples:
        p = t.predicate.value
        if not isinstance(t.object, ox.Literal):
            continue
        if p in LABELS:
            order = LABELS.index(p)
        elif p.endswith(HEADLINE_SUFFIX):
            order = len(LABELS)  # a finding's headline, when it has no label
        else:
            continue
        lang = t.object.language or ""
        rank = order * 3 + (0 if lang.startswith("en") else 1 if not lang else 2)
        key = t.subject.value
        if key not in best or rank < best[key][0]:
            best[key] = (rank, t.object.value)
    return {k: v for k, (_, v) in best.items()}


def compact(iri: str, prefixes: dict[str, str]) -> str:
    for name, ns in prefixes.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{name}:{iri[len(ns):]}"
    return iri


def term_view(term: object, labels: dict[str, str], u: Urls, prefixes: dict[str, str]) -> TermView:
    if isinstance(term, ox.NamedNode):
        iri = term.value
        return TermView(labels.get(iri) or compact(iri, prefixes), safe_href(u.for_iri(iri)), iri)
    if isinstance(term, ox.Literal):
        note = f"@{term.language}" if term.language else ""
        if not note and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            note = compact(term.datatype.value, prefixes)
        return TermView(term.value, note=note, kind="literal")
    if isinstance(term, ox.BlankNode):
        return TermView("_:" + term.value, kind="bnode")
    return TermView(str(term), kind="other")
