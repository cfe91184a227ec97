"""Pages for people: home, review, state, search (with its CSV and JSON forms).

The review and state pages take over the HTML of ``/doc/review/...`` and
``/doc/state/...``; every other format of those documents (and every other
document) stays with :mod:`.resources`. Views return plain data from
:mod:`.views`; templates draw it. Every HTML response gets the security headers
of :func:`.render.secure`.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, request

from . import resources
from .render import (
    WebError,
    cacheable,
    choose,
    fresh,
    html,
    release_etag,
    safe_href,
    secure,
    urls,
)
from .sparql import examples
from .views import download, entities, named, search, state
from .views import home as home_view
from .views import review as review_view

bp = Blueprint("pages", __name__)
bp.after_app_request(secure)
bp.add_app_template_filter(safe_href, "safe_href")


@bp.app_template_filter("site_link")
def site_link(iri: object) -> str | None:
    """Where a link to an IRI goes: its page on this site when ours, else itself (http only)."""
    return safe_href(urls().for_iri(str(iri))) if iri else None


@bp.app_template_global("chart_rows")
def chart_rows(rows: list[named.Row], label: str, columns: list[str],
               link: str | None = None, prefix: str = "") -> list[dict]:
    """Query rows reshaped for the chart macro (label, link, one value per series)."""
    out = []
    for r in rows:
        values = [r[c].number if c in r else None for c in columns]
        out.append({"label": prefix + str(r.get(label, "")), "values": values,
                    "href": site_link(r[link]) if link and link in r else None})
    return out


@bp.route("/", methods=["GET", "HEAD"])
def home() -> Response:
    site = current_app.extensions["uprgraph"]
    etag = release_etag("home")
    if (early := fresh(etag)) is not None:
        return early
    data = home_view.home_view()
    resp = html("home.html", title=site.settings.dataset_title,
                examples=examples(site.settings.path(site.settings.queries_dir)),
                dataset_jsonld=home_view.dataset_jsonld(site, urls()), **data)
    return cacheable(resp, etag)


def _digest() -> str:
    """The query string, hashed: a page's ETag differs per filter, page and sort."""
    return hashlib.sha256(request.query_string).hexdigest()[:16]


def _html_or_document(rest: str) -> bool:
    """True when this request wants the HTML page (not Turtle, JSON-LD, ``.ttl``, ...)."""
    if resources.split_ext(rest)[1] is not None:
        return False
    return choose(resources.DOC_FORMATS).name == "html"


def _entity(rest: str, kind: str, view, template: str, *args) -> Response:
    """A page of its own for HTML; any other format, or an unknown IRI, as a document."""
    if not _html_or_document(rest):
        return resources.document(rest)
    site = current_app.extensions["uprgraph"]
    etag = release_etag(kind, _digest())
    if (early := fresh(etag)) is not None:
        return early
    iri = resources.checked_iri(str(site.iris.thing_of_document("doc/" + rest)))
    data = view(iri, *args)
    if not data:
        return resources.document(rest)
    return cacheable(_page(template, iri, **data), etag)


@bp.route("/doc/review/<iso3>/<int:cycle>", methods=["GET", "HEAD"])
def review(iso3: str, cycle: int) -> Response:
    return _entity(f"review/{iso3}/{cycle}", "review", review_view.review_view, "review.html",
                   request.args)


@bp.route("/doc/state/<iso3>", methods=["GET", "HEAD"])
def state_page(iso3: str) -> Response:
    return _entity(f"state/{iso3}", "state", state.state_view, "state.html", request.args)


@bp.route("/doc/recommendation/<path:rest>", methods=["GET", "HEAD"])
def recommendation(rest: str) -> Response:
    return _entity(f"recommendation/{rest}", "recommendation", entities.recommendation_view,
                   "recommendation.html")


@bp.route("/doc/theme/<path:rest>", methods=["GET", "HEAD"])
def theme(rest: str) -> Response:
    return _entity(f"theme/{rest}", "theme", entities.theme_view, "theme.html", request.args)


@bp.route("/doc/finding/<path:rest>", methods=["GET", "HEAD"])
def finding(rest: str) -> Response:
    return _entity(f"finding/{rest}", "finding", entities.finding_view, "finding.html")


@bp.route("/doc/source/<path:rest>", methods=["GET", "HEAD"])
def source(rest: str) -> Response:
    return _entity(f"source/{rest}", "source", entities.source_view, "source.html")


def _page(template: str, iri: str, **data: object) -> Response:
    u = urls()
    alternates = [(f, u.doc(iri, f)) for f in resources.DOC_FORMATS]
    jsonld = {"@context": "https://schema.org/", "@id": iri,
              "name": data.get("title"), "url": u.doc(iri)}
    return html(template, iri=iri, alternates=alternates, page_jsonld=home_view.script_json(jsonld),
                **data)


@bp.route("/search", methods=["GET", "HEAD"])
@bp.route("/search.<ext>", methods=["GET", "HEAD"])
def search_page(ext: str | None = None) -> Response:
    if ext not in (None, "csv", "json"):
        raise WebError(404, "the search is offered as HTML, .csv and .json")
    etag = release_etag("search", ext or "html", _digest())
    if (early := fresh(etag)) is not None:
        return early
    filters = search.Filters.from_args(request.args)
    if ext:
        return cacheable(_download(filters, ext), etag)
    found, facets = search.page(filters)
    _label_chosen(facets["facets"])
    resp = html("search.html", title="Search recommendations", filters=filters,
                results=found, facets=facets["facets"], sorts=search.SORT_TITLES,
                queries={"search-rows": found["query"],
                         "search-rows (all pages, as downloaded)": found["all_query"],
                         **facets["queries"]})
    return cacheable(resp, etag)


def _label_chosen(facets: list[dict]) -> None:
    """Give a chosen value its label when no row found carries it (a search that found
    nothing still names what it searched for as the rest of the site does)."""
    base = current_app.extensions["uprgraph"].iris.base
    missing = {(f["chosen"] if f["chosen"].startswith(("http://", "https://"))
                else base + f["chosen"]): f
               for f in facets if f["chosen"] and f["facet"].kind == "iri"
               and not any(v["chosen"] for v in f["values"])}
    if not missing:
        return
    rows = named.run(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        f"SELECT ?v ?label WHERE {{ VALUES ?v {{ {' '.join(map(named.iri, missing))} }} "
        "?v rdfs:label|skos:prefLabel ?label "
        'FILTER(LANG(?label) = "" || LANGMATCHES(LANG(?label), "en")) }')
    for r in rows:
        if (f := missing.get(str(r["v"]))) is not None:
            f["label"] = str(r["label"])


def _download(filters: search.Filters, ext: str) -> Response:
    """The page's rows as CSV or JSON-LD: all pages, or the one ``page`` asks for."""
    page = filters.page if "page" in request.args else None
    text = search.rows_query(filters, page=page)
    rows = named.run(text)
    name = "recommendations" + (f"-page{page}" if page else "")
    if ext == "csv":
        resp = Response(download.csv_body(rows), content_type="text/csv; charset=utf-8")
    else:
        resp = Response(download.jsonld_body(rows, text, page),
                        content_type="application/ld+json; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.{ext}"'
    return resp
