"""A served release of the bundled data plus both OHCHR matrices (Slovenia, cycles 2 and 3),
shared by the page tests and the browser tests (``pytest_plugins = ["pages_fixtures"]``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_build import copy_project
from web_fixtures import start_waitress

from uprgraph.build import build
from uprgraph.config import load_settings
from uprgraph.importing import import_file
from uprgraph.store.oxigraph import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = """PREFIX upr: <def/upr#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX prov: <http://www.w3.org/ns/prov#>
"""


@pytest.fixture(scope="session")
def matrix_site(shared_data, tmp_path_factory):
    """(settings, server, store): the seed and the Slovenia matrices, built and served."""
    project = copy_project(tmp_path_factory.mktemp("matrices"))
    shutil.copytree(ROOT / "queries", project / "queries")
    settings = load_settings(project)
    for docx in sorted((shared_data / "ohchr-matrix").glob("*.docx")):
        import_file(settings, docx)
    yield from served(settings)


def served(settings):
    """Build ``settings``' project, serve it on loopback and yield (settings, server, store)
    until the fixture ends."""
    from uprgraph.web import create_app

    result = build(settings)
    store = OxigraphStore.open_read_only(result.release.store_path)
    app = create_app(settings)
    server, handle = start_waitress(app)
    yield settings, server, store
    handle.close()
    app.extensions["uprgraph"].close()


def ask(store, settings, sparql: str) -> list[dict[str, str]]:
    """Rows of a query asked directly of the store (not through the pages' queries)."""
    rows = store.query(PREFIXES + sparql, base_iri=settings.iris.base)
    names = list(rows.variables)
    return [{n: r[n].value for n in names if r.get(n) is not None} for r in rows.rows()]
