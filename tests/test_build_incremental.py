"""A rebuild reuses what the published release holds, and publishes what a full build would.

Each rebuild here is compared with a full build of the same files in a project of its
own (no release to reuse): the same release id digest, byte-identical dumps, the same
counts, and a store that answers with the same quads. The release it started from is
left exactly as it was, even when the rebuild fails.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset
from rdflib.compare import isomorphic
from test_build import copy_project, tree_digest

from uprgraph.build import BuildError, build
from uprgraph.config import Settings, load_settings
from uprgraph.release import current, layout
from uprgraph.release.pieces import PIECES

EXTRA = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<id/state/KHM> rdfs:comment "A state of South-East Asia."@en .
<id/state/KHM> rdfs:label "Cambodia"@en .
"""
CHANGED = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<id/state/KHM> rdfs:comment "A state of mainland South-East Asia."@en .
"""
#: a file bigger than data/upr-process.ttl stating one of its triples: the triple leaves
#: that graph, whose file is unchanged
MORE = "\n".join([
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
    "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
    '<id/mechanism/upr> skos:altLabel "UPR"@en .',
    *(f'<id/state/KHM> rdfs:comment "Note {n} on Cambodia."@en .' for n in range(20)),
]) + "\n"
#: a state without its name and codes: the shapes refuse it
BROKEN = """@prefix upr: <def/upr#> .
<id/state/ZZZ> a upr:State .
"""


def store_quads(release: Path) -> tuple[list[bytes], Dataset]:
    """The store's quads but the description's: lines without blank nodes sorted, and the
    rest as a dataset (a store loaded from files names its blank nodes afresh)."""
    store = ox.Store.read_only(str(release / layout.STORE))
    dumped = store.dump(format=ox.RdfFormat.N_QUADS).splitlines()
    del store
    lines = [line for line in dumped if b"/graph/void>" not in line]
    blank = b"\n".join(line for line in lines if b"_:" in line) + b"\n"
    return sorted(line for line in lines if b"_:" not in line), Dataset().parse(
        data=blank, format="nquads")


def full_build(settings: Settings, folder: Path) -> layout.Release:
    """A build of the same files in a project of its own, with nothing to reuse."""
    for name in ("ontology", "shapes", "data"):
        shutil.copytree(settings.project_dir / name, folder / name)
    cache = settings.path(settings.state_dir) / "cache"
    if cache.is_dir():  # validation results are not what is compared here
        shutil.copytree(cache, folder / ".uprgraph" / "cache")
    return build(load_settings(folder)).release


def assert_same_release(rebuilt: layout.Release, full: layout.Release) -> None:
    assert rebuilt.id.split("-")[1] == full.id.split("-")[1]
    for key in ("triples", "store_quads", "withheld", "graphs", "dumps"):
        assert rebuilt.manifest[key] == full.manifest[key], key
    for dump in full.manifest["dumps"]:
        assert ((rebuilt.dumps_path / dump["file"]).read_bytes()
                == (full.dumps_path / dump["file"]).read_bytes()), dump["file"]
    assert (rebuilt.path / PIECES).read_bytes() == (full.path / PIECES).read_bytes()
    report, full_report = (json.loads((r.path / layout.LINKS_REPORT).read_text())
                           for r in (rebuilt, full))
    assert report == full_report
    (lines, blank), (full_lines, full_blank) = store_quads(rebuilt.path), store_quads(full.path)
    assert lines == full_lines
    for graph in full_blank.graphs():
        assert isomorphic(blank.graph(graph.identifier), graph), graph.identifier
    assert layout.verify_store(rebuilt.path) is None
    assert layout.remembered_count(rebuilt.path) == rebuilt.manifest["store_quads"]


def published_files(release: Path) -> dict[str, str]:
    """The release's files and digests but RocksDB's lock and info logs."""
    return {name: digest for name, digest in tree_digest(release).items()
            if not Path(name).name.startswith(("LOCK", "LOG"))}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    settings = load_settings(copy_project(tmp_path_factory.mktemp("incremental")))
    first = build(settings).release
    return settings, first


def test_rebuild_after_a_new_file_equals_a_full_build(project, tmp_path):
    settings, first = project
    before = published_files(first.path)
    (settings.project_dir / "data" / "extra.ttl").write_text(EXTRA, encoding="utf-8")
    result = build(settings)
    rebuilt = result.release
    assert rebuilt.id != first.id and current(settings).id == rebuilt.id
    assert result.store_from == first.id, "the store was loaded afresh"
    assert published_files(first.path) == before  # a server may still be reading it
    # the new file's duplicate of states.ttl stays in the bigger graph
    extra = next(g for g in rebuilt.manifest["graphs"] if g["iri"].endswith("data/extra"))
    assert extra["triples"] == 1
    assert_same_release(rebuilt, full_build(settings, tmp_path))

    # a file changed: the graph loses one triple and gains another, in place
    (settings.project_dir / "data" / "extra.ttl").write_text(CHANGED, encoding="utf-8")
    result = build(settings)
    changed = result.release
    assert result.store_from == rebuilt.id
    assert_same_release(changed, full_build(settings, tmp_path / "changed"))


def test_same_data_gives_the_same_id_digest(project):
    settings, _ = project
    one = build(settings).release
    two = build(settings).release
    assert one.id != two.id and one.id.split("-")[1] == two.id.split("-")[1]
    assert one.manifest["dumps"] == two.manifest["dumps"]


def test_failed_rebuild_publishes_nothing_and_leaves_the_release(project):
    settings, _ = project
    published = current(settings)
    before = published_files(published.path)
    broken = settings.project_dir / "data" / "broken.ttl"
    broken.write_text(BROKEN, encoding="utf-8")
    try:
        with pytest.raises(BuildError, match="does not conform"):
            build(settings)
    finally:
        broken.unlink()
    assert current(settings).id == published.id
    assert published_files(published.path) == before
    assert not list(settings.releases_dir.glob(layout.BUILDING_PREFIX + "*"))
    assert not list(settings.releases_dir.glob(".pieces-*"))


@pytest.mark.parametrize("damage", ["store", "dump", "pieces", "version"])
def test_rebuild_falls_back_when_the_previous_release_cannot_be_reused(project, tmp_path,
                                                                       damage):
    settings, _ = project
    project_dir = tmp_path / "copy"
    for name in ("ontology", "shapes", "data", ".uprgraph"):
        shutil.copytree(settings.project_dir / name, project_dir / name, symlinks=True)
    copied = load_settings(project_dir)
    previous = current(copied)
    if damage == "store":  # a copy of the file (not the shared one) is damaged
        sst = max((previous.store_path).glob("*.sst"), key=lambda f: f.stat().st_size)
        data = bytearray(sst.read_bytes())
        data[len(data) // 2] ^= 0xFF
        sst.unlink()
        sst.write_bytes(bytes(data))
    elif damage == "dump":
        for dump in previous.dumps_path.iterdir():
            data = dump.read_bytes()
            dump.unlink()
            dump.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif damage == "pieces":
        (previous.path / PIECES).unlink()
    else:
        manifest = previous.path / layout.MANIFEST
        manifest.write_text(manifest.read_text().replace('"version": "0.1.0"',
                                                         '"version": "0.0.9"'))
    (project_dir / "data" / "extra.ttl").write_text(EXTRA, encoding="utf-8")
    result = build(copied)
    rebuilt = result.release
    # without the N-Triples dump, the changes cannot be found: the store is loaded afresh
    assert result.store_from is None
    assert_same_release(rebuilt, full_build(copied, tmp_path / "full"))


def copy_of(settings: Settings, folder: Path) -> Settings:
    """The project with its releases, in a folder of its own."""
    for name in ("ontology", "shapes", "data", ".uprgraph"):
        shutil.copytree(settings.project_dir / name, folder / name, symlinks=True)
    return load_settings(folder)


def graphs_of(release: layout.Release) -> dict[str, dict]:
    """The entries of ``pieces.json`` by graph name (``data/states``...)."""
    content = json.loads((release.path / PIECES).read_text(encoding="utf-8"))
    return {g["iri"].split("/graph/", 1)[1]: g for g in content["graphs"]}


def test_rebuild_when_a_new_file_takes_a_triple_of_an_unchanged_one(project, tmp_path):
    settings, _ = project
    copied = copy_of(settings, tmp_path / "copy")
    before = graphs_of(current(copied))
    assert before["data/upr-process"]["source"]  # the graph is its file's content
    (copied.project_dir / "data" / "more.ttl").write_text(MORE, encoding="utf-8")
    result = build(copied)
    graphs = graphs_of(result.release)
    # its file did not change, but the build took a triple out of its graph: the graph
    # is written again, not taken from the previous release
    assert "source" not in graphs["data/upr-process"]
    assert graphs["data/upr-process"]["sha256"] != before["data/upr-process"]["sha256"]
    assert graphs["data/states"] == before["data/states"]
    assert_same_release(result.release, full_build(copied, tmp_path / "full"))


def test_links_of_an_unchanged_graph_are_taken_from_the_previous_release(project, tmp_path):
    """The linksets are summed graph by graph: a changed graph's links are counted again."""
    settings, _ = project
    copied = copy_of(settings, tmp_path / "copy")
    mappings = copied.project_dir / "data" / "cambodia" / "themes-cchr-2021-sdg-mappings.ttl"
    text = mappings.read_text(encoding="utf-8")
    before = graphs_of(current(copied))["data/cambodia-themes-cchr-2021-sdg-mappings"]
    linked = sum(n for _, _, n in before["links"])
    assert linked > 0
    # one mapping less: the graph's links are counted again, the others' kept
    kept = [line for line in text.splitlines() if "closeMatch" not in line]
    assert len(kept) < len(text.splitlines())
    mappings.write_text("\n".join(kept) + "\n", encoding="utf-8")
    result = build(copied)
    after = graphs_of(result.release)["data/cambodia-themes-cchr-2021-sdg-mappings"]
    assert sum(n for _, _, n in after["links"]) < linked
    assert_same_release(result.release, full_build(copied, tmp_path / "full"))
