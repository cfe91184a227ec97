"""The release's VoID/DCAT description, queryable through /sparql in a named graph of its own,
and JSON-LD documents compacted with the published @context: the bundled data, built and
served on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
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
