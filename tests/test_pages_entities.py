"""Recommendation and theme pages show what the graph says of them, and stay RDF for machines."""

from __future__ import annotations

from lxml import html as lhtml
from pages_fixtures import ask

pytest_plugins = ["pages_fixtures"]


def text(el) -> str:
    return " ".join(el.text_content().split())


def test_recommendation_page(matrix_site):
    settings, server, store = matrix_site
    (rec,) = ask(store, settings, """SELECT ?r ?text ?response WHERE {
      ?r upr:review <id/review/SVN/3> ; upr:text ?text ; upr:response/skos:prefLabel ?response ;
         upr:paragraph ?p } ORDER BY ?p LIMIT 1""")
    path = "/" + settings.iris.document_path(rec["r"])
    reply = server.get(path, accept="text/html")
    assert reply.status == 200
    doc = lhtml.fromstring(reply.text)
    assert text(doc.cssselect("blockquote.rectext")[0]) == " ".join(rec["text"].split())
    meta = text(doc.cssselect("dl.meta")[0])
    assert rec["response"] in meta
    for row in ask(store, settings, f"""SELECT ?label WHERE {{
        <{rec['r']}> upr:recommendingState|upr:theme ?t .
        ?t rdfs:label|skos:prefLabel ?label }}"""):
        assert row["label"] in meta
    assert server.get(path + ".ttl").media_type == "text/turtle"


def test_theme_page_counts_and_mappings(matrix_site):
    settings, server, store = matrix_site
    (row,) = ask(store, settings, """SELECT ?t (COUNT(DISTINCT ?r) AS ?n) WHERE {
      ?r upr:theme ?t . ?t skos:exactMatch|^skos:exactMatch|skos:closeMatch|^skos:closeMatch ?o }
      GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT 1""")
    reply = server.get("/" + settings.iris.document_path(row["t"]), accept="text/html")
    assert reply.status == 200
    doc = lhtml.fromstring(reply.text)
    assert f"{row['n']} recommendation" in text(doc.cssselect("main")[0])
    for m in ask(store, settings, f"""SELECT ?label WHERE {{
        {{ <{row['t']}> skos:exactMatch|skos:closeMatch ?o }} UNION
        {{ ?o skos:exactMatch|skos:closeMatch <{row['t']}> }} ?o skos:prefLabel ?label }}"""):
        assert m["label"] in text(doc.cssselect("section[aria-labelledby=mappings]")[0])
