"""Dereferenceable IRIs, documents, the vocabulary, dumps and the dataset description."""

from __future__ import annotations

import hashlib
import json

import pyoxigraph as ox
import pytest

pytest_plugins = ["web_fixtures"]

KHM = "http://localhost:8080/id/state/KHM"
RDF = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
       "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/n-triples": ox.RdfFormat.N_TRIPLES}


def parse(reply, server) -> list[ox.Quad]:
    body = reply.body
    if reply.media_type == "application/ld+json":  # its @context, fetched from the server
        document = json.loads(body)
        document["@context"] = json.loads(server.get("/def/context.jsonld").body)["@context"]
        body = json.dumps(document).encode()
    return list(ox.parse(body, format=RDF[reply.media_type]))


def test_id_answers_303_to_its_document(live):
    r = live.get("/id/state/KHM", "text/turtle")
    assert r.status == 303
    assert r.header("Location") == live.url + "doc/state/KHM"
    assert r.header("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize(("accept", "media"), [
    ("text/html", "text/html"), ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"), ("application/rdf+xml", "application/rdf+xml"),
    ("application/n-triples", "application/n-triples"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
    ("application/rdf+xml;q=0.1, text/turtle;q=0.8, text/*;q=0.5", "text/turtle"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "text/html"),
])
def test_document_negotiation_matrix(live, accept, media):
    r = live.get("/doc/state/KHM", accept)
    assert r.status == 200
    assert r.media_type == media
    assert "Accept" in r.header("Vary")
    assert r.header("ETag") and r.header("Last-Modified")
    if media == "text/html":
        assert "<title>Cambodia" in r.text
        assert 'rel="alternate"' in r.text
    else:
        quads = parse(r, live)
        assert any(q.object == ox.Literal("Cambodia", language="en") for q in quads)
        # incoming links are in the document
        assert any(q.object == ox.NamedNode(KHM) for q in quads)


@pytest.mark.parametrize(("ext", "media"), [
    (".ttl", "text/turtle"), (".jsonld", "application/ld+json"), (".rdf", "application/rdf+xml"),
    (".nt", "application/n-triples"), (".html", "text/html")])
def test_extension_urls(live, ext, media):
    r = live.get("/doc/state/KHM" + ext, "application/rdf+xml;q=0.1")
    assert r.status == 200 and r.media_type == media
    r = live.get("/id/state/KHM" + ext)
    assert r.status == 303 and r.header("Location").endswith("/doc/state/KHM" + ext)


def test_unacceptable_document_is_406(live):
    r = live.get("/doc/state/KHM", "application/pdf")
    assert r.status == 406
    assert "text/turtle" in r.text


def test_dotted_names_and_sub_resources(live):
    r = live.get("/doc/recommendation/KHM/3/110.1", "text/turtle")
    assert r.status == 200 and b"Recommendation 1:" in r.body
    r = live.get("/doc/finding/cchr/f1", "application/n-triples")
    assert b"/finding/cchr/f1/q1>" in r.body and b"arrests" in r.body


def test_unknown_iri_is_a_helpful_404(live):
    r = live.get("/id/state/XXX", "text/html")
    assert r.status == 404 and "SPARQL endpoint" in r.text and "/id/state/XXX" in r.text
    assert live.get("/doc/state/XXX", "text/turtle").status == 404
    assert live.get("/def/nothing").status == 404


def test_html_links_stay_on_the_site(live):
    r = live.get("/doc/state/KHM", "text/html")
    assert 'href="' + live.url + "doc/review/KHM/3" in r.text
    assert "Cambodia, cycle 3" in r.text  # label of what it links to
    for fmt in ("text/turtle", "application/ld+json", "application/rdf+xml",
                "application/n-triples"):
        assert f'<link rel="alternate" type="{fmt}"' in r.text
    assert "https://" not in r.text.split("<body>")[0]  # nothing loaded from elsewhere


def test_conditional_requests(live):
    r = live.get("/doc/state/KHM", "text/turtle")
    etag = r.header("ETag")
    again = live.get("/doc/state/KHM", "text/turtle", If_None_Match=etag)
    assert again.status == 304 and again.body == b""
    other = live.get("/doc/state/KHM", "application/ld+json", If_None_Match=etag)
    assert other.status == 200
    since = live.get("/doc/state/KHM", "text/turtle", If_Modified_Since=r.header("Last-Modified"))
    assert since.status == 304
    assert "max-age=60" in r.header("Cache-Control")


def test_reverse_proxy_headers(make_live):
    live = make_live(forwarded_hops=1)  # a deployment that declares its proxy
    r = live.get("/id/state/KHM", X_Forwarded_Proto="https", X_Forwarded_Host="upr.example.org",
                 X_Forwarded_Prefix="/data")
    assert r.header("Location") == "https://upr.example.org/data/doc/state/KHM"
    page = live.get("/doc/state/KHM", "text/html", X_Forwarded_Proto="https",
                    X_Forwarded_Host="upr.example.org", X_Forwarded_Prefix="/data")
    assert 'href="https://upr.example.org/data/doc/review/KHM/3"' in page.text
    # the data keeps its canonical IRIs
    ttl = live.get("/doc/state/KHM", "application/n-triples", X_Forwarded_Host="upr.example.org")
    assert f"<{KHM}>".encode() in ttl.body


def test_ontology_and_shapes(live):
    page = live.get("/def/upr", "text/html")
    assert page.status == 200 and 'id="State"' in page.text and "Classes" in page.text
    ttl = live.get("/def/upr.ttl")
    assert ttl.media_type == "text/turtle"
    assert any(q.subject.value.endswith("def/upr#State") for q in parse(ttl, live))
    shapes = live.get("/def/shapes", "application/n-triples")
    assert shapes.status == 200 and b"NodeShape" in shapes.body


def test_dumps_listing_and_files(live, web_project):
    listing = live.get("/dumps/", "text/html")
    assert listing.status == 200
    manifest = json.loads((web_project / ".uprgraph/current/manifest.json").read_text())
    for d in manifest["dumps"]:
        assert d["file"] in listing.text and d["sha256"] in listing.text
        r = live.get("/dumps/" + d["file"])
        assert r.status == 200
        assert hashlib.sha256(r.body).hexdigest() == d["sha256"]
        assert r.header("Access-Control-Allow-Origin") == "*"
        assert live.get("/dumps/" + d["file"], If_None_Match=r.header("ETag")).status == 304
    part = live.get("/dumps/uprgraph.ttl", Range="bytes=0-9")
    assert part.status == 206 and len(part.body) == 10
    assert live.get("/dumps/nothing.ttl").status == 404


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "application/rdf+xml"])
def test_void_points_to_endpoint_dumps_and_ontology(live, accept):
    r = live.get("/.well-known/void", accept)
    assert r.status == 200 and r.media_type == accept
    triples = [q.triple for q in parse(r, live)]
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
    assert "<http://rdfs.org/ns/void#sparqlEndpoint> <http://localhost:8080/sparql>" in text
    assert "<http://localhost:8080/dumps/uprgraph.nt.gz>" in text
    assert "<http://rdfs.org/ns/void#vocabulary> <http://localhost:8080/def/upr>" in text
    assert "http://www.w3.org/ns/dcat#distribution" in text
    assert "uprgraph test release" in text


def test_dataset_iri_dereferences(live):
    r = live.get("/id/dataset/uprgraph")
    assert r.status == 303
    doc = live.get("/doc/dataset/uprgraph", "text/turtle")
    assert b"sparqlEndpoint" in doc.body


def test_home_page(live):
    r = live.get("/", "text/html")
    assert r.status == 200 and "Cambodia" in r.text and "/sparql" in r.text
