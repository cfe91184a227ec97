"""The hand-written sources: ontology terms documented, data free of blank nodes, text
tagged with a language, and every /id/ IRI one that uprgraph.iris.IRIs mints."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import rdflib
from conftest import ROOT, data_files
from rdflib.namespace import OWL, RDF, RDFS

from uprgraph.iris import IRIs

TEXT_PREDICATES = {"text", "statement", "headline", "counts", "countStatement"}


def test_ontology_has_a_version_iri(ontology_graph, base_iri) -> None:
    ontology = rdflib.URIRef(base_iri + "def/upr")
    assert (ontology, RDF.type, OWL.Ontology) in ontology_graph
    assert ontology_graph.value(ontology, OWL.versionIRI) is not None


def test_every_term_is_labelled_commented_and_defined_by(ontology_graph, base_iri) -> None:
    ontology = rdflib.URIRef(base_iri + "def/upr")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = {t for k in kinds for t in ontology_graph.subjects(RDF.type, k)}
    assert len(terms) > 50
    for term in terms:
        for predicate in (RDFS.label, RDFS.comment):
            value = ontology_graph.value(term, predicate)
            assert value is not None and value.language == "en", f"{term} lacks {predicate}@en"
        assert ontology_graph.value(term, RDFS.isDefinedBy) == ontology, term


def test_data_uses_relative_iris() -> None:
    """Source files never hard-code the deployment base."""
    for path in data_files():
        assert "localhost" not in path.read_text(encoding="utf-8"), path


def test_no_blank_nodes_in_data(seed_graph) -> None:
    blank = [t for t in seed_graph if any(isinstance(x, rdflib.BNode) for x in t)]
    assert not blank, blank[:5]


def test_text_carries_a_language_tag(seed_graph, base_iri) -> None:
    upr = IRIs(base_iri).upr
    for predicate in TEXT_PREDICATES:
        for _, _, value in seed_graph.triples((None, upr[predicate], None)):
            assert isinstance(value, rdflib.Literal) and value.language == "en", (predicate, value)
    tagged = {o.language for o in seed_graph.objects()
              if isinstance(o, rdflib.Literal) and o.language}
    assert tagged == {"en"}


def remint(iris: IRIs) -> dict[str, Callable[[list[str]], rdflib.URIRef | None]]:
    """For each kind of /id/ IRI: rebuild it from its parts with the one IRI minter."""

    def finding(p: list[str]) -> rdflib.URIRef | None:
        if len(p) == 2:
            return iris.finding(p[0], p[1])
        if len(p) == 3 and p[2].startswith("q") and p[2][1:].isdigit():
            return iris.quantity(p[0], p[1], int(p[2][1:]))
        return None

    def cube(p: list[str]) -> rdflib.URIRef | None:
        if len(p) == 1:
            return iris.cube(p[0])
        return iris.observation(p[0], p[1]) if len(p) == 2 else None

    return {
        "state": lambda p: iris.state(p[0]) if len(p) == 1 else None,
        "review": lambda p: iris.review(p[0], int(p[1])) if len(p) == 2 else None,
        "recommendation": lambda p: (
            iris.recommendation(p[0], int(p[1]), p[2]) if len(p) == 3 else None),
        "scheme": lambda p: iris.scheme(p[0]) if len(p) == 1 else None,
        "theme": lambda p: iris.theme(p[0], p[1]) if len(p) == 2 else None,
        "concept": lambda p: iris.concept(p[0], p[1]) if len(p) == 2 else None,
        "finding": finding,
        "source": lambda p: iris.source(p[0]) if len(p) == 1 else None,
        "import": lambda p: iris.imported(p[0]) if len(p) == 1 else None,
        "organisation": lambda p: iris.organisation(p[0]) if len(p) == 1 else None,
        "assessment": lambda p: iris.assessment(p[0], p[1]) if len(p) == 2 else None,
        "document": lambda p: iris.document("/".join(p)),
        "mechanism": lambda p: iris.mechanism(p[0]) if len(p) == 1 else None,
        "place": lambda p: iris.place(p[0], p[1]) if len(p) == 2 else None,
        "cube": cube,
        # computed links and linking runs are named by a digest of what they join
        "link": lambda p: (iris._id("link", p[0], p[1])
                           if len(p) == 2 and re.fullmatch("[0-9a-f]{16}", p[1]) else None),
        "linking": lambda p: (iris._id("linking", p[0], p[1])
                              if len(p) == 2 and re.fullmatch("[0-9a-f]{12}", p[1]) else None),
    }


def local_ids(graph: rdflib.Graph, base: str) -> set[str]:
    prefix = base + "id/"
    return {str(t) for triple in graph for t in triple
            if isinstance(t, rdflib.URIRef) and str(t).startswith(prefix)}


@pytest.mark.parametrize("extra", [None, "valid-extras.ttl", "restricted-finding.ttl"])
def test_every_id_iri_is_one_the_minter_makes(seed_graph, base_iri, extra) -> None:
    iris = IRIs(base_iri)
    graph = seed_graph
    if extra:
        graph = rdflib.Graph().parse(ROOT / "tests" / "fixtures" / extra, publicID=base_iri)
    kinds = remint(iris)
    wrong = []
    for iri in sorted(local_ids(graph, base_iri)):
        kind, *parts = iri[len(base_iri + "id/"):].split("/")
        try:
            again = kinds[kind](parts) if kind in kinds else None
        except (ValueError, IndexError):
            again = None
        if again is None or str(again) != iri:
            wrong.append(iri)
    assert not wrong, "IRIs that uprgraph.iris.IRIs would not mint: " + ", ".join(wrong)


def test_seed_counts(seed_graph, base_iri) -> None:
    """The shape of the seed at a glance (the named queries check the facts)."""
    upr = IRIs(base_iri).upr
    findings = set(seed_graph.subjects(RDF.type, upr.Finding))
    assert len(findings) == 38
    directions = [seed_graph.value(f, upr.direction) for f in findings]
    assert directions.count(upr.Progress) == 17
    assert directions.count(upr.Regression) == 21
    assert len(set(seed_graph.subjects(RDF.type, upr.ThemeCount))) == 7
    assert len(set(seed_graph.subjects(RDF.type, upr.Conclusion))) == 4
