"""The home page: the reviews in the graph, and the dataset described for search engines."""

from __future__ import annotations

from . import named


def home_view() -> dict:
    text, reviews = named.run_named("home-reviews")
    return {"reviews": reviews, "queries": {"home-reviews": text}}


def dataset_jsonld(site, u) -> str:
    """A schema.org ``Dataset`` with the dumps as ``DataDownload``s (for dataset search)."""
    s = site.settings
    release = site.release
    data = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": str(site.iris.dataset()),
        "name": s.dataset_title,
        "description": "The UN Universal Periodic Review as Linked Data: recommendations, "
                       "responses, themes, SDG links and evidence on implementation, "
                       "validated with SHACL.",
        "url": u.path(""),
        "license": s.license,
        "version": s.version,
        "isAccessibleForFree": True,
        "keywords": ["Universal Periodic Review", "human rights", "UN Human Rights Council",
                     "Linked Data", "SPARQL"],
        "distribution": [
            {"@type": "DataDownload", "contentUrl": u.path("dumps/" + d["file"]),
             "encodingFormat": d.get("media_type") or d.get("format"),
             "contentSize": f"{d['bytes']} B" if d.get("bytes") else None}
            for d in (release.dumps if release else [])],
    }
    if release is not None:
        data["dateModified"] = release.built.isoformat()
    return script_json(data)


def script_json(data: object) -> str:
    """JSON for a ``<script type="application/ld+json">`` block: "</" cannot close it."""
    import json

    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
