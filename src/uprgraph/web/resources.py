"""Dereferenceable IRIs: ``/id/...`` answers 303 to ``/doc/...``; ``/def/...`` the vocabulary.

A document is built from ONE ``CONSTRUCT`` (the resource's triples, its
incoming links, the labels of what it links to and its sub-resources such as
a finding's quantities), fetched as N-Triples from a query worker and written
in the negotiated format by pyoxigraph, or handed to the HTML renderer.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, redirect

from ..formats import BY_NAME
from ..store.base import StoreError
from .context import compact_jsonld
from .executor import Busy, QueryError, QueryTimeout, TooLarge
from .render import (
    CORS,
    HEADLINE_SUFFIX,
    LABELS,
    WebError,
    cacheable,
    choose,
    content_type,
    fresh,
    html,
    labels_of,
    release_etag,
    term_view,
    urls,
)
from .sparql import store_failure

DOC_FORMATS = tuple(BY_NAME[n] for n in ("html", "turtle", "jsonld", "rdfxml", "ntriples"))
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
INCOMING_LIMIT = 2000
_LABEL_VALUES = " ".join(f"<{p}>" for p in LABELS)
#: what never appears in an IRI of this dataset (and would break the query it is put in)
_NOT_IN_IRI = re.compile(r'[\x00-\x20\x7f-\x9f<>"{}|^`\\]')

bp = Blueprint("resources", __name__)


def split_ext(path: str) -> tuple[str, str | None]:
    for fmt in DOC_FORMATS:
        for ext in fmt.extensions:
            if path.endswith(ext) and len(path) > len(ext):
                return path[: -len(ext)], ext
    return path, None


def local_iri(path: str) -> str:
    """The IRI of a path of our URL space (``id/state/KHM``); 404 when the path cannot
    name one (control characters, broken percent-encoding, characters IRIs exclude)."""
    return checked_iri(str(current_app.extensions["uprgraph"].iris.from_path(path)))


def checked_iri(iri: str) -> str:
    """``iri`` when it can be one of ours; else 404 (the client's mistake, never a 500)."""
    if _NOT_IN_IRI.search(iri):
        raise WebError(404, "this path holds characters that no IRI of this dataset has")
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise WebError(404, f"this path does not make a valid IRI ({exc})") from None
    return iri


def describe_query(iri: str) -> str:
    """One CONSTRUCT for a whole document (IRIs come from :func:`local_iri`, checked)."""
    base = current_app.extensions["uprgraph"].iris.base
    values = f"{_LABEL_VALUES} <{base}{HEADLINE_SUFFIX.lstrip('/')}>"
    return f"""CONSTRUCT {{
  <{iri}> ?p ?o . ?o ?lp ?ol . ?p ?plp ?pl . ?in ?ip <{iri}> . ?in ?inlp ?inl .
  ?sub ?sp ?so .
}} WHERE {{
  {{ <{iri}> ?p ?o
     OPTIONAL {{ ?o ?lp ?ol VALUES ?lp {{ {values} }} }}
     OPTIONAL {{ ?p ?plp ?pl VALUES ?plp {{ {values} }} }} }}
  UNION {{ {{ SELECT ?in ?ip WHERE {{ ?in ?ip <{iri}> }} LIMIT {INCOMING_LIMIT} }}
           OPTIONAL {{ ?in ?inlp ?inl VALUES ?inlp {{ {values} }} }} }}
  UNION {{ <{iri}> ?sp0 ?sub FILTER(isIRI(?sub) && STRSTARTS(STR(?sub), "{iri}/"))
           ?sub ?sp ?so }}
}}"""


def fetch(query: str) -> list[ox.Triple]:
    """Triples of a CONSTRUCT through the executor; errors become HTTP errors."""
    site = current_app.extensions["uprgraph"]
    try:
        body = site.run(query, "ntriples").read()
    except (QueryError, QueryTimeout, Busy, TooLarge, StoreError) as exc:
        raise store_failure(exc) from None
    triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
    extra = site.description.query(query)  # the dataset's own description (VoID, DCAT)
    triples.extend(extra)
    return list(dict.fromkeys(triples))  # the release's store holds the description too


def not_found(iri: str) -> WebError:
    return WebError(404, f"<{iri}> is not described in this dataset. Look for it with the "
                    "SPARQL endpoint, or start from the home page.")


def exists(iri: str) -> bool:
    site = current_app.extensions["uprgraph"]
    q = f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }}"
    try:
        found = site.run(q, "tsv").read().strip().endswith(b"true")
    except (QueryError, QueryTimeout, Busy, TooLarge, StoreError) as exc:
        raise store_failure(exc) from None
    return found or bool(site.description.query(q))


def represent(iri: str, triples: list[ox.Triple], fmt, etag: str, alternates: list,
              template: str = "resource.html", **extra: object) -> Response:
    """Write a document in ``fmt``: HTML through a template, RDF through pyoxigraph."""
    site = current_app.extensions["uprgraph"]
    if fmt.name == "html":
        resp = html(template, iri=iri, alternates=alternates, **resource_view(iri, triples),
                    **extra)
    elif fmt.name == "jsonld":
        resp = Response(compact_jsonld(triples), content_type=content_type(fmt))
    else:
        body = ox.serialize(triples, format=fmt.oxigraph_rdf,
                            prefixes=site.prefixes if fmt.name == "turtle" else None)
        resp = Response(body, content_type=content_type(fmt))
    resp.headers["Link"] = ", ".join(
        f'<{url}>; rel="alternate"; type="{f.media_type}"' for f, url in alternates)
    return cacheable(resp, etag)


def resource_view(iri: str, triples: list[ox.Triple]) -> dict:
    """Plain data for the HTML page: title, types, properties, incoming links, parts."""
    site = current_app.extensions["uprgraph"]
    u = urls()
    labels = labels_of(triples)
    pre = site.prefixes

    def tv(t):
        return term_view(t, labels, u, pre)

    out: dict[str, list] = defaultdict(list)
    parts: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    incoming: list = []
    types: list = []
    for t in triples:
        s, p, o = t.subject, t.predicate, t.object
        if s.value == iri:
            if p.value == RDF_TYPE:
                types.append(tv(o))
            else:
                out[p.value].append(tv(o))
        elif isinstance(o, ox.NamedNode) and o.value == iri:
            incoming.append((tv(s), tv(p)))
        elif s.value.startswith(iri + "/"):
            parts[s.value][p.value].append(tv(o))

    def rows(props: dict[str, list]) -> list:
        keyed = sorted(props.items(),
                       key=lambda kv: (kv[0] not in LABELS, tv(ox.NamedNode(kv[0])).text))
        return [(tv(ox.NamedNode(p)), sorted(vs, key=lambda v: v.text)) for p, vs in keyed]

    return {
        "title": labels.get(iri) or iri.rsplit("/", 1)[-1],
        "types": types,
        "properties": rows(out),
        "incoming": sorted(incoming, key=lambda sp: (sp[1].text, sp[0].text)),
        "incoming_capped": len(incoming) >= INCOMING_LIMIT,
        "parts": [(tv(ox.NamedNode(s)), rows(props)) for s, props in sorted(parts.items())],
    }


@bp.route("/id/<path:rest>", methods=["GET", "HEAD"])
def thing(rest: str) -> Response:
    path, ext = split_ext(rest)
    iri = local_iri("id/" + rest)
    if ext and not exists(iri):
        iri = local_iri("id/" + path)
    else:
        ext = None
    if not exists(iri):
        raise not_found(iri)
    target = urls().doc(iri) + (ext or "")
    resp = redirect(target, 303)
    resp.headers.update(CORS)
    resp.vary.add("Accept")
    return resp


@bp.route("/doc/<path:rest>", methods=["GET", "HEAD"])
def document(rest: str) -> Response:
    path, ext = split_ext(rest)
    fmt = choose(DOC_FORMATS, ext=ext)
    etag = release_etag("doc", fmt.name)
    if (early := fresh(etag)) is not None:
        return early
    iri = local_iri("id/" + path)
    triples = fetch(describe_query(iri))
    if not triples and ext:  # the extension was part of the name after all
        iri = local_iri("id/" + rest)
        fmt = choose(DOC_FORMATS)
        triples = fetch(describe_query(iri))
    if not triples:
        raise not_found(iri)
    u = urls()
    return represent(iri, triples, fmt, etag, [(f, u.doc(iri, f)) for f in DOC_FORMATS])


VOCABULARIES = {"upr": ("ontology", "upr"), "shapes": ("shapes", "upr")}


@bp.route("/def/<path:rest>", methods=["GET", "HEAD"])
def vocabulary(rest: str) -> Response:
    site = current_app.extensions["uprgraph"]
    name, ext = split_ext(rest)
    if name not in VOCABULARIES:
        raise not_found(str(site.iris.from_path("def/" + rest)))
    fmt = choose(DOC_FORMATS, ext=ext)
    etag = release_etag("def", name, fmt.name)
    if (early := fresh(etag)) is not None:
        return early
    graph = site.iris.graph(*VOCABULARIES[name])
    iri = str(site.iris.ontology if name == "upr" else site.iris.shapes)
    triples = fetch(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    if not triples:
        triples = fetch(f'CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o '
                        f'FILTER(STRSTARTS(STR(?s), "{iri}")) }}')
    if not triples:
        raise not_found(iri)
    u = urls()
    alternates = [(f, u.path("def/" + name) + f.extension) for f in DOC_FORMATS]
    sections = vocabulary_sections(triples) if fmt.name == "html" else []
    return represent(iri, triples, fmt, etag, alternates, template="vocabulary.html",
                     sections=sections)


_KINDS = (
    ("Classes", ("http://www.w3.org/2002/07/owl#Class",
                 "http://www.w3.org/2000/01/rdf-schema#Class")),
    ("Properties", ("http://www.w3.org/2002/07/owl#ObjectProperty",
                    "http://www.w3.org/2002/07/owl#DatatypeProperty",
                    "http://www.w3.org/2002/07/owl#AnnotationProperty",
                    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property")),
    ("Concept schemes", ("http://www.w3.org/2004/02/skos/core#ConceptScheme",)),
    ("Concepts", ("http://www.w3.org/2004/02/skos/core#Concept",)),
    ("Shapes", ("http://www.w3.org/ns/shacl#NodeShape",)),
)


def vocabulary_sections(triples: list[ox.Triple]) -> list[tuple[str, list]]:
    """Terms grouped by kind, each with its properties, for the documentation page."""
    site = current_app.extensions["uprgraph"]
    u = urls()
    labels = labels_of(triples)
    by_subject: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    kind_of: dict[str, str] = {}
    for t in triples:
        if not isinstance(t.subject, ox.NamedNode):
            continue
        s = t.subject.value
        by_subject[s][t.predicate.value].append(term_view(t.object, labels, u, site.prefixes))
        if t.predicate.value == RDF_TYPE:
            for kind, classes in _KINDS:
                if t.object.value in classes and s not in kind_of:
                    kind_of[s] = kind
    sections = []
    for kind, _ in (*_KINDS, ("Other", ())):
        terms = sorted(s for s in by_subject if kind_of.get(s, "Other") == kind)
        if terms:
            sections.append((kind, [
                {"iri": s, "anchor": s.rsplit("#", 1)[-1] if "#" in s else s.rsplit("/", 1)[-1],
                 "label": labels.get(s, ""),
                 "props": [(term_view(ox.NamedNode(p), labels, u, site.prefixes), vs)
                           for p, vs in sorted(by_subject[s].items())]}
                for s in terms]))
    return sections
