"""The linking cache: a rebuild that reuses what each unchanged input gave publishes exactly
the links a computation from nothing does (sorted N-Quads, byte for byte), whatever changed
between builds: a file added, modified or removed, a matrix the classifier trains on, a
damaged cache or one written by other code."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from linking_helpers import cambodia_slovenia_project
from rdflib import URIRef

from uprgraph import inputs as inputs_mod
from uprgraph.config import Settings
from uprgraph.importing import import_file, remove_import
from uprgraph.linking import ReadAhead, cache_dir, link_quads, recurrence
from uprgraph.linking.cache import Cache, code_key, input_digests
from uprgraph.working import RDFLIB_ROLES, WorkingSet


def _links(settings: Settings, cached: bool) -> tuple[str, Cache | None]:
    """The build's links of the project as it is now (sorted N-Quads), with the project's
    cache or computed from nothing; and the cache used."""
    work = WorkingSet(inputs_mod.collect(settings))
    for item in work.items:
        work.parse(item, settings.iris.base)
    items = list(work.items)
    roles = tuple({i.role for i in items if i.role not in RDFLIB_ROLES})
    upr = settings.iris.upr
    restricted = work.subjects(upr.accessLevel, upr.Restricted, roles)
    messages: list[str] = []
    quads = link_quads(work.store, settings.iris, restricted, messages.append, items,
                       cache_dir(settings) if cached else None)
    text = "".join(sorted(f"{q} .\n" for q in quads))
    if not cached:
        return text, None
    found = re.search(r"linking: (\d+) cached parts reused, (\d+) computed", "\n".join(messages))
    assert found, messages
    used = Cache(cache_dir(settings))
    used.hits, used.misses = int(found[1]), int(found[2])
    return text, used


def _same(settings: Settings) -> Cache:
    """Links with the cache == links without, and not empty; the cache's counts."""
    cached, used = _links(settings, cached=True)
    reference, _ = _links(settings, cached=False)
    assert "RecurrenceLink" in reference
    assert cached == reference
    assert used is not None
    return used


@pytest.fixture(scope="module")
def project(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return cambodia_slovenia_project(shared_data, tmp_path_factory.mktemp("linking-cache"))


def test_a_rebuild_reuses_the_cache_and_gives_the_same_links(project: Settings):
    shutil.rmtree(cache_dir(project), ignore_errors=True)
    first = _same(project)
    assert "SourceMatch" in _links(project, cached=False)[0]
    assert first.hits == 0 and first.misses > 0
    again = _same(project)
    assert again.misses == 0 and again.hits == first.misses


def test_a_file_added_removed_and_added_back(project: Settings, tmp_path: Path):
    imported = project.imported_dir
    kept = tmp_path / "kept"
    kept.mkdir()
    for path in imported.glob("ui-second.*"):
        shutil.copy2(path, kept / path.name)
    remove_import(project, "ui-second")
    removed = _same(project)
    assert removed.hits > 0  # the other inputs' parts and the untouched states
    for path in kept.iterdir():
        shutil.copy2(path, imported / path.name)
    added = _same(project)
    assert added.hits > 0 and added.misses > 0


def test_a_file_modified(project: Settings):
    path = project.imported_dir / "ui-first.nt"
    original = path.read_text(encoding="utf-8")
    # one recommendation reworded: its state's texts, hence its TF-IDF weights, change
    changed = re.sub(r'("[^"]*?)(ratify)', r"\1consider ratifying", original, count=1)
    assert changed != original
    try:
        path.write_text(changed, encoding="utf-8")
        modified = _same(project)
        assert modified.misses > 0
    finally:
        path.write_text(original, encoding="utf-8")


def test_the_classifiers_training_data_changed(project: Settings):
    """A matrix loses half its UHRI tags: the suggestions are those of a model trained on
    what the matrix now says."""
    path = project.imported_dir / "svn-c3.nt"
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    tags = [i for i, line in enumerate(lines) if "/def/upr#theme>" in line]
    assert len(tags) > 20
    dropped = set(tags[::2])
    try:
        path.write_text("".join(line for i, line in enumerate(lines) if i not in dropped),
                        encoding="utf-8")
        _same(project)
    finally:
        path.write_text(original, encoding="utf-8")


def test_a_matrix_reimported_after_being_removed(project: Settings, shared_data: Path):
    remove_import(project, "svn-c2")
    _same(project)
    import_file(project, shared_data / "ohchr-matrix/slovenia-cycle2-UPR20-thematic-list.docx",
                name="svn-c2")
    _same(project)


def test_a_damaged_cache_is_recomputed(project: Settings):
    _same(project)
    here = cache_dir(project) / code_key()
    entries = sorted(here.iterdir())
    assert entries
    for i, entry in enumerate(entries):
        raw = entry.read_bytes()
        if i % 3 == 0:
            entry.write_bytes(raw[: len(raw) // 2])  # cut short
        elif i % 3 == 1:
            entry.write_bytes(raw[:40] + bytes([raw[40] ^ 0xFF]) + raw[41:])  # a bit flipped
        else:
            entry.write_bytes(b"")
    damaged = _same(project)
    assert damaged.hits == 0


def test_an_entry_of_the_wrong_kind_is_recomputed(project: Settings):
    _same(project)
    cache = Cache(cache_dir(project))
    entries = sorted(cache.here.iterdir())
    for entry in entries:  # each entry holds a well-formed value of the wrong type
        kind, digest = entry.stem.split("-", 1)
        cache.put(kind, digest, {"not": "what this kind holds"})
    wrong = _same(project)
    assert wrong.hits == 0


def test_a_cache_of_other_code_is_not_read_and_is_removed(project: Settings):
    _same(project)
    root = cache_dir(project)
    mine = root / code_key()
    other = root / ("0" * 24)
    shutil.rmtree(other, ignore_errors=True)
    mine.rename(other)
    other_code = _same(project)
    assert other_code.hits == 0
    assert not other.exists() and mine.is_dir()


def _read_ahead(settings: Settings, gone: bool) -> tuple[str, int]:
    """The links of the project with the entries read while its files are parsed (as the
    build does), and the cache's hits; ``gone``: the entry files removed once read ahead,
    so that a hit can only be one read ahead."""
    work = WorkingSet(inputs_mod.collect(settings))
    ahead = ReadAhead(cache_dir(settings), settings.iris.base)
    work.read(settings.iris.base, hashed=ahead.want)
    cache = ahead.settle()
    if gone:
        for entry in cache.here.iterdir():
            entry.unlink()
    roles = tuple({i.role for i in work.items if i.role not in RDFLIB_ROLES})
    upr = settings.iris.upr
    restricted = work.subjects(upr.accessLevel, upr.Restricted, roles)
    quads = link_quads(work.store, settings.iris, restricted, items=list(work.items),
                       cache=cache)
    return "".join(sorted(f"{q} .\n" for q in quads)), cache.hits


def test_entries_read_ahead_while_parsing_are_those_linking_uses(project: Settings):
    """Each data file's entries are read while the files are parsed, under the digest
    linking then asks for: the same links, with every data file's entries a hit even once
    the files are gone; a damaged entry is not read ahead."""
    reference, _ = _links(project, cached=False)
    _same(project)
    data = [i for i in inputs_mod.collect(project) if i.role == "data"]
    links, hits = _read_ahead(project, gone=True)
    assert links == reference
    assert hits >= 2 * len(data)  # facts and text features of each
    _same(project)
    for entry in (cache_dir(project) / code_key()).iterdir():
        raw = entry.read_bytes()
        entry.write_bytes(raw[:40] + bytes([raw[40] ^ 0xFF]) + raw[41:])
    links, hits = _read_ahead(project, gone=False)
    assert links == reference and hits == 0


def test_states_scored_in_two_processes_give_the_same_links(project: Settings,
                                                             monkeypatch: pytest.MonkeyPatch):
    serial, _ = _links(project, cached=False)
    monkeypatch.setattr(recurrence, "PARALLEL_MINIMUM", 0)
    here, there = recurrence._halves({"A": ([], "a"), "B": ([], "b"), "C": ([], "c")})
    assert here and there and sorted(here + there) == ["A", "B", "C"]
    parallel, _ = _links(project, cached=False)
    assert parallel == serial


def test_a_data_file_is_named_by_the_bytes_the_build_read(tmp_path: Path):
    """An entry of a data file is not reused for other bytes, or for the same bytes read
    as another format, whether Oxigraph read the file (its digest taken as it read it)
    or rdflib did (a file with blank nodes: digested from the file)."""
    base = "http://localhost:8080/"
    graph = base + "graph/data/x"

    def digest(name: str, text: str) -> tuple[str, str | None]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        item = inputs_mod.Input(path, URIRef(graph), "data")
        store = ox.Store()
        inputs_mod.load_into(store, item, base)
        return input_digests(store, [item], base)[graph], item.sha256

    one = '<http://localhost:8080/id/a> <http://localhost:8080/def/upr#text> "one" .\n'
    two = one.replace('"one"', '"two"')
    first, read = digest("x.nt", one)
    assert read is not None  # Oxigraph read it
    assert digest("x.nt", one)[0] == first
    assert digest("x.nt", two)[0] != first
    assert digest("x.ttl", one)[0] not in (first, digest("x.nt", two)[0])
    blank = one.replace("<http://localhost:8080/id/a>", "_:a")
    named, read = digest("x.nt", blank)
    assert read is None  # rdflib read it: the file itself is digested
    assert digest("x.nt", blank)[0] == named
    assert digest("x.nt", blank.replace('"one"', '"two"'))[0] != named
