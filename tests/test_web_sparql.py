"""The SPARQL 1.1 Protocol over real HTTP on loopback (waitress), with SPARQLWrapper too."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

pytest_plugins = ["web_fixtures"]

SELECT = "SELECT ?s ?name WHERE { ?s a <http://localhost:8080/def/upr#State> ; " \
         "<http://www.w3.org/2000/01/rdf-schema#label> ?name } ORDER BY ?name"
ASK = "ASK { <http://localhost:8080/id/state/KHM> ?p ?o }"
CONSTRUCT = "CONSTRUCT WHERE { <http://localhost:8080/id/state/KHM> ?p ?o }"
DESCRIBE = "DESCRIBE <http://localhost:8080/id/state/KHM>"
ALL = "SELECT * WHERE { ?s ?p ?o }"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}
DATA_GRAPH = "http://localhost:8080/graph/data/test.ttl"
ONTO_GRAPH = "http://localhost:8080/graph/ontology/upr"


def names(reply) -> list[str]:
    data = json.loads(reply.body)
    return [b["name"]["value"] for b in data["results"]["bindings"]]


# -- query by GET, POST form, POST direct ---------------------------------------
def test_get_post_form_and_post_direct_agree(live):
    by_get = live.query(SELECT, "application/sparql-results+json")
    by_form = live.request("POST", "/sparql", urllib.parse.urlencode({"query": SELECT}),
                           {**FORM, "Accept": "application/sparql-results+json"})
    by_direct = live.request("POST", "/sparql", SELECT,
                             {**DIRECT, "Accept": "application/sparql-results+json"})
    for r in (by_get, by_form, by_direct):
        assert r.status == 200, r.body
        assert r.media_type == "application/sparql-results+json"
        assert names(r) == ["Cambodia", "France", "Norway", "Thailand"]
    assert by_get.header("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize(("query", "accept"), [
    (ASK, "application/sparql-results+json"), (ALL, "text/csv"), (DESCRIBE, "text/turtle"),
    ("SELECT * WHERE { ?s ?p }", "application/sparql-results+json"),  # a syntax error
    ("SELECT * WHERE { ?s ?p ?o } ORDER BY (1/0", None),
])
def test_a_plain_get_answers_as_a_post(live, query, accept):
    """A GET with only ``query`` is answered without the web framework: status, headers
    and body are the same as for the same query POSTed (which goes through it)."""
    extra = {"Accept": accept} if accept else {}
    by_get = live.query(query, accept)
    by_post = live.request("POST", "/sparql", query, {**DIRECT, **extra})
    assert by_get.status == by_post.status
    assert by_get.body == by_post.body
    for name in ("Content-Type", "Content-Length", "Access-Control-Allow-Origin",
                 "Access-Control-Expose-Headers", "Vary", "X-SPARQL-Truncated",
                 "X-SPARQL-Max-Rows", "Warning"):
        assert by_get.header(name) == by_post.header(name), name


@pytest.mark.parametrize(("accept", "media", "check"), [
    ("application/sparql-results+json", "application/sparql-results+json",
     lambda b: len(json.loads(b)["results"]["bindings"]) == 4),
    ("application/sparql-results+xml", "application/sparql-results+xml",
     lambda b: len(ET.fromstring(b).findall(".//{http://www.w3.org/2005/sparql-results#}result"))
     == 4),
    ("text/csv", "text/csv", lambda b: len(list(csv.reader(io.StringIO(b.decode())))) == 5),
    ("text/tab-separated-values", "text/tab-separated-values",
     lambda b: len(b.decode().strip().split("\n")) == 5),
    ("text/csv;q=0.2, application/sparql-results+xml;q=0.9", "application/sparql-results+xml",
     lambda b: b.startswith(b"<?xml")),
    ("*/*", "application/sparql-results+json", lambda b: b"bindings" in b),
    ("application/*", "application/sparql-results+json", lambda b: b"bindings" in b),
    ("text/*;q=0.5, text/tab-separated-values", "text/tab-separated-values",
     lambda b: b.startswith(b"?")),
    (None, "application/sparql-results+json", lambda b: b"bindings" in b),
])
def test_select_negotiation(live, accept, media, check):
    r = live.query(SELECT, accept)
    assert r.status == 200
    assert r.media_type == media
    assert "Accept" in r.header("Vary")
    assert check(r.body)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_ask_in_every_results_format(live, fmt):
    r = live.query(ASK, format=fmt)
    assert r.status == 200
    assert b"true" in r.body


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-quads", ox.RdfFormat.N_QUADS), ("application/trig", ox.RdfFormat.TRIG),
])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE])
def test_graph_results_in_every_rdf_format(live, accept, fmt, query):
    r = live.query(query, accept)
    assert r.status == 200, r.body
    assert r.media_type == accept
    triples = list(ox.parse(r.body, format=fmt))
    assert any(q.object == ox.Literal("Cambodia", language="en") for q in triples)


def test_nothing_acceptable_is_406_with_the_offer(live):
    r = live.query(SELECT, "text/turtle")
    assert r.status == 406
    assert "application/sparql-results+json" in r.text
    r = live.query(CONSTRUCT, "application/sparql-results+json")
    assert r.status == 406
    assert "text/turtle" in r.text


def test_format_parameter_for_browsers(live):
    r = live.query(SELECT, "text/html", format="csv")
    assert r.status == 200 and r.media_type == "text/csv"
    r = live.query(SELECT, "text/html,application/xhtml+xml,*/*;q=0.8")
    assert r.media_type == "text/html"
    assert "Cambodia" in r.text and "<table" in r.text


# -- the protocol's dataset ----------------------------------------------------------
def test_default_and_named_graph_uri(live):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    everything = json.loads(live.query(q).body)["results"]["bindings"][0]["n"]["value"]
    onto = live.query(q, **{"default-graph-uri": ONTO_GRAPH})
    only = json.loads(onto.body)["results"]["bindings"][0]["n"]["value"]
    assert 0 < int(only) < int(everything)
    qs = urllib.parse.urlencode([("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
                                 ("named-graph-uri", ONTO_GRAPH), ("named-graph-uri", DATA_GRAPH)])
    r = live.get("/sparql?" + qs)
    graphs = {b["g"]["value"] for b in json.loads(r.body)["results"]["bindings"]}
    assert graphs == {ONTO_GRAPH, DATA_GRAPH}
    # also for ASK, CONSTRUCT and DESCRIBE
    assert b"false" in live.query(ASK, **{"default-graph-uri": ONTO_GRAPH}).body
    r = live.query(CONSTRUCT, "application/n-triples", **{"default-graph-uri": ONTO_GRAPH})
    assert r.status == 200 and r.body.strip() == b""
    r = live.query(DESCRIBE, "application/n-triples", **{"default-graph-uri": DATA_GRAPH})
    assert b"Cambodia" in r.body


def test_from_selects_only_graphs_of_the_store(live):
    q = f"SELECT (COUNT(*) AS ?n) FROM <{ONTO_GRAPH}> WHERE {{ ?s ?p ?o }}"
    r = live.query(q)
    assert 0 < int(json.loads(r.body)["results"]["bindings"][0]["n"]["value"]) < 60
    r = live.query("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }")
    assert r.status == 200 and json.loads(r.body)["results"]["bindings"] == []


# -- errors ---------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "says"), [
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B", None, {}, 400, "syntax"),
    ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400, "2 queries"),
    ("POST", "/sparql", "query=ASK%7B%7D&query=ASK%7B%7D", FORM, 400, "2 queries"),
    ("POST", "/sparql", "ASK {}", {}, 415, "Content-Type"),
    ("POST", "/sparql", "ASK {}", {"Content-Type": "text/plain"}, 415, "text/plain"),
    ("POST", "/sparql", b"ASK { ?s ?p \"\xe9\" }", DIRECT, 400, "UTF-8"),
    ("POST", "/sparql", b"query=ASK%7B%3Fs%3Fp%22%E9%22%7D", FORM, 400, "UTF-8"),
    ("GET", "/sparql?query=ASK%7B%3Fs%3Fp%22%E9%22%7D", None, {}, 400, "UTF-8"),
    ("PUT", "/sparql", "ASK {}", DIRECT, 405, "Method"),
    ("DELETE", "/sparql", None, {}, 405, "Method"),
    ("POST", "/sparql", "update=INSERT%20DATA%20%7B%3Ca%3E%20%3Cb%3E%20%3Cc%3E%7D", FORM, 403,
     "read-only"),
    ("POST", "/sparql", "INSERT DATA { <a> <b> <c> }",
     {"Content-Type": "application/sparql-update"}, 403, "read-only"),
    ("GET", "/sparql?update=CLEAR%20ALL", None, {}, 403, "read-only"),
    ("GET", "/sparql?query=DROP%20ALL", None, {}, 403, "read-only"),
    ("POST", "/sparql", "", FORM, 400, "no `query`"),
    ("POST", "/sparql", "ASK {}", {"Content-Type": "application/sparql-query; charset=latin-1"},
     415, "charset"),
])
def test_protocol_errors(live, method, path, body, headers, status, says):
    r = live.request(method, path, body, headers)
    assert r.status == status, r.body
    assert says.lower() in r.text.lower()
    assert r.media_type == "text/plain"


def test_a_syntax_error_points_into_the_text_the_client_sent(live):
    """The server resolves relative IRIs against its base without writing into the
    query, so the position is the client's; the engine's character classes are named."""
    r = live.request("GET", "/sparql?query=ASK%20%7B", None, {})
    assert r.status == 400, r.body
    assert "error at 1:6:" in r.text
    assert "a letter" in r.text and "\\u{" not in r.text
    r = live.request("GET", "/sparql?query=SELECT%20%3Fx%20WHERE%20%7B%20%3Fx%20%7D", None, {})
    assert r.status == 400 and "error at 1:23: expected one of BIND" in r.text, r.text


def test_updates_change_nothing(live):
    before = live.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").body
    live.request("POST", "/sparql", "update=CLEAR%20ALL", FORM)
    live.request("POST", "/sparql", "CLEAR ALL", {"Content-Type": "application/sparql-update"})
    live.query("CLEAR ALL")
    assert live.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").body == before


def test_request_size_cap_is_413(live):
    big = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 30_000
    r = live.request("POST", "/sparql", big, DIRECT)
    assert r.status == 413
    r = live.request("POST", "/sparql", urllib.parse.urlencode({"query": big}), FORM)
    assert r.status == 413


def test_cors_preflight(live):
    r = live.request("OPTIONS", "/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert r.status == 204
    assert r.header("Access-Control-Allow-Origin") == "*"
    assert "POST" in r.header("Access-Control-Allow-Methods")
    assert "content-type" in r.header("Access-Control-Allow-Headers").lower()


# -- service description --------------------------------------------------------
@pytest.mark.parametrize(("accept", "rdflib_format"), [
    ("text/turtle", "turtle"), ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")])
def test_service_description(live, accept, rdflib_format):
    r = live.get("/sparql", accept)
    assert r.status == 200 and r.media_type == accept
    g = Graph().parse(data=r.body, format=rdflib_format)
    text = g.serialize(format="nt")
    for needle in ("sparql-service-description#Service", "SPARQL11Query", "SPARQL_Results_JSON",
                   "formats/Turtle", "defaultDataset", "UnionDefaultGraph", ONTO_GRAPH):
        assert needle in text


def test_query_page_for_browsers(live):
    r = live.get("/sparql", "text/html")
    assert r.status == 200 and "<textarea" in r.text and "States and their names" in r.text


# -- safety -----------------------------------------------------------------------
def test_service_never_reaches_the_network(live):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(1.5)
    port = listener.getsockname()[1]
    hits: list[bytes] = []

    def accept() -> None:
        try:
            conn, _ = listener.accept()
            hits.append(conn.recv(100))
            conn.close()
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    variants = [
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        f"select * {{ service silent <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"CONSTRUCT WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    ]
    for q in variants:
        r = live.query(q)
        assert r.status == 400, (q, r.body)
        assert "SERVICE" in r.text
    r = live.query(f"SELECT * FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}")
    assert r.status == 200
    t.join()
    listener.close()
    assert hits == []


def test_words_like_service_are_fine(live):
    q = ('SELECT ?service WHERE { BIND("SERVICE <x> {}" AS ?service) '
         '# SERVICE in a comment\n FILTER(?service != <http://e.org/SERVICE>) }')
    r = live.query(q)
    assert r.status == 200, r.body


def test_row_cap_is_announced(live):
    r = live.query(ALL, "application/sparql-results+json")
    assert r.status == 200
    assert r.header("X-SPARQL-Truncated") == "true"
    assert "truncated" in r.header("Warning")
    assert len(json.loads(r.body)["results"]["bindings"]) == 25
    r = live.query(ALL, "text/csv")
    assert len(list(csv.reader(io.StringIO(r.text)))) == 26
    r = live.query("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert r.header("X-SPARQL-Truncated") == "true"
    assert len(r.body.strip().split(b"\n")) == 25
    r = live.query(ALL + " LIMIT 5")
    assert r.header("X-SPARQL-Truncated") == ""
    r = live.query(ALL, "text/html")
    assert "truncated" in r.text


PATHOLOGICAL = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
                "?j ?k ?l . ?m ?n2 ?o }")


def test_timeout_cancels_and_others_are_answered(make_live):
    server = make_live(query_timeout=1.5, query_workers=2)
    result: dict[str, object] = {}

    def slow() -> None:
        t0 = time.monotonic()
        result["reply"] = server.query(PATHOLOGICAL)
        result["seconds"] = time.monotonic() - t0

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    quick = server.query(ASK)
    assert quick.status == 200 and b"true" in quick.body
    assert time.monotonic() - t0 < 1.0  # answered while the slow query runs
    t.join(10)
    reply = result["reply"]
    assert reply.status == 503, reply.body
    assert "timeout" in reply.text
    assert result["seconds"] < 3.5
    # the worker was replaced: the service still answers, twice in parallel
    for _ in range(3):
        assert server.query(ASK).status == 200


# -- SPARQLWrapper as a client --------------------------------------------------------
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select(live, fmt, method):
    sw = SPARQLWrapper(live.url + "sparql")
    sw.setMethod(method)
    sw.setQuery(SELECT)
    sw.setReturnFormat(fmt)
    res = sw.query().convert()
    if fmt == JSON:
        assert len(res["results"]["bindings"]) == 4
    elif fmt == XML:
        assert len(res.getElementsByTagName("result")) == 4
    else:
        assert b"Cambodia" in res


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(live, fmt):
    sw = SPARQLWrapper(live.url + "sparql")
    sw.setQuery(ASK)
    sw.setReturnFormat(fmt)
    res = sw.query().convert()
    assert (res["boolean"] if fmt == JSON else
            res.getElementsByTagName("boolean")[0].firstChild.data == "true")


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD, XML])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE])
def test_sparqlwrapper_graphs(live, fmt, query):
    sw = SPARQLWrapper(live.url + "sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    res = sw.query().convert()
    g = res if isinstance(res, Graph) else Graph().parse(
        data=res, format={TURTLE: "turtle", N3: "turtle", JSONLD: "json-ld"}[fmt])
    assert any(str(o) == "Cambodia" for o in g.objects())


def test_sparqlwrapper_dataset_and_errors(live):
    sw = SPARQLWrapper(live.url + "sparql")
    sw.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    sw.addDefaultGraph(ONTO_GRAPH)
    sw.setReturnFormat(JSON)
    n = int(sw.query().convert()["results"]["bindings"][0]["n"]["value"])
    assert 0 < n < 60
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(live.url + "sparql")
    sw.setQuery("SELECT * WHERE {")
    with pytest.raises(QueryBadFormed):
        sw.query()
