"""The release's VoID/DCAT description, queryable through /sparql in a named graph of its own,
and JSON-LD documents compacted with the published @context: the bundled data, built and
served on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD
from SPARQLWrapper import JSON, SPARQLWrapper
from test_build import copy_project
from web_fixtures import start_waitress

from uprgraph.build import build
from uprgraph.config import load_settings
from uprgraph.release import current

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from uprgraph.web import create_app

    project = copy_project(tmp_path_factory.mktemp("described"))
    settings = load_settings(project)
    build(settings)
    app = create_app(settings)
    server, handle = start_waitress(app)
    yield settings, server
    handle.close()
    app.extensions["uprgraph"].close()


def select(server, query: str) -> list[dict[str, str]]:
    client = SPARQLWrapper(server.url + "sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    answer = client.query().convert()
    return [{k: v["value"] for k, v in row.items()} for row in answer["results"]["bindings"]]


def test_dataset_dumps_and_linksets_are_found_with_sparql(served) -> None:
    settings, server = served
    iris = settings.iris
    void = Graph().parse(current(settings).void_path)
    rows = select(server, f"""
        PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT ?dataset ?triples WHERE {{ GRAPH <{iris.description_graph}> {{
          ?dataset a void:Dataset, dcat:Dataset ; void:triples ?triples ;
                   void:sparqlEndpoint <{iris.sparql_endpoint}> }} }}""")
    assert [r["dataset"] for r in rows] == [str(iris.dataset())]
    manifest = current(settings).manifest
    # void:triples counts the data (what the dumps hold), not the description itself
    assert int(rows[0]["triples"]) == manifest["triples"]

    dumps = select(server, f"""
        PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT ?dump ?bytes WHERE {{ <{iris.dataset()}> void:dataDump ?dump .
          ?dump dcat:byteSize ?bytes }}""")
    assert {r["dump"]: int(r["bytes"]) for r in dumps} == {
        str(iris.dump(d["file"])): d["bytes"] for d in manifest["dumps"]}

    linksets = select(server, f"""
        PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?linkset ?predicate ?n WHERE {{ GRAPH <{iris.description_graph}> {{
          <{iris.dataset()}> void:subset ?linkset . ?linkset a void:Linkset ;
          void:linkPredicate ?predicate ; void:triples ?n }} }}""")
    stated = {(str(s), int(n)) for s in void.subjects(None, URIRef(
        "http://rdfs.org/ns/void#Linkset")) for n in void.objects(s, URIRef(
            "http://rdfs.org/ns/void#triples"))}
    assert stated and {(r["linkset"], int(r["n"])) for r in linksets} == stated
    sdg = [r for r in linksets if "/linkset/un-sdg-kos/" in r["linkset"]]
    assert any(int(r["n"]) > 0 for r in sdg), "the seed maps its themes to SDG targets"


def test_description_graph_is_the_void_file(served) -> None:
    settings, server = served
    reply = server.query(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{settings.iris.description_graph}> "
        "{ ?s ?p ?o } }", "text/turtle")
    assert reply.status == 200, reply.text
    served_graph = Graph().parse(data=reply.body, format="turtle")
    written = Graph().parse(current(settings).void_path)
    assert len(served_graph) == len(written)
    assert (settings.iris.dataset(), URIRef("http://rdfs.org/ns/void#triples"),
            Literal(current(settings).manifest["triples"], datatype=XSD.integer)) in served_graph


def _with_served_context(server, document: dict) -> dict:
    """The document with its ``@context`` URL replaced by what the server publishes there
    (the URL names the canonical base; the test server listens elsewhere on loopback)."""
    context = server.get("/def/context.jsonld")
    assert context.status == 200 and context.media_type == "application/ld+json"
    return {**document, "@context": json.loads(context.body)["@context"]}


@pytest.mark.parametrize("path", ["/doc/review/KHM/3", "/doc/finding/cchr-upr-2021/"
                                  "regression-civic-space-3", "/def/upr"])
def test_jsonld_documents_are_compacted_with_the_published_context(served, path) -> None:
    settings, server = served
    reply = server.get(path, accept="application/ld+json")
    assert reply.status == 200 and reply.media_type == "application/ld+json"
    document = json.loads(reply.body)
    assert document["@context"] == settings.iris.base + "def/context.jsonld"
    expanded = Graph().parse(data=json.dumps(_with_served_context(server, document)),
                             format="json-ld")
    ntriples = server.get(path, accept="application/n-triples")
    assert isomorphic(expanded, Graph().parse(data=ntriples.body, format="nt"))


def test_jsonld_keys_are_short_and_values_typed(served) -> None:
    settings, server = served
    finding = "/doc/finding/cchr-upr-2021/regression-civic-space-3"
    document = json.loads(server.get(finding, accept="application/ld+json").body)
    nodes = {n["id"]: n for n in document["@graph"]}
    iri = settings.iris.base + finding[1:].replace("doc/", "id/", 1)
    node = nodes[iri]
    assert node["type"] == "Finding"
    assert node["headline"] == "Former-political opposition party"  # English by context
    # a date whose precision varies keeps its datatype beside it
    assert node["periodStart"] == {"@value": "2019-04", "type": "xsd:gYearMonth"}
    assert node["review"] == str(settings.iris.review("KHM", 3))
    quantity = nodes[iri + "/q1"]
    assert quantity["value"] == 151 and quantity["bound"] == "upr:AtLeast"
    review = json.loads(server.get("/doc/review/KHM/3", accept="application/ld+json").body)
    cycle = {n["id"]: n for n in review["@graph"]}[str(settings.iris.review("KHM", 3))]["cycle"]
    assert cycle == 3


def test_context_is_generated_from_the_ontology(served) -> None:
    settings, server = served
    context = json.loads(server.get("/def/context.jsonld").body)["@context"]
    assert context["upr"] == str(settings.iris.upr)
    assert context["stateUnderReview"] == {"@id": "upr:stateUnderReview", "@type": "@id"}
    assert context["statement"] == {"@id": "upr:statement", "@language": "en"}
    ontology = Graph().parse(ROOT / "ontology" / "upr.ttl", publicID=settings.iris.base)
    properties = {str(p)[len(str(settings.iris.upr)):] for p in ontology.subjects(
        URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        URIRef("http://www.w3.org/2002/07/owl#ObjectProperty"))}
    assert properties and properties <= set(context)


def test_description_graph_in_the_memory_store(served) -> None:
    """The in-memory store (read from the dumps) holds the description graph as well."""
    from dataclasses import replace

    from uprgraph.web import create_app

    settings, _ = served
    app = create_app(replace(settings, store="memory", query_workers=1))
    server, handle = start_waitress(app)
    try:
        rows = select(server, f"""SELECT ?dump WHERE {{ GRAPH <{settings.iris.description_graph}>
            {{ <{settings.iris.dataset()}> <http://rdfs.org/ns/void#dataDump> ?dump }} }}""")
        assert {r["dump"] for r in rows} == {
            str(settings.iris.dump(d["file"])) for d in current(settings).manifest["dumps"]}
    finally:
        handle.close()
        app.extensions["uprgraph"].close()
