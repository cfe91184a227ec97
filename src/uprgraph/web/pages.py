"""Pages for people: the home page (what is here, where to start)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from ..store.base import StoreError
from .executor import Busy, QueryError, QueryTimeout, TooLarge
from .render import cacheable, fresh, html, release_etag
from .sparql import examples

bp = Blueprint("pages", __name__)

ENTRY_QUERY = """SELECT ?s ?label WHERE {
  ?s a <%s> . OPTIONAL { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }
} ORDER BY ?label ?s LIMIT 60"""


@bp.route("/", methods=["GET", "HEAD"])
def home() -> Response:
    site = current_app.extensions["uprgraph"]
    etag = release_etag("home")
    if (early := fresh(etag)) is not None:
        return early
    import json

    states = []
    try:
        body = site.run(ENTRY_QUERY % site.iris.upr.State, "json").read()
        for b in json.loads(body)["results"]["bindings"]:
            states.append((b["s"]["value"], b.get("label", {}).get("value")))
    except (QueryError, QueryTimeout, Busy, TooLarge, StoreError):
        states = []
    resp = html("home.html", title=site.settings.dataset_title, states=states,
                examples=examples(site.settings.path(site.settings.queries_dir)))
    return cacheable(resp, etag)
