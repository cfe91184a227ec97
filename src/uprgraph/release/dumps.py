"""The downloadable dumps of a release, written by Oxigraph's serialisers.

Every dump holds the same triples; N-Quads also keeps the named graph each
triple came from. Sizes, SHA-256 and triple counts go into the manifest and
the DCAT description.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .. import formats

#: the dump that keeps every named graph (a server can load a store from it)
QUADS_DUMP = "uprgraph.nq.gz"
#: file name -> format; the one list of what a release offers for download
DUMP_FILES: tuple[tuple[str, str], ...] = (
    ("uprgraph.ttl", "turtle"),
    ("uprgraph.nt.gz", "ntriples"),
    ("uprgraph.jsonld", "jsonld"),
    (QUADS_DUMP, "nquads"),
)


@dataclass(frozen=True)
class Dump:
    file: str
    format: str
    media_type: str
    compressed: bool
    bytes: int
    sha256: str
    triples: int

    def as_dict(self) -> dict:
        return asdict(self)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_dumps(
    folder: Path, store: ox.Store, graphs: Sequence[ox.NamedNode], count: int,
    prefixes: dict[str, str],
) -> list[Dump]:
    """Write every dump of :data:`DUMP_FILES` into ``folder`` from ``store``, which holds
    the ``count`` quads of the release in ``graphs``.

    Oxigraph writes N-Triples (graph by graph, in the order given) and N-Quads straight
    from the store; Turtle and JSON-LD, one document each, are fed the triples in the
    same order. No copy of the data is held in Python.
    """
    dumps = []
    for name, format_name in DUMP_FILES:
        fmt = formats.by_name(format_name)
        path = folder / name
        compressed = name.endswith(".gz")
        with path.open("wb") as raw:
            # mtime=0 keeps the gzip header, and so the checksum, stable across builds;
            # level 6 (zlib's default) compresses within a few per cent of 9 in half the time
            out = (gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6)
                   if compressed else raw)
            with out:
                _write(out, store, graphs, fmt, prefixes)
        dumps.append(
            Dump(
                file=name,
                format=fmt.name,
                media_type=fmt.media_type,
                compressed=compressed,
                bytes=path.stat().st_size,
                sha256=sha256_of(path),
                triples=count,
            )
        )
    return dumps


def _write(out: BinaryIO, store: ox.Store, graphs: Sequence[ox.NamedNode],
           fmt: formats.Format, prefixes: dict[str, str]) -> None:
    if fmt.name == "nquads":
        store.dump(out, ox.RdfFormat.N_QUADS)
    elif fmt.name == "ntriples":
        for graph in graphs:
            store.dump(out, ox.RdfFormat.N_TRIPLES, from_graph=graph)
    else:
        triples = (q.triple for g in graphs for q in store.quads_for_pattern(None, None, None, g))
        kwargs = {"prefixes": prefixes} if fmt.name == "turtle" else {}
        ox.serialize(triples, out, format=fmt.oxigraph_rdf, **kwargs)
