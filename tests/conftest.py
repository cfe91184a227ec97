"""Shared test set-up: where the shared fixtures live; the bundled ontology, shapes and seed
data, loaded as the build loads them."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from uprgraph.iris import DEFAULT_BASE, IRIs

# helper modules that test files import directly keep pytest's assertion messages
pytest.register_assert_rewrite("web_fixtures", "pages_fixtures", "test_build", "test_queries",
                              "test_shapes")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real UPR samples beside the checkout; skip where they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_DATA} (see DESIGN.md, Fixtures)")
    return SHARED_DATA


def data_files() -> list[Path]:
    """Every Turtle source file under data/, in a stable order."""
    return sorted((ROOT / "data").rglob("*.ttl"))


def parse_turtle(*paths: Path, base: str = DEFAULT_BASE) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path, format="turtle", publicID=base)
    return graph


@pytest.fixture(scope="session")
def base_iri() -> str:
    return DEFAULT_BASE


@pytest.fixture(scope="session")
def ontology_graph() -> rdflib.Graph:
    return parse_turtle(*sorted((ROOT / "ontology").glob("*.ttl")))


@pytest.fixture(scope="session")
def shapes_graph() -> rdflib.Graph:
    return parse_turtle(*sorted((ROOT / "shapes").glob("*.ttl")))


@pytest.fixture(scope="session")
def seed_graph() -> rdflib.Graph:
    """All of data/ in one rdflib graph (session-wide: copy it before changing it)."""
    return parse_turtle(*data_files())


@pytest.fixture(scope="session")
def seed_store(base_iri: str) -> ox.Store:
    """An in-memory Oxigraph store: the ontology and one named graph per data file.

    Query it with ``use_default_graph_as_union=True`` and ``base_iri=base_iri``.
    """
    iris = IRIs(base_iri)
    store = ox.Store()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=base_iri,
                   to_graph=ox.NamedNode(iris.graph("ontology", path.stem)))
    for path in data_files():
        name = path.relative_to(ROOT / "data").as_posix()
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=base_iri,
                   to_graph=ox.NamedNode(iris.graph("data", name)))
    return store
