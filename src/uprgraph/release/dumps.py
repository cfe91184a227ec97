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

    Oxigraph writes each graph (in the order given) into a scratch file and zlib
    compresses, both without holding Python's lock, on ``workers`` threads; the pieces
    are copied into one document by blocks, so no serialisation is held in memory.
    """
    def write(name: str, format_name: str) -> Dump:
        fmt = formats.by_name(format_name)
        if fmt.name == "nquads" and nquads is not None:
            return _write(folder / name, fmt, count, _blocks(nquads, 0, None))
        scratch = folder / f".{name}.part"
        try:
            return _write(folder / name, fmt, count,
                          _document(store, graphs, fmt, prefixes, scratch))
        finally:
            scratch.unlink(missing_ok=True)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dump") as pool:
        jobs = [pool.submit(write, name, format_name) for name, format_name in DUMP_FILES]
        return [job.result() for job in jobs]


def _blocks(path: Path, start: int, end: int | None, size: int = 1 << 24) -> Iterator[bytes]:
    """The bytes of ``path`` from ``start`` to ``end`` (None: its end), by blocks."""
    with path.open("rb") as handle:
        handle.seek(start)
        left = (end if end is not None else path.stat().st_size) - start
        while left > 0:
            block = handle.read(min(size, left))
            if not block:
                break
            left -= len(block)
            yield block


def _write(path: Path, fmt: formats.Format, count: int, chunks: Iterator[bytes]) -> Dump:
    compressed = path.name.endswith(".gz")
    digest = hashlib.sha256()
    with path.open("wb") as raw:
        # mtime=0 keeps the gzip header, and so the checksum, stable across builds;
        # level 3 writes N-Quads within 13 % of level 6's size in 40 % of its time
        out = (gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=3)
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


def _document(store: ox.Store, graphs: Sequence[ox.NamedNode], fmt: formats.Format,
              prefixes: dict[str, str], scratch: Path) -> Iterator[bytes]:
    """One document of ``fmt`` over ``graphs``, from what Oxigraph writes per graph.

    Turtle: each piece starts with the same ``@prefix`` lines, kept once. JSON-LD:
    each piece is an array of node objects; their members go into one array.
    """
    rdf = fmt.oxigraph_rdf
    if fmt.name == "nquads":
        store.dump(str(scratch), rdf)
        yield from _blocks(scratch, 0, None)
        return
    kwargs = {"prefixes": prefixes} if fmt.name == "turtle" else {}
    header: bytes | None = None
    empty = True
    if fmt.name == "jsonld":
        yield b"["
    for graph in graphs:
        store.dump(str(scratch), rdf, from_graph=graph, **kwargs)
        size = scratch.stat().st_size
        with scratch.open("rb") as handle:
            head = handle.read(1 << 16)
        start, end = 0, size
        if fmt.name == "turtle" and size:
            while head.startswith(b"@prefix ", start):
                start = head.index(b"\n", start) + 1
            if header is None:
                header = head[:start]
                yield header
            elif head[:start] != header:
                raise ValueError(f"Turtle of {graph} does not start with the same prefixes")
        elif fmt.name == "jsonld":
            with scratch.open("rb") as handle:
                handle.seek(size - 1)
                last = handle.read(1)
            if not (head.startswith(b"[") and last == b"]"):
                raise ValueError(f"JSON-LD of {graph} is not one array")
            start, end = 1, size - 1
            if end > start and not empty:
                yield b","
        if end > start:
            empty = False
            yield from _blocks(scratch, start, end)
    if fmt.name == "jsonld":
        yield b"]"
