"""Finding and source pages show what the graph says of them, read back from the store."""

from __future__ import annotations

from lxml import html as lhtml
from pages_fixtures import ask

pytest_plugins = ["pages_fixtures"]


def text(el) -> str:
    return " ".join(el.text_content().split())


def page(server, settings, iri: str):
    reply = server.get("/" + settings.iris.document_path(iri), accept="text/html")
    assert reply.status == 200, reply.text[:300]
    return lhtml.fromstring(reply.text)


def test_finding_page_shows_its_review_theme_figures_dates_and_source(matrix_site):
    settings, server, store = matrix_site
    # the finding with the most figures, so figures and their bounds are on the page
    (f,) = ask(store, settings, """SELECT ?f (COUNT(?q) AS ?n) WHERE {
      ?f a upr:Finding ; upr:quantity ?q } GROUP BY ?f ORDER BY DESC(?n) ?f LIMIT 1""")
    (row,) = ask(store, settings, f"""SELECT ?headline ?statement ?theme ?direction ?source
      ?review WHERE {{ <{f['f']}> upr:headline ?headline ; upr:statement ?statement ;
      upr:theme/skos:prefLabel ?theme ; upr:direction/skos:prefLabel ?direction ;
      upr:review/upr:stateUnderReview/rdfs:label ?review ;
      prov:wasDerivedFrom/rdfs:label ?source }}""")
    doc = page(server, settings, f["f"])
    assert text(doc.cssselect("h1")[0]) == row["headline"]
    assert text(doc.cssselect("blockquote")[0]) == " ".join(row["statement"].split())
    meta = text(doc.cssselect("dl.meta")[0])
    for key in ("theme", "direction", "source", "review"):
        assert row[key] in meta, key
    figures = text(doc.cssselect("ul.figures")[0])
    quantities = ask(store, settings, f"""SELECT ?v ?counts WHERE {{
      <{f['f']}> upr:quantity ?q . ?q rdf:value ?v ; upr:counts ?counts }}""")
    assert len(quantities) == int(f["n"]) > 1
    for q in quantities:
        assert f"{int(q['v']):,}" in figures and q["counts"] in figures
    for d in ask(store, settings, f"SELECT ?d WHERE {{ <{f['f']}> dcterms:date ?d }}"):
        assert d["d"] in meta
    assert server.get("/" + settings.iris.document_path(f["f"]) + ".ttl").media_type == \
        "text/turtle"


def test_source_page_counts_what_cites_it(matrix_site):
    settings, server, store = matrix_site
    (s,) = ask(store, settings, """SELECT ?s ?label ?page (COUNT(?x) AS ?n) WHERE {
      ?x prov:wasDerivedFrom ?s . ?x a upr:Finding . ?s rdfs:label ?label ; foaf:page ?page }
      GROUP BY ?s ?label ?page ORDER BY DESC(?n) LIMIT 1""".replace(
        "foaf:page", "<http://xmlns.com/foaf/0.1/page>"))
    doc = page(server, settings, s["s"])
    assert s["label"] in text(doc.cssselect("dl.meta")[0])
    assert doc.cssselect(f'dl.meta a[href="{s["page"]}"]')
    table = {text(tr.cssselect("th")[0]): int(text(tr.cssselect("td")[0]))
             for tr in doc.cssselect("section[aria-labelledby=cited-by] tbody tr")}
    kinds = ask(store, settings, f"""SELECT ?t ?label (COUNT(DISTINCT ?x) AS ?n) WHERE {{
      ?x prov:wasDerivedFrom <{s['s']}> ; a ?t . OPTIONAL {{ ?t rdfs:label ?label
      FILTER(LANGMATCHES(LANG(?label), "en")) }} }} GROUP BY ?t ?label""")
    local = {k["t"]: k["t"].rsplit("#", 1)[-1].rsplit("/", 1)[-1] for k in kinds}
    assert {k.get("label", local[k["t"]]): int(k["n"]) for k in kinds} == table
    assert table["Finding"] > 0
    listed = [a.text_content() for a in doc.cssselect("section[aria-labelledby=findings] li a")]
    headlines = ask(store, settings, f"""SELECT ?h WHERE {{ ?x prov:wasDerivedFrom <{s['s']}> ;
      upr:headline ?h }}""")
    assert sorted(listed) == sorted(h["h"] for h in headlines)
