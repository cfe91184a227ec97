"""``/def/context.jsonld``: the JSON-LD context of the data, next to the ontology.

Generated from the ontology in the served store (once per release) by
:func:`uprgraph.jsonld.make_context`. Views that answer JSON-LD call
:func:`compact_jsonld`; views that answer plain JSON with the same keys (the
search's download) name the context with :func:`context_link`.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app

from ..jsonld import CONTEXT_PATH, CONTEXT_REL, compact, context_document, make_context
from ..terms import to_rdflib
from .executor import Busy, QueryError, QueryTimeout
from .render import CORS, WebError, cacheable, fresh, release_etag

bp = Blueprint("context", __name__)

_CACHE_KEY = "uprgraph.jsonld-context"


def context_url() -> str:
    """The context's stable IRI, ``{base}def/context.jsonld``, beside the ontology's."""
    return current_app.extensions["uprgraph"].iris.base + CONTEXT_PATH


def context_link() -> str:
    """A ``Link`` header value naming the context, for JSON answers (JSON-LD 1.1, 6.1)."""
    return f'<{context_url()}>; rel="{CONTEXT_REL}"; type="application/ld+json"'


def _ontology_terms(site) -> list[ox.Triple]:
    upr = str(site.iris.upr)
    query = f"""CONSTRUCT {{ ?t a ?k . ?t <http://www.w3.org/2000/01/rdf-schema#range> ?r }}
WHERE {{ ?t a ?k FILTER(isIRI(?t) && STRSTARTS(STR(?t), "{upr}"))
         OPTIONAL {{ ?t <http://www.w3.org/2000/01/rdf-schema#range> ?r }} }}"""
    try:
        body = site.run(query, "ntriples").read()
    except QueryError as exc:
        raise WebError(500, f"the store could not answer: {exc}") from None
    except (QueryTimeout, Busy) as exc:
        raise WebError(503, str(exc), {"Retry-After": "1"}) from None
    return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]


def current_context() -> dict[str, object]:
    """The ``@context`` object of the served release (computed once per release)."""
    site = current_app.extensions["uprgraph"]
    release = site.release.id if site.release is not None else "none"
    cached = current_app.extensions.get(_CACHE_KEY)
    if cached is None or cached[0] != release:
        from rdflib import Graph

        ontology = Graph()
        for t in _ontology_terms(site):
            ontology.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        cached = (release, make_context(ontology, site.iris))
        current_app.extensions[_CACHE_KEY] = cached
    return cached[1]


def compact_jsonld(triples: list[ox.Triple]) -> bytes:
    """Triples as JSON-LD compacted with the published context (``"@context": URL``)."""
    rdflib_triples = ((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
                      for t in triples)
    return compact(rdflib_triples, current_context(), context_url())


@bp.route("/" + CONTEXT_PATH, methods=["GET", "HEAD"])
def context() -> Response:
    etag = release_etag("context")
    if (early := fresh(etag)) is not None:
        return early
    resp = Response(context_document(current_context()), content_type="application/ld+json")
    resp.headers.update(CORS)
    return cacheable(resp, etag)
