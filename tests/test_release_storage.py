"""The release's on-disk store loaded in several bulk loads: the same quads as one load."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from test_release_dumps import store_with_graphs

from uprgraph.release import storage
from uprgraph.release.pieces import write_pieces

EX = "http://example.org/"


def blank_as_one(quads: list[ox.Quad]) -> set[tuple[str, ...]]:
    """The quads, each blank node written the same (the data holds one)."""
    return {tuple("_" if isinstance(t, ox.BlankNode) else str(t) for t in q) for q in quads}


@pytest.mark.parametrize("size", [1, 2, 1000])
def test_a_store_loaded_in_parts_holds_what_one_load_holds(tmp_path, monkeypatch, size):
    store, graphs = store_with_graphs()
    for n in range(5):  # a graph of several loads' worth of quads without blank nodes
        store.add(ox.Quad(ox.NamedNode(f"{EX}t{n}"), ox.NamedNode(f"{EX}p"), ox.Literal(n),
                          graphs[2]))
    (tmp_path / "pieces").mkdir()
    pieces = write_pieces(store, graphs, tmp_path / "pieces")
    monkeypatch.setattr(storage, "LOAD_QUADS", size)
    made, derived = storage.write_store(tmp_path / "store", pieces, None, f"{EX}description",
                                        tmp_path / "store.nq")
    try:
        assert not derived
        assert len(made) == len(store)
        loaded = list(made.native)
    finally:
        made.close()
    # one blank node, described in two graphs, stays one node whatever the loads
    assert len({t for q in loaded for t in q if isinstance(t, ox.BlankNode)}) == 1
    assert blank_as_one(loaded) == blank_as_one(list(store))
    assert not list(tmp_path.glob("store*.nq"))  # the files loaded are removed


def test_the_quads_are_spread_over_files_of_bounded_size(tmp_path):
    store, graphs = store_with_graphs()
    for n in range(40):
        store.add(ox.Quad(ox.NamedNode(f"{EX}t{n}"), ox.NamedNode(f"{EX}p"), ox.Literal(n),
                          graphs[1]))
    (tmp_path / "pieces").mkdir()
    pieces = write_pieces(store, graphs, tmp_path / "pieces")
    files = storage._spread(pieces, tmp_path / "store.nq", size=10)  # noqa: SLF001
    texts = [f.read_bytes() for f in files]
    assert all(b"_:" in line for line in texts[0].splitlines())  # every blank node line first
    assert all(b"_:" not in t for t in texts[1:])
    assert sum(t.count(b"\n") for t in texts) == len(store)
