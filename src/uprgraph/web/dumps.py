"""``/dumps/``: the release's dump files (sizes, SHA-256, ranges) and its VoID/DCAT description."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, send_file

from ..formats import BY_NAME, RDF_FORMATS
from .context import compact_jsonld
from .render import CORS, WebError, cacheable, choose, content_type, fresh, html, release_etag, urls
from .resources import DOC_FORMATS, resource_view

bp = Blueprint("dumps", __name__)


def _release():
    site = current_app.extensions["uprgraph"]
    if site.release is None or site.release.dumps_dir is None:
        raise WebError(404, "this server has no release with dumps (run `uprgraph build`)")
    return site, site.release


@bp.route("/dumps/", methods=["GET", "HEAD"])
def listing() -> Response:
    site = current_app.extensions["uprgraph"]
    release = site.release
    dumps = release.dumps if release else []
    etag = release_etag("dumps")
    if (early := fresh(etag)) is not None:
        return early
    resp = html("dumps.html", title="Dumps", release=release, dumps=dumps)
    return cacheable(resp, etag)


@bp.route("/dumps/<name>", methods=["GET", "HEAD"])
def dump(name: str) -> Response:
    site, release = _release()
    entry = release.dump(name)
    path = release.dumps_dir / name
    if entry is None or not path.is_file():
        raise WebError(404, f"no dump named {name!r}; see the list at /dumps/")
    mimetype = "application/gzip" if name.endswith(".gz") else (
        entry.get("media_type") or "application/octet-stream")
    resp = send_file(path, mimetype=mimetype, conditional=True,
                     etag=entry.get("sha256") or True, last_modified=release.built,
                     max_age=site.settings.cache_max_age)
    resp.headers.update(CORS)
    if entry.get("sha256"):
        resp.headers["Digest"] = "sha-256=" + entry["sha256"]
    return resp


@bp.route("/links-report.json", methods=["GET", "HEAD"])
def links_report() -> Response:
    """The release's coverage of outward links (``uprgraph links report --format json``)."""
    site, release = _release()
    path = release.links_report_path
    if path is None:
        raise WebError(404, "this release has no links report (rebuild with `uprgraph build`)")
    resp = send_file(path, mimetype="application/json", conditional=True,
                     last_modified=release.built, max_age=site.settings.cache_max_age)
    resp.headers.update(CORS)
    return resp


@bp.route("/.well-known/void", methods=["GET", "HEAD"])
def void() -> Response:
    site = current_app.extensions["uprgraph"]
    fmt = choose((BY_NAME["turtle"], *[f for f in RDF_FORMATS if f.name != "turtle"],
                  BY_NAME["html"]))
    etag = release_etag("void", fmt.name)
    if (early := fresh(etag)) is not None:
        return early
    triples = [q.triple for q in site.description.quads_for_pattern(None, None, None, None)]
    u = urls()
    if fmt.name == "html":
        iri = str(site.iris.dataset())
        alternates = [(f, u.doc(iri, f)) for f in DOC_FORMATS]
        resp = html("resource.html", iri=iri, alternates=alternates,
                    **resource_view(iri, triples))
    elif fmt.name == "jsonld":
        resp = Response(compact_jsonld(triples), content_type=content_type(fmt))
    else:
        body = ox.serialize(triples, format=fmt.oxigraph_rdf,
                            prefixes=site.prefixes if fmt.name in ("turtle", "trig") else None)
        resp = Response(body, content_type=content_type(fmt))
    return cacheable(resp, etag)
