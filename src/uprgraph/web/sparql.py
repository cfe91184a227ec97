"""``/sparql``: the SPARQL 1.1 Protocol, read-only, with a query page for browsers.

Reading a request (:func:`read_request`) is kept apart from answering it
(:func:`answer`), so every protocol error is raised in one place with the
status the protocol asks for and a message that says what is wrong.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

from .. import formats
from ..formats import BY_NAME, RDF_FORMATS, RESULT_FORMATS, W3C_FORMAT_IRIS
from ..store.analysis import analyse, size_error, uses_service
from ..store.base import StoreError
from .executor import Busy, QueryError, QueryTimeout, TooLarge
from .render import CORS, WebError, choose, content_type, html, term_view, urls

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
HTML = BY_NAME["html"]
SD_FORMATS = (BY_NAME["turtle"], BY_NAME["rdfxml"], BY_NAME["jsonld"], BY_NAME["ntriples"])
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
READ_ONLY = "this endpoint is read-only: SPARQL Update is refused and nothing was executed"
NO_SERVICE = ("SERVICE is not allowed here: this endpoint never sends requests to other "
              "services; run federated queries from your own client")
UNCHECKED = ("this query could not be checked for SERVICE clauses (it does not parse as SPARQL "
             "1.1 here); fix its syntax, or run it without SERVICE")

#: an evaluation error that is the store's trouble, not the query's (never shown: paths)
_STORE_TROUBLE = re.compile(r"corrupt|I/?O error|\.sst|(^|[\s'\"(=])/\w", re.IGNORECASE)

log = logging.getLogger(__name__)

bp = Blueprint("sparql", __name__)


def _pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict",
                         strict_parsing=False)
    except UnicodeDecodeError:
        raise WebError(400, f"the {where} is not valid UTF-8 (SPARQL requests must be UTF-8)") \
            from None


def _utf8_charset() -> None:
    charset = request.mimetype_params.get("charset")
    if charset and charset.lower().replace("-", "") != "utf8":
        raise WebError(415, f"charset {charset!r} is not supported: send UTF-8")


def _graph_iri(name: str, value: str) -> str:
    """A dataset parameter's value, which must be an absolute IRI (400 otherwise)."""
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        shown = value if len(value) <= 200 else value[:200] + "..."
        raise WebError(400, f"{name}={shown!r} is not an absolute IRI: {exc}") from None
    return value


def read_request() -> tuple[str | None, list[str] | None, list[str] | None]:
    """The query and the protocol's dataset from a GET or POST; raises WebError."""
    limit = current_app.extensions["uprgraph"].settings.max_request_bytes
    if request.content_length and request.content_length > limit:
        raise WebError(413, f"the request body is larger than the {limit} bytes accepted")
    url = _pairs(request.query_string, "query string")
    if len(request.query_string) > limit:
        raise WebError(414, f"the URL is longer than the {limit} bytes accepted; POST the query")
    params = url
    body_query: str | None = None
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == "application/sparql-update":
            raise WebError(403, READ_ONLY)
        if mimetype == FORM:
            _utf8_charset()
            params = _pairs(request.get_data(cache=False), "request body")
            if any(k == "query" for k, _ in url):
                raise WebError(400, "the query is given twice (in the URL and in the body)")
        elif mimetype == DIRECT:
            _utf8_charset()
            try:
                body_query = request.get_data(cache=False).decode("utf-8")
            except UnicodeDecodeError:
                raise WebError(400, "the query is not valid UTF-8 (SPARQL requests must be UTF-8)"
                               ) from None
        elif not mimetype:
            raise WebError(415, f"a POST needs a Content-Type: {FORM} or {DIRECT}")
        else:
            raise WebError(415, f"Content-Type {mimetype!r} is not accepted: use {FORM} or "
                           f"{DIRECT} (this endpoint is read-only)")
    # an update anywhere (URL or body) is refused, whatever else the request holds
    if any(k in UPDATE_PARAMS for k, _ in (*url, *params)):
        raise WebError(403, READ_ONLY)
    queries = [v for k, v in params if k == "query"]
    if body_query is not None:
        queries.append(body_query)
    if len(queries) > 1:
        raise WebError(400, f"{len(queries)} queries were given; send exactly one `query`")
    defaults = [_graph_iri(k, v) for k, v in params if k == "default-graph-uri"]
    named = [_graph_iri(k, v) for k, v in params if k == "named-graph-uri"]
    if not queries:
        if request.method == "POST":
            raise WebError(400, "the request has no `query`")
        return None, None, None
    return queries[0], defaults or None, named or None


def answer(query: str, defaults: list[str] | None, named: list[str] | None) -> Response:
    site = current_app.extensions["uprgraph"]
    info = analyse(query)
    if info.is_update:
        raise WebError(403, READ_ONLY)
    refused = size_error(info.size, site.settings.max_query_tokens)
    if refused is not None:
        raise WebError(400, refused)
    if info.uses_service:
        raise WebError(400, NO_SERVICE)
    if site.executor.defence is None:  # queries run where the network is reachable
        found = uses_service(query)
        if found:
            raise WebError(400, NO_SERVICE)
        if found is None:
            raise WebError(400, UNCHECKED)
    offered = (*RDF_FORMATS, HTML) if info.kind == "graph" else (*RESULT_FORMATS, HTML)
    if not query.strip():
        raise WebError(400, "the query is empty")
    fmt = choose(offered)
    wire = fmt
    if fmt is HTML:
        wire = BY_NAME["ntriples"] if info.kind == "graph" else BY_NAME["json"]
    kw = {"default_graphs": tuple(defaults) if defaults is not None else None,
          "named_graphs": tuple(named) if named is not None else None,
          "max_rows": site.settings.max_rows}
    try:
        result = site.run(query, wire.name, internal=False, client=request.remote_addr, **kw)
    except (QueryError, QueryTimeout, Busy, TooLarge, StoreError) as exc:
        raise query_failure(exc, query, offered) from None
    headers = answer_headers(result.truncated, site.settings.max_rows)
    if fmt is HTML:
        return _results_page(query, result.kind, result.read(), result.truncated, headers)
    if result.body is not None:  # one piece with a Content-Length: no chunked encoding
        return Response(result.body, content_type=content_type(fmt), headers=headers)
    resp = Response(result, content_type=content_type(fmt), headers=headers)
    resp.call_on_close(result.close)
    return resp


def answer_headers(truncated: bool, max_rows: int) -> dict[str, str]:
    """The headers of a query's answer: CORS, Vary, and the row cap when it cut the rows."""
    headers = {**CORS, "Vary": "Accept"}
    if truncated:
        headers.update({"X-SPARQL-Truncated": "true", "X-SPARQL-Max-Rows": str(max_rows),
                        "Warning": f'199 - "results truncated to the first {max_rows} rows"'})
    return headers


_EXPECTED = re.compile(r"expected one of (.*)", re.DOTALL)
_EXPECTED_ITEM = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^,\s]+')


def readable_syntax_error(message: str) -> str:
    """The engine's syntax error with its character classes named (``a letter``) instead
    of spelled out as Unicode ranges, so the message fits a screen."""
    found = _EXPECTED.search(message)
    if found is None:
        return message
    names: list[str] = []
    for item in _EXPECTED_ITEM.findall(found.group(1)):
        if not item.startswith("["):
            name = item
        elif "'0'..='9'" in item:
            name = "a digit"
        elif "'A' ..= 'Z'" in item:
            name = "a letter"
        elif item == "[_]":
            name = '"_"'
        else:
            name = "another character"
        if name not in names:
            names.append(name)
    if not names:
        return message
    return message[:found.start()] + "expected one of " + ", ".join(names)


def query_failure(exc: Exception, query: str, offered: tuple[formats.Format, ...]) -> WebError:
    """The HTTP error for a query that was sent to the store and not answered."""
    if isinstance(exc, QueryError):
        if exc.kind == "syntax":
            return WebError(400, f"syntax error in the query: {readable_syntax_error(str(exc))}")
        if exc.kind == "size":
            return WebError(400, str(exc))
        if exc.kind == "format":
            return WebError(406, f"{exc}; offered for this query: "
                            + ", ".join(f.media_type for f in offered))
        if uses_service(query):  # the worker had no network to reach it with
            return WebError(400, NO_SERVICE)
        if exc.kind == "evaluation" and not _STORE_TROUBLE.search(str(exc)):
            return WebError(400, f"the query could not be evaluated: {exc}")
    return store_failure(exc)


def store_failure(exc: Exception) -> WebError:
    """The HTTP error for a query the store did not answer.

    Messages of our own making (timeouts, a busy server, memory) are passed on;
    what the store itself said may hold local paths or addresses, so it is logged
    and the client gets a plain sentence.
    """
    retry = {"Retry-After": "1"}
    if isinstance(exc, QueryTimeout):
        return WebError(503, f"{exc}; narrow the query or add a LIMIT", retry)
    if isinstance(exc, (Busy, TooLarge)):
        return WebError(503, str(exc), retry)
    if isinstance(exc, QueryError) and exc.kind == "internal":
        log.error("the store failed on a query: %s", exc)
        return WebError(500, "the store failed to evaluate the query; the error was logged")
    if isinstance(exc, QueryError):  # the store (or a remote one) could not answer now
        log.warning("the store could not answer a query: %s", exc)
        return WebError(503, "the store could not answer this query at the moment; try again "
                        "shortly (the error was logged)", retry)
    log.warning("the store is not available: %s", exc)
    return WebError(503, "the store is not available at the moment; try again shortly", retry)


def _results_page(query: str, kind: str, body: bytes, truncated: bool, headers: dict) -> Response:
    site = current_app.extensions["uprgraph"]
    u = urls()
    variables: list[str] = []
    rows: list[list] = []
    boolean = None
    if kind == "graph":
        variables = ["subject", "predicate", "object"]
        triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
        rows = [[term_view(t.subject, {}, u, site.prefixes),
                 term_view(t.predicate, {}, u, site.prefixes),
                 term_view(t.object, {}, u, site.prefixes)] for t in triples]
    else:
        data = json.loads(body)
        if "boolean" in data:
            boolean = data["boolean"]
        else:
            variables = data["head"]["vars"]
            sols = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            rows = [[term_view(s[v], {}, u, site.prefixes) if s[v] is not None else None
                     for v in variables] for s in sols]
    resp = html("sparql.html", query=query, variables=variables, rows=rows, boolean=boolean,
                truncated=truncated, max_rows=site.settings.max_rows,
                examples=examples(site.settings.path(site.settings.queries_dir)),
                alternates=[(f, u.path("sparql", query=query, format=f.name))
                            for f in (RDF_FORMATS if kind == "graph" else RESULT_FORMATS)])
    resp.headers.update(headers)
    return resp


def examples(folder: Path) -> list[dict[str, str]]:
    """Example queries: every ``*.rq`` in the folder, titled by its first comment line."""
    return list(_examples(str(folder), _mtime(folder)))


def _mtime(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return 0.0


@lru_cache(maxsize=8)
def _examples(folder: str, _mtime: float) -> tuple[dict[str, str], ...]:
    found = []
    for path in sorted(Path(folder).glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        comments = [ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")]
        titled = [c.split(":", 1)[1].strip() for c in comments if c.startswith("title:")]
        first = (titled or comments or [path.stem.replace("_", " ")])[0]
        found.append({"name": path.stem, "title": first, "query": text})
    return tuple(found)


def service_description(endpoint: str, fmt: formats.Format) -> bytes:
    site = current_app.extensions["uprgraph"]
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    ep = URIRef(endpoint)
    g.add((ep, RDF.type, SD.Service))
    g.add((ep, SD.endpoint, ep))
    g.add((ep, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((ep, SD.feature, SD.UnionDefaultGraph))
    for iri in W3C_FORMAT_IRIS.values():
        g.add((ep, SD.resultFormat, URIRef(iri)))
    ds = URIRef(endpoint + "#dataset")
    dg = URIRef(endpoint + "#default-graph")
    g.add((ep, SD.defaultDataset, ds))
    g.add((ds, RDF.type, SD.Dataset))
    g.add((ds, SD.defaultGraph, dg))
    g.add((dg, RDF.type, SD.Graph))
    manifest = site.release.manifest if site.release else {}
    if manifest.get("triples") is not None:
        g.add((dg, VOID.triples, Literal(int(manifest["triples"]), datatype=XSD.integer)))
    g.add((ep, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
           URIRef(urls().path(".well-known/void"))))
    for graph in manifest.get("graphs", []):
        name = graph if isinstance(graph, str) else graph.get("iri") or graph.get("name")
        if name:
            node = URIRef(f"{endpoint}#graph-{len(g)}")
            g.add((ds, SD.namedGraph, node))
            g.add((node, SD.name, URIRef(name)))
    return g.serialize(format=fmt.rdflib, encoding="utf-8")


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def endpoint() -> Response:
    if request.method == "OPTIONS":
        return Response(status=204, headers={
            **CORS, "Allow": "GET, POST, OPTIONS, HEAD",
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Accept, Content-Type",
            "Access-Control-Max-Age": "86400"})
    query, defaults, named = read_request()
    if query is not None:
        return answer(query, defaults, named)
    fmt = choose((*SD_FORMATS, HTML))
    if fmt is HTML:
        site = current_app.extensions["uprgraph"]
        return html("sparql.html", query=None, variables=[], rows=[], boolean=None,
                    truncated=False, max_rows=site.settings.max_rows, alternates=[],
                    examples=examples(site.settings.path(site.settings.queries_dir)))
    body = service_description(request.base_url, fmt)
    return Response(body, content_type=content_type(fmt), headers={**CORS, "Vary": "Accept"})
