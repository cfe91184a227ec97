"""The fast SHACL engine against plain pyshacl: the same results on every fixture and real data.

The build and imports validate with pyshacl-turbo (:mod:`uprgraph.validate`); pyshacl is
the reference. A result is compared on severity, focus node, path, value, shape and
message. Messages are compared with IRIs blanked out, because pyshacl fills
``{$this}`` in SPARQL-component messages with a node other than the result's own
(the same stale node for every result of a shape); the fast path must name the
result's own node, which is checked separately.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyshacl
import pytest
import rdflib
from conftest import ROOT, parse_turtle
from rdflib.namespace import SH
from rdflib.plugins.sparql.processor import prepareUpdate
from test_shapes import CASES, EXTRAS, Case, owning_node_shape, shape_iri

from uprgraph.validate import Report, Result, read_results, validate

IRI = re.compile(r"https?://[^\s,;]+")


def key(result: Result) -> tuple:
    return (result.severity, result.focus, result.path or "", result.value or "",
            result.shape or "", IRI.sub("<iri>", result.message))


def reference(data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph,
              only: list[rdflib.URIRef] | None = None) -> Report:
    """Plain pyshacl, as the build ran it before the fast engine."""
    graph = rdflib.Graph()
    graph += data
    graph += ontology
    _c, results, _t = pyshacl.validate(graph, shacl_graph=shapes, inference="none",
                                       advanced=True, allow_warnings=True, use_shapes=only,
                                       inplace=True)
    return read_results(results)


def fast(data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph) -> Report:
    graph = rdflib.Graph()
    graph += data
    return validate(graph, shapes, ontology)


def assert_own_nodes(report: Report) -> None:
    """A message naming a node names the result's own focus node or value."""
    for r in report.results:
        named = IRI.findall(r.message)
        own = {r.focus, r.value or ""}
        for iri in named:
            if "/id/" in iri:  # data nodes, not example IRIs of the shapes' own wording
                assert any(iri.startswith(o) and o for o in own), (iri, r)


@pytest.fixture(scope="module")
def valid_graph(seed_graph: rdflib.Graph) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph += seed_graph
    graph += parse_turtle(*EXTRAS)
    return graph


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fast_path_matches_pyshacl_on_fixture(path: Path, valid_graph, shapes_graph,
                                              ontology_graph, base_iri) -> None:
    """Every result of the fixture's node shape is the same in both engines.

    The reference runs only that node shape and its property shapes, which
    keeps pyshacl to a second per fixture; the fast path runs every shape, as the
    build does, and its results of that node shape are compared.
    """
    case = Case.read(path)
    owner = owning_node_shape(shapes_graph, shape_iri(case.shape, base_iri))
    broken = rdflib.Graph()
    broken += valid_graph
    broken.update(prepareUpdate(path.read_text(encoding="utf-8"), base=base_iri))
    ours = fast(broken, shapes_graph, ontology_graph)
    only = [owner, *shapes_graph.objects(owner, SH.property)]
    theirs = reference(broken, shapes_graph, ontology_graph, only=only)
    slice_ = set(map(str, only))
    mine = sorted(key(r) for r in ours.results if r.shape in slice_)
    assert mine, f"{path.name}: the fast path reports nothing for {owner}"
    assert mine == sorted(key(r) for r in theirs.results)
    assert_own_nodes(ours)


def test_fast_path_matches_pyshacl_on_real_data(shared_data: Path, tmp_path: Path,
                                                shapes_graph, ontology_graph, seed_graph) -> None:
    """Real UPR Info rows (Cambodia's second review among them) imported, plus the seed,
    validated whole by both engines; then broken in two ways and validated again."""
    from uprgraph.config import load_settings
    from uprgraph.importing import import_file

    rows = (shared_data / "upr-info" / "upr-info-sessions-18-20.csv").read_bytes().split(b"\r")
    sample = tmp_path / "sample.csv"
    sample.write_bytes(b"\r".join(rows[:1] + rows[1:400] + rows[3000:3200]))
    shutil.copytree(ROOT / "shapes", tmp_path / "shapes")
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    result = import_file(load_settings(tmp_path), sample)
    data = rdflib.Graph()
    data += seed_graph
    data.parse(tmp_path / "data" / "imported" / f"{result.name}.nt", format="nt")
    report = fast(data, shapes_graph, ontology_graph)
    assert report.conforms, report.render()
    assert sorted(map(key, report.results)) == sorted(
        map(key, reference(data, shapes_graph, ontology_graph).results))

    rec = next(data.subjects(rdflib.RDF.type, rdflib.URIRef(
        "http://localhost:8080/def/upr#Recommendation")))
    review = data.value(rec, rdflib.URIRef("http://localhost:8080/def/upr#review"))
    data.add((review, rdflib.URIRef("http://localhost:8080/def/upr#session"),
              rdflib.Literal(99)))
    data.remove((rec, rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), None))
    broken = fast(data, shapes_graph, ontology_graph)
    assert len(broken.violations) >= 2
    assert sorted(map(key, broken.results)) == sorted(
        map(key, reference(data, shapes_graph, ontology_graph).results))
    assert {r.focus for r in broken.violations} >= {str(rec), str(review)}
    assert_own_nodes(broken)

