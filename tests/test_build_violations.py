"""Breaking a shape's condition in a copy of the data makes `uprgraph build` fail, name the
node and the file, and leave the published release byte-identical.

Every shape is proven to fire by tests/test_shapes.py (pyshacl on the graph); here a
sample spread over all shape fixtures goes through the whole build, file on disk and all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.plugins.sparql import prepareUpdate
from test_build import ROOT, tree_digest
from test_shapes import CASES, EXTRAS, Case

from uprgraph.build import BuildError, build
from uprgraph.config import load_settings

#: every n-th fixture: about a dozen builds, each shape family represented
SAMPLE = CASES[::11]
BROKEN = "data/all.ttl"


def valid_graph(base: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((ROOT / "data").rglob("*.ttl")) + list(EXTRAS):
        graph.parse(path, publicID=base)
    return graph


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    project = tmp_path_factory.mktemp("violations")
    for name in ("ontology", "shapes"):
        shutil.copytree(ROOT / name, project / name)
    (project / "data").mkdir()
    settings = load_settings(project)
    graph = valid_graph(settings.iris.base)
    graph.serialize(project / BROKEN, format="turtle")
    release = build(settings).release
    return settings, graph, tree_digest(release.path), release.path


@pytest.mark.parametrize("path", SAMPLE, ids=[p.stem for p in SAMPLE])
def test_broken_copy_fails_the_build(published, path: Path) -> None:
    settings, valid, digest, release_path = published
    case = Case.read(path)
    broken = rdflib.Graph()
    broken += valid
    broken.update(prepareUpdate(path.read_text(encoding="utf-8"), base=settings.iris.base))
    target = settings.project_dir / BROKEN
    broken.serialize(target, format="turtle")
    try:
        with pytest.raises(BuildError) as caught:
            build(settings)
    finally:
        valid.serialize(target, format="turtle")
    message = str(caught.value)
    assert "nothing was published" in message
    if case.focus != "_:":
        assert settings.iris.base + case.focus in message, message[:2000]
    assert f"file:  {BROKEN}" in message, message[:2000]
    assert settings.current_release.resolve() == release_path
    assert tree_digest(release_path) == digest
