"""The downloadable dumps of a release, written by Oxigraph's serialisers.

Every dump holds the same triples; N-Quads also keeps the named graph each
triple came from. Sizes, SHA-256 and triple counts go into the manifest and
the DCAT description.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

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
    prefixes: dict[str, str], nquads: Path | None = None, workers: int = 1,
) -> list[Dump]:
    """Write every dump of :data:`DUMP_FILES` into ``folder`` from ``store``, which holds
    the ``count`` quads of the release in ``graphs``; ``nquads`` is a file of the store's
    N-Quads if the caller wrote one already.

    Oxigraph serialises each dump graph by graph (in the order given) and zlib
    compresses it, both without holding Python's lock, on ``workers`` threads (one
    keeps a single graph's serialisation in memory at a time, beside the caller's work).
    """
    def chunks(fmt: formats.Format) -> Iterator[bytes]:
        if fmt.name == "nquads" and nquads is not None:
            return _blocks(nquads)
        return _chunks(store, graphs, fmt, prefixes)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dump") as pool:
        jobs = [pool.submit(_write, folder / name, formats.by_name(format_name), count,
                            chunks(formats.by_name(format_name)))
                for name, format_name in DUMP_FILES]
        return [job.result() for job in jobs]


def _blocks(path: Path, size: int = 1 << 24) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from iter(lambda: handle.read(size), b"")


def _write(path: Path, fmt: formats.Format, count: int, chunks: Iterator[bytes]) -> Dump:
    compressed = path.name.endswith(".gz")
    digest = hashlib.sha256()
    with path.open("wb") as raw:
        # mtime=0 keeps the gzip header, and so the checksum, stable across builds;
        # level 6 (zlib's default) compresses within a few per cent of 9 in half the time
        out = (gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6)
               if compressed else None)
        for chunk in chunks:
            if out is None:
                raw.write(chunk)
                digest.update(chunk)
            else:
                out.write(chunk)
        if out is not None:
            out.close()
    return Dump(
        file=path.name,
        format=fmt.name,
        media_type=fmt.media_type,
        compressed=compressed,
        bytes=path.stat().st_size,
        sha256=sha256_of(path) if compressed else digest.hexdigest(),
        triples=count,
    )


def _chunks(store: ox.Store, graphs: Sequence[ox.NamedNode], fmt: formats.Format,
            prefixes: dict[str, str]) -> Iterator[bytes]:
    """One document of ``fmt`` over ``graphs``, as the pieces Oxigraph writes per graph.

    Turtle: each piece starts with the same ``@prefix`` lines, kept once. JSON-LD:
    each piece is an array of node objects; their members go into one array.
    """
    rdf = fmt.oxigraph_rdf
    if fmt.name == "nquads":
        yield store.dump(format=rdf)
        return
    if fmt.name == "jsonld":
        yield b"["
    header: bytes | None = None
    first = True
    for graph in graphs:
        kwargs = {"prefixes": prefixes} if fmt.name == "turtle" else {}
        piece = store.dump(format=rdf, from_graph=graph, **kwargs)
        if fmt.name == "turtle" and piece:
            end = 0
            while piece.startswith(b"@prefix ", end):
                end = piece.index(b"\n", end) + 1
            if header is None:
                header = piece[:end]
                yield header
            elif piece[:end] != header:
                raise ValueError(f"Turtle of {graph} does not start with the same prefixes")
            piece = piece[end:]
        elif fmt.name == "jsonld":
            if not (piece.startswith(b"[") and piece.endswith(b"]")):
                raise ValueError(f"JSON-LD of {graph} is not one array")
            piece = piece[1:-1]
            if piece and not first:
                piece = b"," + piece
            first = first and not piece
        if piece:
            yield piece
    if fmt.name == "jsonld":
        yield b"]"
