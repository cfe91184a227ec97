"""Links in a built release: SHACL checks, VoID linksets, coverage report, state codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from links_helpers import PREFIXES, make_project
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD, Namespace

from uprgraph.build import BuildError, build
from uprgraph.config import load_settings
from uprgraph.links import vocab
from uprgraph.links.commands import links
from uprgraph.links.linksets import count_links, describe_linksets
from uprgraph.links.report import coverage
from uprgraph.links.states import states_missing_codes
from uprgraph.release import current
from uprgraph.store.oxigraph import OxigraphStore

VOID = Namespace("http://rdfs.org/ns/void#")
SDG = Namespace("http://metadata.un.org/sdg/")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("links-project"), m49=True)
    settings = load_settings(project)
    vocab.add(settings, project / "m49.csv")
    build(settings)
    store = OxigraphStore.open_read_only(current(settings).store_path)
    return settings, store


def test_linksets_count_links_per_target(released):
    settings, store = released
    found = {(ls.target, str(ls.predicate)): ls.triples for ls in count_links(store, settings.iris)}
    upr = settings.iris.upr
    assert found == {
        ("un-sdg-kos", str(upr.sdg)): 3,
        ("wikidata", "http://www.w3.org/2002/07/owl#sameAs"): 0,
        ("geonames", "http://www.w3.org/2002/07/owl#sameAs"): 0,
        ("undocs", "http://xmlns.com/foaf/0.1/page"): 2,
    }


def test_describe_linksets_as_void(released):
    settings, store = released
    linksets = count_links(store, settings.iris)
    g = describe_linksets(Graph(), settings, linksets)
    iris = settings.iris
    sdg_set = iris.linkset("un-sdg-kos", "sdg")
    assert (iris.dataset(), VOID.subset, sdg_set) in g
    assert g.value(sdg_set, VOID.triples) == Literal(3, datatype=XSD.integer)
    assert g.value(sdg_set, VOID.linkPredicate) == iris.upr.sdg
    assert g.value(sdg_set, VOID.objectsTarget) == URIRef("http://metadata.un.org/sdg")
    assert g.value(sdg_set, VOID.subjectsTarget) == iris.dataset()
    assert len(set(g.subjects(None, VOID.Linkset))) == 4
    assert not any(isinstance(term, BNode) for triple in g for term in triple)


def test_coverage_figures(released):
    settings, store = released
    report = coverage(store, settings.iris)
    f = report.figure
    assert (f("recommendations_with_sdg").count, f("recommendations_with_sdg").total) == (2, 3)
    assert f("recommendations_with_sdg_target").count == 1
    assert f("recommendations_with_source_document").count == 2
    assert f("recommendations_with_position_source").count == 1
    assert (f("states_with_iso_codes").count, f("states_with_iso_codes").total) == (3, 3)
    assert f("states_with_m49").count == 3
    assert f("states_with_m49_area").count == 3
    assert f("states_with_wikidata").count == 0
    assert f("documents_with_page").count == 2
    data = report.as_dict()
    assert {ls["target"] for ls in data["linksets"]} == {"un-sdg-kos", "wikidata", "geonames",
                                                         "undocs"}
    assert "with an SDG target" in report.render()
    assert f("recommendations_with_sdg").share == pytest.approx(0.6667)


def test_every_state_has_iso_and_m49_codes(released):
    settings, store = released
    assert states_missing_codes(store, settings.iris) == []


def test_m49_links_only_for_described_states_and_hierarchy(released):
    settings, store = released
    iris = settings.iris
    rows = list(store.query("""
        SELECT ?state ?region WHERE {
          ?state <https://schema.org/containedInPlace> ?area .
          ?area <http://www.w3.org/2004/02/skos/core#broader>* ?region .
          ?region <http://www.w3.org/2004/02/skos/core#notation> "150" }""").rows())
    assert {r["state"].value for r in rows} == {str(iris.state("SVN")), str(iris.state("FRA"))}
    jam = list(store.query(f"ASK {{ <{iris.state('JAM')}> ?p ?o }}").boolean for _ in [0])
    assert jam == [False], "links of states the data does not describe are dropped"
    caribbean = list(store.query(f"""SELECT ?up WHERE {{
        <{iris.m49_area('029')}> <http://www.w3.org/2004/02/skos/core#broader> ?up }}""").rows())
    assert [r["up"].value for r in caribbean] == [str(iris.m49_area("419"))]


def test_links_report_command(released):
    settings, _ = released
    runner = CliRunner()
    result = runner.invoke(links, ["report"], obj=settings)
    assert result.exit_code == 0, result.output
    assert "with an SDG goal or target" in result.output and "2 / 3" in result.output
    as_json = runner.invoke(links, ["report", "--format", "json"], obj=settings)
    assert json.loads(as_json.output)["coverage"][0]["count"] == 2


def test_links_report_without_release(tmp_path):
    settings = load_settings(tmp_path)
    result = CliRunner().invoke(links, ["report"], obj=settings)
    assert result.exit_code == 1
    assert "uprgraph build" in result.output


def test_sdg_labels_query_with_kos(released):
    settings, store = released
    rows = list(store.query("""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX upr: <def/upr#>
        SELECT ?goal ?label (COUNT(DISTINCT ?rec) AS ?n) WHERE {
          ?rec upr:sdg ?sdg .
          ?sdg skos:broader* ?goal .
          FILTER(REGEX(STR(?goal), "/sdg/[0-9]+$"))
          OPTIONAL { ?goal skos:prefLabel ?label FILTER(LANG(?label) = "fr") }
        } GROUP BY ?goal ?label ORDER BY ?goal""", base_iri=settings.iris.base).rows())
    got = {r["goal"].value: (r["label"].value, int(r["n"].value)) for r in rows}
    assert got == {str(SDG["16"]): ("Paix", 2), str(SDG["8"]): ("Travail décent", 1)}


BAD = {
    "sdg-pattern": ("<id/recommendation/SVN/3/9.9> a upr:Recommendation ; "
                    "upr:sdg <http://metadata.un.org/sdg/18> .", "UN SDG KOS goal or target"),
    "sdg-not-in-kos": ("<id/recommendation/SVN/3/9.9> a upr:Recommendation ; upr:sdg sdg:1 .",
                       "is not a goal or target of the UN SDG KOS"),
    "theme-mapping-pattern": ("<id/theme/t/x> <http://www.w3.org/2004/02/skos/core#closeMatch> "
                              "<http://metadata.un.org/sdg/16.999> .",
                              "not a goal, target or indicator"),
    "theme-mapping-not-in-kos": ("<id/theme/t/x> <http://www.w3.org/2004/02/skos/core#relatedMatch>"
                                 " sdg:2 .", "missing from the loaded UN SDG KOS"),
    "m49-two-digits": ('<id/state/ITA> a upr:State ; upr:iso2 "IT" ; upr:iso3 "ITA" ; '
                       'upr:m49 "80" .', "three digits"),
    "state-without-codes": ("<id/state/ITA> a upr:State .", "alpha-2"),
    "symbol": ('<id/document/x> a upr:UNDocument ; upr:symbol "hrc 43" ; '
               "foaf:page <https://undocs.org/hrc%2043> .", "well-formed symbol"),
    "page": ('<id/document/A/HRC/1/1> a upr:UNDocument ; upr:symbol "A/HRC/1/1" ; '
             "foaf:page <https://undocs.org/A/HRC/1/2> .", "undocs.org page"),
    "wikidata-form": ("<id/state/SVN> <http://www.w3.org/2002/07/owl#sameAs> "
                      "<https://www.wikidata.org/wiki/Q215> .", "Wikidata item"),
    "source-document-class": ("<id/recommendation/SVN/3/121.1> upr:sourceDocument "
                              "<id/document/nothing> .", "must be a upr:UNDocument"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_shapes_refuse_malformed_links(tmp_path, case):
    project = make_project(tmp_path)
    triples, message = BAD[case]
    (project / "data" / "bad.ttl").write_text(PREFIXES + triples + "\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(load_settings(project))
    assert message in str(caught.value)


def test_sdg_links_stand_without_the_kos(tmp_path):
    project = make_project(tmp_path, kos=False)
    (project / "data" / "more.ttl").write_text(
        PREFIXES + "<id/recommendation/SVN/3/9.9> a upr:Recommendation ; upr:sdg sdg:1 .\n",
        encoding="utf-8")
    settings = load_settings(project)
    build(settings)
    store = OxigraphStore.open_read_only(current(settings).store_path)
    assert coverage(store, settings.iris).figure("recommendations_with_sdg").count == 3


def test_recommendations_per_sdg_goal_query(released):
    from uprgraph.links.queries import recommendations_per_sdg_goal

    settings, store = released
    rows = list(store.query(recommendations_per_sdg_goal("SVN", 3),
                            base_iri=settings.iris.base).rows())
    got = [(r["code"].value, r["label"].value, int(r["recommendations"].value)) for r in rows]
    assert got == [("8", "Decent work", 1), ("16", "Peace", 2)]
