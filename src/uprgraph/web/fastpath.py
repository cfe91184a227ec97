"""``GET /sparql?query=...`` answered without Flask: the endpoint's most common request.

Flask's request and response objects, routing and hooks cost more per request
than a cheap query takes in the store (an ASK, a DESCRIBE of one resource,
the queries of a page). This WSGI layer answers the plain case - one ``query``
parameter, a query form it recognises, a format the Accept header picks among
the RDF or results formats - with the same checks, headers and bodies as
:func:`uprgraph.web.sparql.answer`, through the same executor (so timeouts,
admission, the row cap and the workers' confinement are unchanged).
Everything else (POST, dataset parameters, ``format=``, HTML, updates,
``SERVICE``, errors before the query runs) goes to the Flask application
untouched; an error while running is rendered by the application's own error
handler, so it reads the same whichever path served it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from ..formats import BY_NAME, RDF_FORMATS, RESULT_FORMATS, negotiate
from ..store.analysis import analyse
from ..store.base import StoreError
from .executor import Answer, Busy, QueryError, QueryTimeout, TooLarge
from .render import content_type, error_response
from .sparql import answer_headers, query_failure

if TYPE_CHECKING:
    from flask import Flask

    from .site import Site

HTML = BY_NAME["html"]
GRAPH_OFFER = (*RDF_FORMATS, HTML)
RESULTS_OFFER = (*RESULT_FORMATS, HTML)

Wsgi = Callable[[dict, Callable], Iterable[bytes]]
#: query strings up to this length have their parse remembered (clients repeat queries)
CACHED_QUERY_STRING = 8192
#: the headers of a whole answer whose rows were not cut, by format (but its length)
_HEADERS = {fmt.name: [("Content-Type", content_type(fmt)),
                       *answer_headers(False, 0).items()] for fmt in (*RDF_FORMATS,
                                                                       *RESULT_FORMATS)}


def query_text(raw: str) -> str | None:
    """The query of a query string that holds exactly one non-blank ``query`` parameter
    and is UTF-8; None otherwise (Flask's path reports what is wrong)."""
    if len(raw) <= CACHED_QUERY_STRING:
        return _query_text(raw)
    return _query_text.__wrapped__(raw)


@lru_cache(maxsize=1024)
def _query_text(raw: str) -> str | None:
    try:
        pairs = parse_qsl(raw.encode("latin-1").decode("utf-8"), keep_blank_values=True,
                          errors="strict")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    if len(pairs) != 1 or pairs[0][0] != "query" or not pairs[0][1].strip():
        return None
    return pairs[0][1]


class _Body:
    """A streamed answer as a WSGI iterable whose ``close`` hands the worker back."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.answer)

    def close(self) -> None:
        self.answer.close()


class FastSparql:
    """Wraps ``app.wsgi_app``: plain SPARQL GETs here, every other request to Flask."""

    def __init__(self, wsgi_app: Wsgi, app: Flask, site: Site) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.site = site

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        plain = self._plain(environ)
        if plain is None:
            return self.wsgi_app(environ, start_response)
        return self._answer(environ, start_response, *plain)

    def _plain(self, environ: dict) -> tuple[str, Any, Any] | None:
        """(query, format, offer) for a request this path answers; None: Flask's."""
        if (environ.get("PATH_INFO") != "/sparql" or environ.get("REQUEST_METHOD") != "GET"
                or environ.get("CONTENT_LENGTH") not in (None, "", "0")
                or environ.get("HTTP_TRANSFER_ENCODING")):
            return None
        raw = environ.get("QUERY_STRING", "")
        if not raw.startswith("query=") or len(raw) > self.site.settings.max_request_bytes:
            return None
        query = query_text(raw)
        if query is None:
            return None
        info = analyse(query)
        if (info.kind is None or info.is_update or info.uses_service
                or info.size > self.site.settings.max_query_tokens):  # Flask's 400
            return None
        if self.site.executor.defence is None:  # every query is parsed for SERVICE: Flask's
            return None
        offer = GRAPH_OFFER if info.kind == "graph" else RESULTS_OFFER
        fmt = negotiate(environ.get("HTTP_ACCEPT"), offer)
        if fmt is None or fmt is HTML:
            return None
        return query, fmt, offer

    def _answer(self, environ: dict, start_response: Callable, query: str, fmt: Any,
                offer: tuple) -> Iterable[bytes]:
        site = self.site
        served = site.acquire()
        try:
            result = site.run(query, fmt.name, internal=False, client=environ.get("REMOTE_ADDR"),
                              served=served, max_rows=site.settings.max_rows)
        except (QueryError, QueryTimeout, Busy, TooLarge, StoreError) as exc:
            error = query_failure(exc, query, offer)
            with self.app.request_context(environ):
                resp = error_response(error)
            return resp(environ, start_response)
        finally:
            site.let_go(served)
        if result.truncated:
            headers = [("Content-Type", content_type(fmt)),
                       *answer_headers(True, site.settings.max_rows).items()]
        else:
            headers = list(_HEADERS[fmt.name])
        if result.body is not None:
            headers.append(("Content-Length", str(len(result.body))))
        start_response("200 OK", headers)
        if result.body is not None:
            return [result.body]
        return _Body(result)
