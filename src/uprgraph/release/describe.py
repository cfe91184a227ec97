"""The dataset's description: VoID for Linked Data clients, DCAT for catalogues.

It is written beside the dumps (``void.ttl``) and also loaded into the release's
store in a named graph of its own (``{base}graph/void``), so a client can discover
the dataset's shape, dumps and linksets with SPARQL alone. ``void:triples`` counts
the data, exactly what the dumps hold: the description's graph is neither in the
dumps nor in those counts (a count that included itself could never be stated).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, XSD, Namespace

from ..config import Settings
from ..terms import to_oxigraph
from .dumps import Dump

VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
IANA = "https://www.iana.org/assignments/media-types/"


def describe(
    settings: Settings,
    *,
    built: str,
    triples: int | None,
    graphs: Iterable[tuple[str, int]],
    dumps: Iterable[Dump],
) -> Graph:
    """VoID + DCAT for the dataset, each named graph (as a subset) and each dump.

    ``triples`` is left out when unknown (a server publishing ``--data`` files only).
    """
    iris = settings.iris
    g = Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS), ("spdx", SPDX),
                       ("foaf", FOAF), ("sd", SD), ("owl", OWL)):
        g.bind(prefix, ns)
    ds = iris.dataset()
    built_at = Literal(built, datatype=XSD.dateTime)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal(settings.dataset_title, lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "Universal Periodic Review recommendations, responses, themes, SDG links and "
        "evidence about their implementation, as validated Linked Data.", lang="en")))
    g.add((ds, DCTERMS.license, URIRef(settings.license)))
    g.add((ds, DCTERMS.issued, built_at))
    g.add((ds, DCTERMS.modified, built_at))
    g.add((ds, URIRef(str(DCAT) + "version"), Literal(settings.version)))  # DCAT 3
    g.add((ds, OWL.versionInfo, Literal(settings.version)))
    if triples is not None:
        g.add((ds, VOID.triples, Literal(triples, datatype=XSD.integer)))
    g.add((ds, VOID.sparqlEndpoint, iris.sparql_endpoint))
    g.add((ds, VOID.uriSpace, Literal(iris.base + "id/")))
    g.add((ds, VOID.vocabulary, iris.ontology))
    g.add((ds, DCTERMS.conformsTo, iris.ontology))
    g.add((ds, FOAF.homepage, URIRef(iris.base)))

    service = iris.sparql_endpoint
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, RDF.type, SD.Service))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, SD.endpoint, service))
    g.add((service, DCAT.servesDataset, ds))
    g.add((ds, DCAT.distribution, service))

    for graph_iri, count in graphs:
        sub = URIRef(graph_iri)
        g.add((ds, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, VOID.triples, Literal(count, datatype=XSD.integer)))

    for dump in dumps:
        url = iris.dump(dump.file)
        checksum = URIRef(url + "#sha256")
        g.add((ds, VOID.dataDump, url))
        g.add((ds, DCAT.distribution, url))
        g.add((url, RDF.type, DCAT.Distribution))
        g.add((url, DCAT.downloadURL, url))
        g.add((url, DCAT.accessURL, url))
        g.add((url, DCTERMS.title, Literal(f"{dump.file} ({dump.format})", lang="en")))
        g.add((url, DCAT.mediaType, URIRef(IANA + dump.media_type)))
        g.add((url, DCTERMS.format, Literal(dump.media_type)))
        if dump.compressed:
            g.add((url, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        g.add((url, DCAT.byteSize, Literal(dump.bytes, datatype=XSD.nonNegativeInteger)))
        g.add((url, VOID.triples, Literal(dump.triples, datatype=XSD.integer)))
        g.add((url, DCTERMS.license, URIRef(settings.license)))
        g.add((url, DCTERMS.issued, built_at))
        g.add((url, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
    return g


def description_quads(description: Graph, graph: URIRef) -> Iterator[ox.Quad]:
    """The description as quads of its own named graph, for the release's store."""
    name = ox.NamedNode(str(graph))
    for s, p, o in description:
        yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), name)
