"""Search with facets on an imported OHCHR matrix: the page, its CSV and JSON hold exactly the
rows of the equivalent SPARQL query; facet counts and chart numbers equal SPARQL answers."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse

import pytest
from lxml import html as lhtml
from pages_fixtures import ask

pytest_plugins = ["pages_fixtures"]
MAPPED = "(skos:exactMatch|^skos:exactMatch|skos:closeMatch|^skos:closeMatch)?"


def text(el) -> str:
    return " ".join(el.text_content().split())


@pytest.fixture(scope="module")
def theme(matrix_site) -> str:
    """The theme of Slovenia's third-cycle matrix with the most recommendations."""
    settings, _server, store = matrix_site
    (row,) = ask(store, settings, """SELECT ?t (COUNT(?r) AS ?n) WHERE {
      ?r upr:review <id/review/SVN/3> ; upr:theme ?t } GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT 1""")
    return row["t"]


def expected(matrix_site, theme: str) -> set[str]:
    settings, _server, store = matrix_site
    return {r["r"] for r in ask(store, settings, f"""SELECT DISTINCT ?r WHERE {{
        ?r a upr:Recommendation ; upr:response upr:Supported ; upr:theme/{MAPPED} <{theme}> }}""")}


def search_params(settings, theme: str) -> dict[str, str]:
    base = settings.iris.base
    return {"theme": theme.removeprefix(base), "response": "def/upr#Supported"}


def test_theme_and_response_facets_give_the_sparql_rows(matrix_site, theme):
    settings, server, _store = matrix_site
    want = expected(matrix_site, theme)
    assert len(want) > 1
    params = search_params(settings, theme)
    seen: set[str] = set()
    page, pages = 1, 1
    while page <= pages:
        reply = server.get("/search?" + urllib.parse.urlencode({**params, "page": page}),
                           accept="text/html")
        assert reply.status == 200, reply.text[:300]
        doc = lhtml.fromstring(reply.text)
        total = int(text(doc.cssselect("p.count strong")[0]))
        pages = -(-total // 50)
        for a in doc.cssselect("table.recs tbody tr td:first-child a"):
            seen.add(a.get("href").replace(server.url + "doc/", settings.iris.base + "id/"))
        page += 1
    assert total == len(want)
    assert seen == want

    reply = server.get("/search.csv?" + urllib.parse.urlencode(params))
    assert reply.status == 200 and reply.media_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [r["recommendation"] for r in rows] and {r["recommendation"] for r in rows} == want
    assert len(rows) == len(want)

    reply = server.get("/search.json?" + urllib.parse.urlencode(params))
    body = json.loads(reply.text)
    assert {r["id"] for r in body["@graph"]} == want
    assert "upr:theme" in body["query"]


def test_facet_counts_equal_sparql_counts(matrix_site, theme):
    settings, server, store = matrix_site
    reply = server.get("/search?" + urllib.parse.urlencode(
        {"theme": theme.removeprefix(settings.iris.base)}), accept="text/html")
    doc = lhtml.fromstring(reply.text)
    (section,) = doc.cssselect("section.facet[aria-labelledby=facet-response]")
    shown = {text(li.find("a")): int(text(li.cssselect(".n")[0])) for li in section.iter("li")}
    counted = ask(store, settings, f"""SELECT ?label (COUNT(DISTINCT ?r) AS ?n) WHERE {{
        ?r a upr:Recommendation ; upr:theme/{MAPPED} <{theme}> ;
           upr:response/skos:prefLabel ?label }} GROUP BY ?label""")
    assert shown == {c["label"]: int(c["n"]) for c in counted}


@pytest.mark.parametrize("params", [{}, {"sur": "id/state/SVN"},
                                    {"by": "id/state/FRA", "response": "def/upr#Supported"}])
def test_every_facet_count_equals_sparql(matrix_site, params):
    """Unfiltered, and after filters that leave few recommendations (the queries then take
    another shape): each facet's counts are those of a plain SPARQL count."""
    settings, server, store = matrix_site
    doc = lhtml.fromstring(server.get("/search?" + urllib.parse.urlencode(params),
                                      accept="text/html").text)
    where = "".join(f"?r {p} <{settings.iris.base}{params[k]}> . " for k, p in (
        ("sur", "upr:review/upr:stateUnderReview"), ("by", "upr:recommendingState"),
        ("response", "upr:response")) if k in params)
    for key, path in (("sur", "upr:review/upr:stateUnderReview"), ("cycle", "upr:review/upr:cycle"),
                      ("by", "upr:recommendingState"), ("response", "upr:response"),
                      ("theme", "upr:theme"), ("action", "upr:actionCategory")):
        (section,) = doc.cssselect(f"section.facet[aria-labelledby=facet-{key}]")
        shown = sorted(int(text(n)) for n in section.cssselect("li .n"))
        counted = ask(store, settings, f"""SELECT ?v (COUNT(DISTINCT ?r) AS ?n) WHERE {{
            ?r a upr:Recommendation ; {path} ?v . {where} }} GROUP BY ?v""")
        expected = sorted(int(c["n"]) for c in counted if not (
            key in params and c["v"] == settings.iris.base + params[key]))
        assert shown == sorted(expected, reverse=True)[:25][::-1], key


def test_state_chart_numbers_equal_sparql(matrix_site):
    settings, server, store = matrix_site
    reply = server.get("/doc/state/SVN", accept="text/html")
    assert reply.status == 200
    doc = lhtml.fromstring(reply.text)
    (table,) = doc.cssselect("figure#acceptance table")
    shown = {text(tr.find("th")): text(tr.find("td")) for tr in table.cssselect("tbody tr")}
    for row in ask(store, settings, """SELECT ?cycle (COUNT(?r) AS ?n)
        (SUM(IF(?resp = upr:Supported, 1, 0)) AS ?s) WHERE {
        ?r upr:review ?v ; upr:response ?resp . ?v upr:stateUnderReview <id/state/SVN> ;
        upr:cycle ?cycle } GROUP BY ?cycle"""):
        rate = round(1000 * int(row["s"]) / int(row["n"])) / 10
        assert float(shown[f"Cycle {row['cycle']}"].rstrip("%")) == rate
    svg = doc.cssselect("figure#acceptance svg")[0]
    assert svg.get("role") == "img" and text(svg.find("desc"))


def test_bad_search_parameters_are_client_errors(matrix_site):
    _settings, server, _store = matrix_site
    for query in ("cycle=three", "sort=nonsense", "page=0", "theme=%3Cx%3E", "sdg=1)"):
        reply = server.get("/search?" + query, accept="text/html")
        assert reply.status == 400, (query, reply.status)


def test_counts_on_home_and_state_pages_are_recommendations_only(matrix_site):
    """Findings and conclusions also name a review: they are not recommendations."""
    settings, server, store = matrix_site
    doc = lhtml.fromstring(server.get("/", accept="text/html").text)
    rows = {text(tr.cssselect("td")[0]) + " " + text(tr.cssselect("td")[1]):
            text(tr.cssselect("td")[2]) for tr in doc.cssselect("table.reviews tbody tr")}
    for r in ask(store, settings, """SELECT ?label ?cycle (COUNT(?rec) AS ?n) WHERE {
        ?rec a upr:Recommendation ; upr:review ?v . ?v upr:cycle ?cycle ;
        upr:stateUnderReview/rdfs:label ?label } GROUP BY ?label ?cycle"""):
        assert rows[f"{r['label']} cycle {r['cycle']}"].endswith(f"{r['n']} in the graph")
    assert "Cambodia cycle 1" not in rows  # named by a conclusion only
    assert rows["Cambodia cycle 3"] == "198 stated"


def test_json_download_is_jsonld_with_the_published_context(matrix_site):
    """Expanded with the context served at /def/context.jsonld, the JSON download states
    what the CSV lists, row for row, with typed values."""
    from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

    settings, server, store = matrix_site
    upr = Namespace(str(settings.iris.upr))
    params = urllib.parse.urlencode({"sur": "id/state/SVN"})
    rows = list(csv.DictReader(io.StringIO(server.get("/search.csv?" + params).text)))
    reply = server.get("/search.json?" + params)
    assert reply.status == 200 and reply.media_type == "application/ld+json"
    doc = json.loads(reply.text)
    context_url = settings.iris.base + "def/context.jsonld"
    assert doc["@context"][0] == context_url
    assert [n["id"] for n in doc["@graph"]] == [r["recommendation"] for r in rows]
    assert all(isinstance(n["review"]["cycle"], int) for n in doc["@graph"])  # typed, short
    published = json.loads(server.get("/def/context.jsonld").text)["@context"]
    doc["@context"][0] = published  # the same context, without fetching its URL
    g = Graph().parse(data=json.dumps(doc), format="json-ld")
    assert len(set(g.subjects(RDF.type, upr.Recommendation))) == len(rows) > 50
    for row in rows:
        rec = URIRef(row["recommendation"])
        (text,) = g.objects(rec, upr.text)
        assert text == Literal(row["text"], lang="en")
        review = g.value(rec, upr.review)
        assert g.value(review, upr.cycle) == Literal(int(row["cycle"]), datatype=XSD.integer)
        state = g.value(review, upr.stateUnderReview)
        assert str(g.value(state, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) == \
            row["stateUnderReview"]
        pref = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
        assert str(g.value(g.value(rec, upr.response), pref) or "") == row["response"]
        labels = {str(g.value(s, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
                  for s in g.objects(rec, upr.recommendingState)}
        assert labels == set(filter(None, row["recommendingStates"].split("; ")))
        assessment = g.value(predicate=upr.assesses, object=rec)
        assert str(g.value(g.value(assessment, upr.implementationStatus), pref) or "") == \
            row["status"]
    # and every statement it makes, typed as it is, is one the store makes
    said = " ".join(f"({s.n3()} {p.n3()} {o.n3()})" for s, p, o in g)
    (missing,) = ask(store, settings, f"""SELECT (COUNT(*) AS ?n) WHERE {{
      VALUES (?s ?p ?o) {{ {said} }} FILTER NOT EXISTS {{ ?s ?p ?o }} }}""")
    assert missing["n"] == "0"


def test_a_page_past_the_last_links_back(matrix_site, theme):
    settings, server, _store = matrix_site
    params = search_params(settings, theme)
    reply = server.get("/search?" + urllib.parse.urlencode({**params, "page": 900}),
                       accept="text/html")
    assert reply.status == 200
    doc = lhtml.fromstring(reply.text)
    assert not doc.cssselect("table.recs")
    note = doc.cssselect("p.nothing")[0]
    assert text(note).startswith("Page 900 is past the last one")
    first = note.cssselect("a")[0].get("href")
    back = server.get(first.removeprefix(server.url.rstrip("/")), accept="text/html")
    assert lhtml.fromstring(back.text).cssselect("table.recs tbody tr")
