"""The SHACL shapes: the seed conforms, and every shape fires on a broken copy of it.

Each ``tests/fixtures/shapes/*.ru`` is a SPARQL Update that breaks valid data in one
way. Its header names the shape that must report it (``# shape:``, a local name in
``<def/shapes#>``, or an IRI relative to the base when it holds a ``#``, such as
``def/shapes/links#SdgLink-sdg`` for the shapes of ``shapes/links.ttl``), optionally
the constraint component (``# component:``, named the same way), the focus node
(``# focus:``, relative to the base; ``_:`` for a blank node) and a part of the
message a person would read (``# message:``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
import rdflib
from conftest import FIXTURES, parse_turtle
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql.processor import prepareUpdate

CASES = sorted((FIXTURES / "shapes").glob("*.ru"))
EXTRAS = (FIXTURES / "valid-extras.ttl", FIXTURES / "restricted-finding.ttl")


@dataclass(frozen=True)
class Case:
    path: Path
    shape: str
    focus: str
    message: str
    component: str | None = None

    @classmethod
    def read(cls, path: Path) -> Case:
        header: dict[str, str] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            key, _, value = line[1:].strip().partition(":")
            header[key.strip()] = value.strip()
        return cls(path, header["shape"], header["focus"], header["message"],
                   header.get("component"))


def shape_iri(name: str, base_iri: str) -> rdflib.URIRef:
    """A ``# shape:`` or ``# component:`` header value as an IRI: a local name in
    ``<def/shapes#>``, or (with a ``#``) an IRI relative to the base."""
    return rdflib.URIRef(base_iri + name if "#" in name else base_iri + "def/shapes#" + name)


def validate(data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph,
             only: list[rdflib.URIRef] | None = None) -> tuple[bool, rdflib.Graph]:
    """pyshacl, optionally with only the given shapes (much faster for the fixtures).

    (pyshacl's ``focus_nodes`` option is not used: it also filters the value nodes that
    ``sh:or`` and SPARQL components look at, and they stop firing.)
    """
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, use_shapes=only, inplace=only is not None,
        advanced=True)
    return conforms, report


def owning_node_shape(shapes: rdflib.Graph, shape: rdflib.URIRef) -> rdflib.URIRef:
    owner = shapes.value(predicate=SH.property, object=shape)
    return owner if owner is not None else shape


def results(report: rdflib.Graph) -> list[dict[str, object]]:
    rows = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        rows.append({
            "shape": report.value(result, SH.sourceShape),
            "component": report.value(result, SH.sourceConstraintComponent),
            "focus": report.value(result, SH.focusNode),
            "messages": [str(m) for m in report.objects(result, SH.resultMessage)],
        })
    return rows


@pytest.fixture(scope="module")
def valid_graph(seed_graph: rdflib.Graph) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in seed_graph:
        graph.add(triple)
    for triple in parse_turtle(*EXTRAS):
        graph.add(triple)
    return graph


def test_seed_conforms(seed_graph, shapes_graph, ontology_graph) -> None:
    conforms, report = validate(seed_graph, shapes_graph, ontology_graph)
    assert conforms, report.serialize(format="turtle")


def test_fixture_extras_conform(valid_graph, shapes_graph, ontology_graph) -> None:
    conforms, report = validate(valid_graph, shapes_graph, ontology_graph)
    assert conforms, report.serialize(format="turtle")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shape_fires(path: Path, valid_graph, shapes_graph, ontology_graph, base_iri) -> None:
    case = Case.read(path)
    shape = shape_iri(case.shape, base_iri)
    broken = rdflib.Graph()
    for triple in valid_graph:
        broken.add(triple)
    before = set(broken)
    update = path.read_text(encoding="utf-8")
    broken.update(prepareUpdate(update, base=base_iri))
    after = set(broken)
    assert after != before, f"{path.name}: the update changed nothing"
    if "DELETE" in update:
        assert before - after, f"{path.name}: the update deleted nothing (a typo in DELETE?)"

    blank = case.focus == "_:"
    focus = None if blank else rdflib.URIRef(base_iri + case.focus)
    only = [owning_node_shape(shapes_graph, shape), shape]
    conforms, report = validate(broken, shapes_graph, ontology_graph, only)
    assert not conforms, f"{path.name}: the data still conforms"
    found = results(report)
    matching = [
        r for r in found
        if r["shape"] == shape
        and (case.component is None or r["component"] == shape_iri(case.component, base_iri))
        and (isinstance(r["focus"], rdflib.BNode) if blank else r["focus"] == focus)
    ]
    assert matching, f"{path.name}: {case.shape} did not fire on {case.focus}; got:\n" + "\n".join(
        f"{r['shape']} {r['focus']} {r['messages']}" for r in found)
    messages = [m for r in matching for m in r["messages"]]
    assert any(case.message in m for m in messages), (
        f"{path.name}: message {case.message!r} not in {messages}")


def test_every_shape_has_a_failing_fixture(shapes_graph, base_iri) -> None:
    """A new shape, property shape or constraint component without a fixture fails here."""
    cases = [Case.read(p) for p in CASES]
    fired_shapes = {str(shape_iri(c.shape, base_iri)) for c in cases}
    fired_components = {str(shape_iri(c.component, base_iri)) for c in cases if c.component}

    missing = []
    for component in shapes_graph.subjects(RDF.type, SH.ConstraintComponent):
        if str(component) not in fired_components:
            missing.append(str(component))
    for shape in set(shapes_graph.subjects(RDF.type, SH.NodeShape)):
        properties = {str(p) for p in shapes_graph.objects(shape, SH.property)}
        if str(shape) not in fired_shapes and not properties & fired_shapes:
            missing.append(str(shape))
        for prop in properties:
            if prop not in fired_shapes:
                missing.append(prop)
    assert not missing, "shapes without a failing fixture: " + ", ".join(sorted(missing))


def test_every_shape_is_named_and_explained(shapes_graph) -> None:
    """Shapes have IRIs (so reports and fixtures can name them) and a message of their own."""
    node_shapes = set(shapes_graph.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes_graph.objects(None, SH.property))
    assert all(isinstance(s, rdflib.URIRef) for s in node_shapes | property_shapes)
    own_constraints = (SH.pattern, SH.nodeKind, SH["not"], SH["or"])
    with_own = {s for s in node_shapes
                if any((s, c, None) in shapes_graph for c in own_constraints)}
    silent = [s for s in property_shapes | with_own if shapes_graph.value(s, SH.message) is None]
    assert not silent, silent
