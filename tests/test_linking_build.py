"""Acceptance: `uprgraph build` with Cambodia's and Slovenia's data publishes recurrence
links, source matches and suggestions, in a graph of their own, deterministically; the
named query answers; `uprgraph links evaluate` prints the figures; removing an import
removes its links."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from linking_helpers import cambodia_slovenia_project
from test_queries import run

from uprgraph.build import build
from uprgraph.cli import main
from uprgraph.importing import remove_import
from uprgraph.linking import link_recs
from uprgraph.linking.evaluate import project_recs
from uprgraph.release import current
from uprgraph.terms import to_oxigraph

ROOT = Path(__file__).resolve().parents[1]
LINKS_GRAPH = "graph/linking/links"
PREFIX = "PREFIX upr: <def/upr#> PREFIX prov: <http://www.w3.org/ns/prov#> "


@pytest.fixture(scope="module")
def project(shared_data, tmp_path_factory):
    settings = cambodia_slovenia_project(shared_data, tmp_path_factory.mktemp("linking"))
    return settings, build(settings)


def _store(settings) -> ox.Store:
    return ox.Store.read_only(str(current(settings).store_path))


def _select(store: ox.Store, base: str, query: str) -> list[dict]:
    result = store.query(PREFIX + query, base_iri=base, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in result]


def test_named_query_lists_cambodia_18_repeating_6_with_both_responses(project):
    settings, _ = project
    base = settings.iris.base
    rows = run(_store(settings), ROOT / "queries" / "recurring-cambodia-18.rq", base)
    assert len(rows) >= 20
    assert all(r["response"] in {"Supported", "Noted"} for r in rows)
    assert all(r["earlierResponse"] in {"Supported", "Noted"} for r in rows)
    assert all(r["recommendation"].startswith("id/recommendation/KHM/2/") for r in rows)
    assert all(r["earlier"].startswith("id/recommendation/KHM/1/") for r in rows)
    # the OPCAT national preventive mechanism, asked in both cycles
    pair = [r for r in rows if r["recommendation"] == "id/recommendation/KHM/2/ui-5522c13a60de"
            and r["earlier"] == "id/recommendation/KHM/1/ui-76c862d56bf0"]
    assert pair and pair[0]["score"] > 0.8
    assert {r["method"] for r in rows} == {"tfidf-words-chars-cosine"}


def test_slovenia_session_20_every_row_matched_to_one_matrix_recommendation(project):
    settings, _ = project
    base = settings.iris.base
    rows = _select(_store(settings), base, """
        SELECT ?row (COUNT(DISTINCT ?m) AS ?matches) (SAMPLE(?ok) AS ?sameState) WHERE {
          ?row upr:review <id/review/SVN/2> ; prov:wasDerivedFrom <id/import/ui-second> .
          OPTIONAL { ?l upr:rowRecommendation ?row ; upr:matrixRecommendation ?m .
                     ?row upr:recommendingState ?s .
                     BIND(EXISTS { ?m upr:recommendingState ?s } AS ?ok) }
        } GROUP BY ?row""")
    assert len(rows) == 180
    assert all(int(r["matches"]) == 1 for r in rows), [r for r in rows if r["matches"] != "1"]
    assert all(r["sameState"] == "true" for r in rows)
    matrix = _select(_store(settings), base, """
        SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?l upr:matrixRecommendation ?m }""")
    assert int(matrix[0]["n"]) == 163  # every matrix recommendation has its rows


def test_links_live_in_their_own_graph_and_are_never_tags(project):
    settings, _ = project
    store = _store(settings)
    graph = ox.NamedNode(settings.iris.base + LINKS_GRAPH)
    upr = settings.iris.upr
    assert list(store.quads_for_pattern(None, ox.NamedNode(str(upr.score)), None, graph))
    for cls in ("RecurrenceLink", "SourceMatch", "Suggestion", "LinkingActivity"):
        inside = list(store.quads_for_pattern(None, ox.NamedNode(
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(str(upr[cls])),
            graph))
        everywhere = list(store.quads_for_pattern(None, ox.NamedNode(
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(str(upr[cls]))))
        assert inside and len(inside) == len(everywhere), cls
    for tag in ("theme", "sdg"):
        assert not list(store.quads_for_pattern(None, ox.NamedNode(str(upr[tag])), None, graph))


def test_links_report_and_evaluate_print_the_figures(project):
    settings, _ = project
    runner = CliRunner()
    report = runner.invoke(main, ["--project", str(settings.project_dir), "links", "report",
                                  "--format", "json"])
    assert report.exit_code == 0, report.output
    reviews = {(r["state"], r["cycle"]): r for r in json.loads(report.output)["reviews"]}
    assert reviews[("KHM", 2)]["repeating"] >= 20
    assert reviews[("SVN", 2)]["rows_matched"] == reviews[("SVN", 2)]["rows"] == 180
    evaluated = runner.invoke(main, [
        "--project", str(settings.project_dir), "links", "evaluate",
        "--pairs", str(ROOT / "tests/fixtures/linking/recurrence-pairs.csv"), "--format", "json"])
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(evaluated.output)
    chosen = figures["recurrence"]["chosen"]
    assert figures["recurrence"]["missing_pairs"] == 0 and chosen["pairs"] >= 90
    assert chosen["precision"] >= 0.9 and chosen["recall"] >= 0.7, chosen
    svn = figures["source_matching"][0]
    assert (svn["state"], svn["rows"], svn["recommendations"], svn["matched"],
            svn["unmatched"]) == ("SVN", 180, 163, 180, 0)
    accuracy = {a["kind"]: a for a in figures["suggestions"]}
    assert set(accuracy) == {"theme", "sdg"}
    assert all(0 < a["top1"] <= a["top3"] <= 1 for a in accuracy.values())


def test_links_are_the_same_on_every_run(project):
    """The published links equal a fresh linking of the same data, run twice."""
    settings, _ = project
    graph = ox.NamedNode(settings.iris.base + LINKS_GRAPH)
    published = {q.triple for q in _store(settings).quads_for_pattern(None, None, None, graph)}
    runs = []
    for _ in range(2):
        linked = link_recs(project_recs(settings), settings.iris)
        runs.append({ox.Triple(*(to_oxigraph(t) for t in triple)) for triple in linked.graph})
    assert runs[0] == runs[1] == published


def test_removing_an_import_removes_its_links(project):
    settings, _ = project
    remove_import(settings, "svn-c2")
    build(settings)
    base = settings.iris.base
    left = _select(_store(settings), base, """
        SELECT (COUNT(*) AS ?n) WHERE {
          ?l prov:wasGeneratedBy ?run ; ?p ?r .
          FILTER(STRSTARTS(STR(?r), STR(<id/recommendation/SVN/2/115.>))) }""")
    assert int(left[0]["n"]) == 0
    matches = _select(_store(settings), base,
                      "SELECT (COUNT(*) AS ?n) WHERE { ?l a upr:SourceMatch }")
    assert int(matches[0]["n"]) == 0
    repeats = _select(_store(settings), base,
                      "SELECT (COUNT(*) AS ?n) WHERE { ?l a upr:RecurrenceLink }")
    assert int(repeats[0]["n"]) > 0  # the other imports keep theirs
