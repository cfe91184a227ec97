"""JSON-LD that a web developer can read: one ``@context`` generated from the ontology.

The context gives every ontology term a short key (``stateUnderReview``,
``recommendationsReceived``) and a type: object properties take IRIs, dated and
decimal properties their XSD type, text properties English by default; the
handful of outside terms the data uses (labels, titles, provenance, DCAT/VoID)
get short keys too. Documents are compacted against it by rdflib's JSON-LD
serialiser and then refer to the published context by URL instead of repeating
it, so a client reads ``"cycle": 3`` rather than a full IRI and a typed literal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .iris import IRIs

#: where the context is published, relative to the base (next to the ontology, def/upr)
CONTEXT_PATH = "def/context.jsonld"
#: the Link relation a JSON answer uses to name its context (JSON-LD 1.1, section 6.1)
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"

PREFIXES = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "http://schema.org/",
    "qb": "http://purl.org/linked-data/cube#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "spdx": "http://spdx.org/rdf/terms#",
    "sdg": "http://metadata.un.org/sdg/",
}

_IRI = "@id"
_EN = "en"
#: outside terms the data uses: short key -> (compact IRI, "@id" | "en" | XSD type | None)
OUTSIDE_TERMS: dict[str, tuple[str, str | None]] = {
    "label": ("rdfs:label", _EN),
    "comment": ("rdfs:comment", _EN),
    "seeAlso": ("rdfs:seeAlso", _IRI),
    "isDefinedBy": ("rdfs:isDefinedBy", _IRI),
    "value": ("rdf:value", None),
    "sameAs": ("owl:sameAs", _IRI),
    "versionInfo": ("owl:versionInfo", None),
    "prefLabel": ("skos:prefLabel", _EN),
    "altLabel": ("skos:altLabel", _EN),
    "definition": ("skos:definition", _EN),
    "notation": ("skos:notation", None),
    "inScheme": ("skos:inScheme", _IRI),
    "topConceptOf": ("skos:topConceptOf", _IRI),
    "hasTopConcept": ("skos:hasTopConcept", _IRI),
    "broader": ("skos:broader", _IRI),
    "narrower": ("skos:narrower", _IRI),
    "exactMatch": ("skos:exactMatch", _IRI),
    "closeMatch": ("skos:closeMatch", _IRI),
    "relatedMatch": ("skos:relatedMatch", _IRI),
    "broadMatch": ("skos:broadMatch", _IRI),
    "narrowMatch": ("skos:narrowMatch", _IRI),
    "title": ("dcterms:title", _EN),
    "description": ("dcterms:description", _EN),
    "date": ("dcterms:date", None),
    "issued": ("dcterms:issued", None),
    "modified": ("dcterms:modified", None),
    "created": ("dcterms:created", None),
    "publisher": ("dcterms:publisher", _IRI),
    "subject": ("dcterms:subject", _IRI),
    "license": ("dcterms:license", _IRI),
    "conformsTo": ("dcterms:conformsTo", _IRI),
    "identifier": ("dcterms:identifier", None),
    "format": ("dcterms:format", None),
    "source": ("dcterms:source", None),
    "wasDerivedFrom": ("prov:wasDerivedFrom", _IRI),
    "wasAttributedTo": ("prov:wasAttributedTo", _IRI),
    "generatedAtTime": ("prov:generatedAtTime", "xsd:dateTime"),
    "name": ("foaf:name", _EN),
    "homepage": ("foaf:homepage", _IRI),
    "page": ("foaf:page", _IRI),
    "containedInPlace": ("schema:containedInPlace", _IRI),
    "alternateName": ("schema:alternateName", None),
    "dataSet": ("qb:dataSet", _IRI),
    "structure": ("qb:structure", _IRI),
    "triples": ("void:triples", None),
    "subset": ("void:subset", _IRI),
    "dataDump": ("void:dataDump", _IRI),
    "sparqlEndpoint": ("void:sparqlEndpoint", _IRI),
    "vocabulary": ("void:vocabulary", _IRI),
    "linkPredicate": ("void:linkPredicate", _IRI),
    "objectsTarget": ("void:objectsTarget", _IRI),
    "subjectsTarget": ("void:subjectsTarget", _IRI),
    "distribution": ("dcat:distribution", _IRI),
    "downloadURL": ("dcat:downloadURL", _IRI),
    "accessURL": ("dcat:accessURL", _IRI),
    "mediaType": ("dcat:mediaType", _IRI),
    "byteSize": ("dcat:byteSize", "xsd:nonNegativeInteger"),
}

_PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
#: ranges whose values JSON carries natively (numbers, booleans) or as plain strings
_NATIVE = {XSD.integer, XSD.boolean, XSD.double, XSD.string}


def _definition(iri: str, kind: str | None) -> str | dict[str, str]:
    if kind is None:
        return iri
    if kind == _EN:
        return {"@id": iri, "@language": _EN}
    return {"@id": iri, "@type": kind}


def make_context(ontology: Graph, iris: IRIs) -> dict[str, object]:
    """The ``@context`` object for ``ontology`` (the ontology's own terms win name clashes)."""
    upr = str(iris.upr)
    context: dict[str, object] = {"id": "@id", "type": "@type", "upr": upr, **PREFIXES}
    own: dict[str, str | dict[str, str]] = {}
    for term in sorted(set(ontology.subjects(RDF.type, None))):
        if not isinstance(term, URIRef) or not str(term).startswith(upr):
            continue
        name = str(term)[len(upr):]
        compact = f"upr:{name}"
        types = set(ontology.objects(term, RDF.type))
        if OWL.Class in types or RDFS.Class in types:
            own[name] = compact
        elif OWL.ObjectProperty in types:
            own[name] = _definition(compact, _IRI)
        elif types & set(_PROPERTY_KINDS):
            own[name] = _definition(compact, _range_kind(ontology.value(term, RDFS.range)))
    for name, (compact, kind) in OUTSIDE_TERMS.items():
        if name not in own:
            context[name] = _definition(compact, kind)
    context.update(own)
    return context


def _range_kind(range_: object) -> str | None:
    if range_ == RDF.langString:
        return _EN
    if isinstance(range_, URIRef) and str(range_).startswith(str(XSD)) and range_ not in _NATIVE:
        return "xsd:" + str(range_)[len(str(XSD)):]
    return None


def context_document(context: dict[str, object]) -> bytes:
    """The context as served at :data:`CONTEXT_PATH`."""
    return json.dumps({"@context": context}, indent=2, ensure_ascii=False).encode("utf-8")


def compact(graph: Graph | Iterable, context: dict[str, object], context_url: str) -> bytes:
    """``graph`` (an rdflib graph or triples of rdflib terms) as JSON-LD compacted against
    ``context``, referring to the context by ``context_url`` rather than inlining it."""
    if not isinstance(graph, Graph):
        triples, graph = graph, Graph()
        for triple in triples:
            graph.add(triple)
    text = graph.serialize(format="json-ld", context=context, auto_compact=True,
                           use_native_types=True)
    document = json.loads(text)
    if isinstance(document, list):  # an empty graph
        document = {"@graph": document}
    document["@context"] = context_url
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
