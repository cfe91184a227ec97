"""The release's dumps: one document per format over every graph, the same triples in each."""

from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from uprgraph.release.dumps import DUMP_FILES, write_dumps
from uprgraph.release.pieces import write_pieces

EX = "http://example.org/"
PREFIXES = {"ex": EX, "unused": "http://unused.example/"}


def store_with_graphs() -> tuple[ox.Store, list[ox.NamedNode]]:
    """Three graphs and an empty one; a blank node is described in two graphs."""
    store = ox.Store()
    shared = ox.BlankNode("shared")
    graphs = [ox.NamedNode(f"{EX}g{i}") for i in range(4)]
    for i, graph in enumerate(graphs[:3]):
        for n in range(3):
            store.add(ox.Quad(ox.NamedNode(f"{EX}s{n}"), ox.NamedNode(f"{EX}p{i}"),
                              ox.Literal(f"value {i} {n}", language="en"), graph))
        store.add(ox.Quad(shared, ox.NamedNode(f"{EX}q{i}"), ox.Literal(i), graph))
    store.add(ox.Quad(ox.NamedNode(f"{EX}s0"), ox.NamedNode(f"{EX}link"), shared, graphs[1]))
    return store, [graphs[3], *graphs[:3]]  # the empty graph first


def read(path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


@pytest.mark.parametrize("workers", [1, 2])
def test_every_dump_holds_the_union_of_the_graphs(tmp_path, workers):
    store, graphs = store_with_graphs()
    expected = Graph()
    for s, p, o, _g in Dataset().parse(data=store.dump(format=ox.RdfFormat.N_QUADS),
                                       format="nquads").quads():
        expected.add((s, p, o))
    (tmp_path / "pieces").mkdir()
    pieces = write_pieces(store, graphs, tmp_path / "pieces")
    (tmp_path / "dumps").mkdir()
    dumps, _ = write_dumps(tmp_path / "dumps", store, pieces, len(store), PREFIXES,
                           workers=workers)
    assert [d.file for d in dumps] == [name for name, _ in DUMP_FILES]
    tmp_path = tmp_path / "dumps"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(d.file for d in dumps)
    for dump in dumps:
        data = read(tmp_path / dump.file)
        if dump.format == "nquads":
            ds = Dataset().parse(data=data, format="nquads")
            assert {str(g.identifier) for g in ds.graphs() if len(g)} == {
                g.value for g in graphs[1:]}
            continue
        got = Graph().parse(data=data, format={"ntriples": "nt", "jsonld": "json-ld"}.get(
            dump.format, dump.format))
        assert len(got) == len(store) == dump.triples
        assert isomorphic(got, expected), dump.file  # the blank node stays one node
    turtle = (tmp_path / "uprgraph.ttl").read_text()
    assert turtle.count("@prefix ex:") == 1
    assert isinstance(json.loads((tmp_path / "uprgraph.jsonld").read_text()), list)


def test_dumps_are_the_same_bytes_whatever_the_threads(tmp_path):
    store, graphs = store_with_graphs()
    (tmp_path / "pieces").mkdir()
    pieces = write_pieces(store, graphs, tmp_path / "pieces")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one, one_spans = write_dumps(tmp_path / "one", store, pieces, len(store), PREFIXES,
                                 workers=1)
    two, two_spans = write_dumps(tmp_path / "two", store, pieces, len(store), PREFIXES,
                                 workers=2)
    assert [d.sha256 for d in one] == [d.sha256 for d in two]
    assert one_spans == two_spans
