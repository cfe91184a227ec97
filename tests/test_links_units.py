"""The pure helpers of uprgraph.links: SDG codes, document symbols, state codes, IRIs, Turtle."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, OWL, RDF, XSD

from uprgraph.iris import IRIs
from uprgraph.links import documents, sdg, states
from uprgraph.links.turtle import relative_turtle

IRI = IRIs("http://example.org/upr/")


@pytest.mark.parametrize("text,code", [
    ("16 - PEACE, JUSTICE AND STRONG INSTITUTIONS", "16"),
    ("8 - DECENT WORK AND ECONOMIC GROWTH", "8"),
    ("16.10 Ensure public access to information", "16.10"),
    ("SDG 5.a: equal rights", "5.a"),
    ("17", "17"),
    ("18 - NOT A GOAL", None),
    ("Affected persons:", None),
    ("2019 review", None),
])
def test_stated_sdg_codes(text, code):
    assert sdg.stated_code(text) == code


def test_sdg_goal_of_target_and_is_target():
    assert sdg.goal_of("http://metadata.un.org/sdg/16.10") == URIRef("http://metadata.un.org/sdg/16")
    assert sdg.is_target("http://metadata.un.org/sdg/16.10")
    assert not sdg.is_target("http://metadata.un.org/sdg/16")
    with pytest.raises(ValueError):
        sdg.goal_of("http://metadata.un.org/sdg/C161001")


def test_new_iris_methods():
    assert IRI.m49_area("039") == URIRef("http://example.org/upr/id/m49/039")
    assert IRI.wikidata("Q215") == URIRef("http://www.wikidata.org/entity/Q215")
    assert IRI.geonames("3190538") == URIRef("https://sws.geonames.org/3190538/")
    assert IRI.linkset("un-sdg-kos", "sdg") == URIRef(
        "http://example.org/upr/id/dataset/uprgraph/linkset/un-sdg-kos/sdg")
    for bad in (lambda: IRI.m49_area("39"), lambda: IRI.wikidata("P31"),
                lambda: IRI.geonames("abc")):
        with pytest.raises(ValueError):
            bad()


@pytest.mark.parametrize("symbol,ok", [
    ("A/HRC/43/15", True), ("A/HRC/43/15/Add.1", True), ("A/HRC/WG.6/34/SVN/1", True),
    ("E/C.12/SVN/CO/2", True), ("CCPR/C/SVN/CO/4", True),
    ("a/hrc/43/15", False), ("A HRC 43", False), ("A/", False), ("A/HRC//15", False),
])
def test_symbol_well_formed(symbol, ok):
    assert documents.is_well_formed(symbol) is ok


def test_position_source_parsing():
    assert documents.parse_position_source("A/HRC/43/15/Add.1 - Para.3") == \
        documents.Position("A/HRC/43/15/Add.1", "3")
    assert documents.parse_position_source("A/HRC/43/15 - Para 121") == \
        documents.Position("A/HRC/43/15", "121")
    assert documents.parse_position_source("A/HRC/43/15/Add.1") == \
        documents.Position("A/HRC/43/15/Add.1", None)
    with pytest.raises(documents.SymbolError):
        documents.parse_position_source("see the addendum")


def test_describe_document_type_session_and_page():
    g = Graph()
    upr = IRI.upr
    add1 = documents.describe_document(g, IRI, "A/HRC/43/15/Add.1", date="2020-02-27")
    report = documents.describe_document(g, IRI, "A / HRC / 43 / 15")
    national = documents.describe_document(g, IRI, "A/HRC/WG.6/34/SVN/1")
    assert add1 == IRI.document("A/HRC/43/15/Add.1")
    assert (add1, upr.documentType, upr.ReportAddendum) in g
    assert (report, upr.documentType, upr.WorkingGroupReport) in g
    assert (report, upr.symbol, Literal("A/HRC/43/15")) in g
    assert (report, FOAF.page, URIRef("https://undocs.org/A/HRC/43/15")) in g
    assert g.value(add1, upr.councilSession) == Literal(43, datatype=XSD.integer)
    assert g.value(national, upr.documentType) is None
    assert g.value(national, upr.councilSession) is None
    assert (add1, RDF.type, upr.UNDocument) in g


def test_enrich_documents_adds_only_what_is_missing():
    upr = IRI.upr
    data = Graph()
    doc = IRI.document("A/HRC/43/15/Add.1")
    data.add((doc, RDF.type, upr.UNDocument))
    data.add((doc, upr.symbol, Literal("A/HRC/43/15/Add.1")))
    data.add((doc, FOAF.page, IRI.undocs("A/HRC/43/15/Add.1")))
    derived = documents.enrich_documents(data, IRI)
    assert set(derived) == {
        (doc, upr.documentType, upr.ReportAddendum),
        (doc, upr.councilSession, Literal(43, datatype=XSD.integer)),
    }


def test_state_codes_from_pycountry():
    assert states.codes_for("svn") == states.StateCodes("SI", "SVN", "705")
    assert states.codes_for("ALB").m49 == "008"
    assert states.codes_for("PSE") is not None and states.codes_for("VAT") is not None
    assert states.codes_for("XXK") is None


def test_enrich_states_fills_gaps_never_overrides():
    upr = IRI.upr
    data = Graph()
    khm, svn = IRI.state("KHM"), IRI.state("SVN")
    data.add((khm, RDF.type, upr.State))
    data.add((svn, RDF.type, upr.State))
    data.add((svn, upr.iso3, Literal("SVN")))
    data.add((svn, upr.m49, Literal("999")))
    added = states.enrich_states(data, IRI)
    assert set(added.objects(khm, upr.iso2)) == {Literal("KH")}
    assert set(added.objects(khm, upr.m49)) == {Literal("116")}
    assert set(added.predicate_objects(svn)) == {(upr.iso2, Literal("SI"))}


def test_relative_turtle_follows_the_base():
    g = Graph()
    g.add((IRI.state("SVN"), OWL.sameAs, IRI.wikidata("Q215")))
    g.add((IRI.state("SVN"), IRI.upr.m49, Literal("705")))
    text = relative_turtle(g, IRI.base, {"owl": str(OWL), "upr": str(IRI.upr)}, "a header")
    assert text.startswith("# a header\n")
    assert "<id/state/SVN>" in text and "example.org" not in text
    other = Graph().parse(data=text, format="turtle", publicID="https://upr.example/")
    assert (URIRef("https://upr.example/id/state/SVN"), OWL.sameAs, IRI.wikidata("Q215")) in other
    assert (URIRef("https://upr.example/id/state/SVN"),
            URIRef("https://upr.example/def/upr#m49"), Literal("705")) in other
