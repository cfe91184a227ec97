"""Inputs read in the background, smallest first, while linking reads what is in already.

The order of reading must change nothing a build publishes, an input that cannot be
read is reported as if the files were read in build order, and what linking reads
while the files are still being parsed is what it reads once they all are.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from linking_helpers import cambodia_slovenia_project

from uprgraph import inputs
from uprgraph.build import BuildError, build
from uprgraph.config import Settings, load_settings
from uprgraph.linking import Arrivals, finish, link_quads, prepare
from uprgraph.linking.cache import Cache
from uprgraph.reading import RDFLIB_ROLES
from uprgraph.working import WorkingSet, graph_name

ROOT = Path(__file__).resolve().parents[1]
UPR = "http://localhost:8080/def/upr#"


def _project(dest: Path) -> Settings:
    for name in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("imported"))
    return load_settings(dest)


def _dumps(work: WorkingSet) -> dict[str, bytes]:
    return {item.graph_iri: work.store.dump(format=ox.RdfFormat.N_TRIPLES,
                                            from_graph=graph_name(item))
            for item in work.items}


def test_files_are_read_smallest_first_and_each_graph_is_as_in_build_order(tmp_path: Path):
    settings = _project(tmp_path)
    one_by_one = WorkingSet(inputs.collect(settings))
    for item in one_by_one.items:
        one_by_one.parse(item, settings.iris.base)
    done: list[inputs.Input] = []
    background = WorkingSet(inputs.collect(settings))
    background.read(settings.iris.base, done=done.append)
    assert _dumps(background) == _dumps(one_by_one)
    assert len(background.store) == len(one_by_one.store)
    oxigraph = [i for i in done if i.role not in RDFLIB_ROLES]
    assert len(oxigraph) > 2
    sizes = [i.path.stat().st_size for i in oxigraph]
    assert sizes == sorted(sizes)
    built = [i for i in background.items if i.role not in RDFLIB_ROLES]
    assert oxigraph != built  # build order is not by size here: the order did change


def test_the_first_broken_input_in_build_order_is_named(tmp_path: Path):
    """Of two files that cannot be read, the error is the one earlier in build order,
    though the other, smaller, is read first."""
    settings = _project(tmp_path)
    data = tmp_path / "data"
    line = f'<http://localhost:8080/id/x> <{UPR}text> "x" .\n'
    (data / "aa-large.nt").write_text(line * 5000 + "<broken\n", encoding="utf-8")
    (data / "zz-small.nt").write_text("<broken too\n", encoding="utf-8")
    with pytest.raises(BuildError) as raised:
        build(settings)
    assert "aa-large.nt" in str(raised.value) and "zz-small.nt" not in str(raised.value)
    (data / "aa-large.nt").unlink()
    with pytest.raises(BuildError, match="zz-small.nt"):
        build(settings)


def test_a_failure_in_a_reading_thread_is_raised_where_reading_is_waited_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Not a file that cannot be read: a fault of the reading itself, never swallowed
    with the thread it happened in (a build would go on with a graph missing)."""
    settings = _project(tmp_path)
    work = WorkingSet(inputs.collect(settings))
    victim = next(i for i in work.items if i.role not in RDFLIB_ROLES)
    parse = WorkingSet.parse

    def failing(self, item, *args, **kwargs):
        if item is victim:
            raise MemoryError("no room for this file")
        return parse(self, item, *args, **kwargs)

    monkeypatch.setattr(WorkingSet, "parse", failing)
    reading = work.start_reading(settings.iris.base)
    with pytest.raises(MemoryError, match="no room"):
        reading.wait_for(victim)
    with pytest.raises(MemoryError, match="no room"):
        reading.wait()


def _prepared_while_reading(settings: Settings, tmp_path: Path):
    work = WorkingSet(inputs.collect(settings))
    reading = work.start_reading(settings.iris.base)
    arrivals = Arrivals(digested=lambda _item: None, ready=reading.wait_for)
    prepared = prepare(work.store, settings.iris, work.items, Cache(tmp_path / "cache"),
                       arrivals=arrivals)
    reading.wait()
    return work, prepared


@pytest.fixture(scope="module")
def imported(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with recommendations of two states over cycles, from two sources."""
    folder = tmp_path_factory.mktemp("reading") / "project"
    cambodia_slovenia_project(shared_data, folder)
    return folder


def _copy(imported: Path, tmp_path: Path) -> Settings:
    shutil.copytree(imported, tmp_path / "project")
    return load_settings(tmp_path / "project")


def test_linking_while_the_files_are_read_gives_the_links_of_the_whole_store(
        imported: Path, tmp_path: Path):
    settings = _copy(imported, tmp_path)
    work, prepared = _prepared_while_reading(settings, tmp_path)
    upr = settings.iris.upr
    roles = tuple({i.role for i in work.items if i.role not in RDFLIB_ROLES})
    restricted = work.subjects(upr.accessLevel, upr.Restricted, roles)
    after = link_quads(work.store, settings.iris, restricted, items=list(work.items),
                       folder=tmp_path / "other-cache")
    during = finish(prepared, settings.iris)
    assert prepared.recs
    assert sorted(map(str, during)) == sorted(map(str, after))


def test_recommendations_the_data_restricts_are_not_read_for_linking(imported: Path,
                                                                   tmp_path: Path):
    """Linking finds the restricted recommendations in the facts it reads (the build
    withholds them later, from the whole store): a recommendation marked restricted in
    another file is left out, as the build's own list of restricted nodes would."""
    settings = _copy(imported, tmp_path)
    _work, before = _prepared_while_reading(settings, tmp_path)
    chosen = before.recs[len(before.recs) // 2].iri
    (tmp_path / "project/data/restricted.ttl").write_text(
        f"<{chosen}> <{UPR}accessLevel> <{UPR}Restricted> .\n", encoding="utf-8")
    work, after = _prepared_while_reading(settings, tmp_path)
    assert {r.iri for r in before.recs} - {r.iri for r in after.recs} == {chosen}
    upr = settings.iris.upr
    roles = tuple({i.role for i in work.items if i.role not in RDFLIB_ROLES})
    assert chosen in {str(n) for n in work.subjects(upr.accessLevel, upr.Restricted, roles)}
