"""The review page of Cambodia's third cycle holds everything the seed says about it.

The bundled data is built and served on loopback; the page is read as a person
reads it (its HTML) and every theme count and every finding is checked against
the graph, asked directly of the release's store (not through the page's queries).
"""

from __future__ import annotations

import pytest
from lxml import html as lhtml
from pages_fixtures import ask, served
from test_build import copy_project

from uprgraph.config import load_settings


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory):
    yield from served(load_settings(copy_project(tmp_path_factory.mktemp("pages"))))


def text(el) -> str:
    return " ".join(el.text_content().split())


@pytest.fixture(scope="module")
def page(seed_site):
    _settings, server, _store = seed_site
    reply = server.get("/doc/review/KHM/3", accept="text/html")
    assert reply.status == 200, reply.text[:500]
    return lhtml.fromstring(reply.text), reply


def test_review_counts_dates_and_documents(seed_site, page):
    settings, _server, store = seed_site
    doc, _ = page
    (review,) = ask(store, settings, """SELECT * WHERE { <id/review/KHM/3>
      upr:recommendationsReceived ?received ; upr:recommendationsSupported ?supported ;
      upr:recommendationsNoted ?noted ;
      upr:reviewDate ?date ; upr:outcomeAdopted ?adopted ; upr:session ?session }""")
    figures = {text(d.find("dt")): text(d.find("dd")) for d in doc.cssselect("dl.figures div")}
    assert figures["received"] == review["received"]
    assert figures["supported"] == review["supported"]
    assert figures["noted"] == review["noted"]
    meta = text(doc.cssselect("dl.meta")[0])
    for key in ("date", "adopted", "session"):
        assert review[key] in meta
    for doc_row in ask(store, settings, """SELECT ?symbol ?page WHERE { <id/review/KHM/3>
        upr:outcomeReport|upr:addendum ?d . ?d upr:symbol ?symbol ;
        <http://xmlns.com/foaf/0.1/page> ?page }"""):
        assert doc_row["symbol"] in meta
        assert doc.cssselect(f'a[href="{doc_row["page"]}"]')


def test_every_theme_count_as_the_source_words_it(seed_site, page):
    settings, _server, store = seed_site
    doc, _ = page
    counts = ask(store, settings, """SELECT * WHERE { ?c a upr:ThemeCount ;
      upr:review <id/review/KHM/3> ; upr:theme/skos:prefLabel ?theme ;
      upr:countStatement ?statement .
      OPTIONAL { ?c upr:recommendationsReceived ?received }
      OPTIONAL { ?c upr:recommendationsMoreThan ?moreThan }
      OPTIONAL { ?c upr:recommendationsSupported ?supported }
      OPTIONAL { ?c upr:recommendationsNoted ?noted } }""")
    assert len(counts) == 7
    rows = {text(tr.find("th")): tr for tr in doc.cssselect("table.themes tbody tr")}
    for c in counts:
        row = rows[c["theme"]]
        shown = text(row.cssselect("td.count")[0])
        if "received" in c:
            assert shown == c["received"]
        elif "moreThan" in c:
            assert shown == f"more than {c['moreThan']}"
        elif "supported" in c:
            assert shown == f"{c['supported']} supported, {c['noted']} noted"
        else:  # only words: never a number
            assert not any(ch.isdigit() for ch in shown)
            assert "many" in shown
        assert c["statement"] in text(row)


def test_every_finding_with_figures_dates_places_and_source(seed_site, page):
    settings, _server, store = seed_site
    doc, _ = page
    findings = ask(store, settings, """SELECT ?f ?direction ?theme ?headline ?statement ?date
      ?start ?end ?sourceLabel ?location WHERE {
      ?f a upr:Finding ; upr:review <id/review/KHM/3> ; upr:direction/skos:prefLabel ?direction ;
         upr:theme/skos:prefLabel ?theme ; upr:headline ?headline ; upr:statement ?statement ;
         upr:sourceLocation ?location ; prov:wasDerivedFrom/rdfs:label ?sourceLabel .
      OPTIONAL { ?f dcterms:date ?date } OPTIONAL { ?f upr:periodStart ?start }
      OPTIONAL { ?f upr:periodEnd ?end } }""")
    assert len(findings) == 38
    sections = {text(s.find("h2")): s for s in doc.cssselect("section.theme")}
    for f in findings:
        section = sections[f["theme"]]
        items = section.cssselect(f"ul.findings.{f['direction'].lower()} > li")
        (item,) = [li for li in items if text(li.find("p/strong")) == f["headline"]]
        shown = text(item)
        assert f["statement"] in shown
        assert f["sourceLabel"] in shown and f["location"] in shown
        for key in ("date", "start", "end"):
            if key in f:
                assert f[key] in shown
        for q in ask(store, settings, f"""SELECT ?value ?counts WHERE {{
            <{f['f']}> upr:quantity ?q . ?q rdf:value ?value ; upr:counts ?counts }}"""):
            bold = [text(b) for b in item.cssselect("strong.figure")]
            assert any(f"{int(q['value']):,}" in b for b in bold), (f["headline"], q, bold)
            assert q["counts"] in shown
        for place in ask(store, settings, f"""SELECT ?label WHERE {{ <{f['f']}> upr:place/rdfs:label
            ?label }}"""):
            assert place["label"] in shown


def test_conclusions_and_the_queries_behind_the_page(seed_site, page):
    settings, _server, store = seed_site
    doc, reply = page
    for c in ask(store, settings, """SELECT ?headline WHERE { ?c a upr:Conclusion ;
        upr:review <id/review/KHM/3> ; upr:headline ?headline }"""):
        assert c["headline"] in text(doc)
    shown = doc.cssselect("details.sparql pre")
    assert any("upr:ThemeCount" in text(p) for p in shown)
    assert "script-src 'self'" in reply.header("Content-Security-Policy")
    assert not [s for s in doc.cssselect("script") if s.get("type") != "application/ld+json"
                and not s.get("src")], "inline script"


def test_other_formats_of_the_review_stay_rdf(seed_site):
    _settings, server, _store = seed_site
    reply = server.get("/doc/review/KHM/3", accept="text/turtle")
    assert reply.status == 200 and reply.media_type == "text/turtle"
    assert "recommendationsReceived" in reply.text
