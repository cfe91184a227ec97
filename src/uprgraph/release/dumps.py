"""The downloadable dumps of a release, written by Oxigraph's serialisers.

Every dump holds the same triples; N-Quads also keeps the named graph each
triple came from. Sizes, SHA-256 and triple counts go into the manifest and
the DCAT description.

A dump is written graph by graph (a compressed dump holds one gzip member per
graph: members concatenate into one valid gzip file), so the piece of a graph
unchanged since the previous release is copied from that release's dump byte
for byte instead of being serialised and compressed again: a rebuild writes
the same bytes as a full build of the same data.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

from .. import formats
from .pieces import Piece, Previous

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


#: where each graph's piece lies in each dump: dump file -> graph IRI -> [start, end)
Spans = dict[str, dict[str, tuple[int, int]]]
#: the key of the Turtle dump's ``@prefix`` lines in its spans
_HEADER = "@prefix"


def write_dumps(
    folder: Path, store: ox.Store, pieces: Sequence[Piece], count: int,
    prefixes: dict[str, str], previous: Previous | None = None, workers: int = 1,
) -> tuple[list[Dump], Spans]:
    """Write every dump of :data:`DUMP_FILES` into ``folder`` from ``store``, which holds
    the ``count`` quads of the release in the graphs of ``pieces``; the dumps and where
    each graph's piece lies in each.

    A graph ``previous`` holds with the same digest is copied from its dump (if that
    dump still matches its checksum); other graphs are serialised by Oxigraph into a
    scratch file and zlib compresses, both without holding Python's lock, on
    ``workers`` threads. Pieces are copied by blocks: no dump is held in memory.
    """
    def write(name: str, format_name: str) -> tuple[Dump, dict[str, tuple[int, int]]]:
        fmt = formats.by_name(format_name)
        source = _reusable(previous, name)
        scratch = folder / f".{name}.part"
        try:
            with _Output(folder / name) as out:
                found = _document(out, store, pieces, fmt, prefixes, scratch, source)
            return out.dump(fmt, count), found
        finally:
            scratch.unlink(missing_ok=True)

    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dump") as pool:
        jobs = [pool.submit(write, name, format_name) for name, format_name in DUMP_FILES]
        done = [job.result() for job in jobs]
    return [d for d, _ in done], {d.file: found for d, found in done}


class _Source:
    """The previous release's dump of one format, whose pieces may be copied."""

    def __init__(self, previous: Previous, name: str) -> None:
        self.previous = previous
        self.path = previous.path / "dumps" / name
        self.name = name

    def span(self, piece: Piece) -> tuple[int, int] | None:
        if not self.previous.unchanged(piece):
            return None
        return self.previous.span(self.name, piece.iri)

    def header(self) -> bytes | None:
        span = self.previous.span(self.name, _HEADER)
        if span is None:
            return None
        return b"".join(_blocks(self.path, *span))


def _reusable(previous: Previous | None, name: str) -> _Source | None:
    """The previous release's dump ``name`` if it is there, listed and undamaged."""
    if previous is None or name not in previous.spans or not previous.dump_sound(name):
        return None
    return _Source(previous, name)


class _Output:
    """A dump being written: its SHA-256 and size are taken as the bytes go out."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.digest = hashlib.sha256()
        self.size = 0
        self._raw = path.open("wb")

    def __enter__(self) -> _Output:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()

    def write(self, data: bytes) -> None:
        if data:
            self._raw.write(data)
            self.digest.update(data)
            self.size += len(data)

    def dump(self, fmt: formats.Format, count: int) -> Dump:
        return Dump(file=self.path.name, format=fmt.name, media_type=fmt.media_type,
                    compressed=self.path.name.endswith(".gz"), bytes=self.size,
                    sha256=self.digest.hexdigest(), triples=count)


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


def lines(path: Path, size: int = 1 << 24) -> Iterator[bytes]:
    """The bytes of ``path`` by blocks of whole lines."""
    rest = b""
    for block in _blocks(path, 0, None, size):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        rest = block[cut:]
        if cut:
            yield block[:cut]
    if rest:
        yield rest


def _document(out: _Output, store: ox.Store, pieces: Sequence[Piece], fmt: formats.Format,
              prefixes: dict[str, str], scratch: Path, source: _Source | None,
              ) -> dict[str, tuple[int, int]]:
    """Write one document of ``fmt`` over the graphs of ``pieces``; where each piece lies.

    N-Triples and N-Quads: one gzip member per graph, made from its N-Triples (the
    graph's name is added to each line for N-Quads: a line of N-Triples ends with
    `` .`` and no newline is ever inside a term). Turtle: each piece starts with the
    same ``@prefix`` lines, kept once. JSON-LD: each piece is an array of node
    objects; their members go into one array.
    """
    spans: dict[str, tuple[int, int]] = {}
    header: bytes | None = None
    empty = True
    if fmt.name == "jsonld":
        out.write(b"[")
    for piece in pieces:
        if piece.empty:
            spans[piece.iri] = (out.size, out.size)
            continue
        reused = source.span(piece) if source is not None else None
        body: Iterator[bytes]
        if fmt.name in ("ntriples", "nquads"):
            if reused is not None:
                body = _blocks(source.path, *reused)  # type: ignore[union-attr]
            elif fmt.name == "ntriples":
                body = _gzip_blocks(_blocks(piece.ntriples, 0, None))
            else:
                tail = f" <{piece.iri}> .\n".encode()
                body = _gzip_blocks(b.replace(b" .\n", tail) for b in lines(piece.ntriples))
        else:
            if reused is not None:
                fresh_header = None
                body = _blocks(source.path, *reused)  # type: ignore[union-attr]
            else:
                fresh_header, body = _serialised(store, piece, fmt, prefixes, scratch)
            if fmt.name == "turtle":
                if header is None:
                    header = (fresh_header if source is None or reused is None
                              else source.header())
                    if header is None:
                        raise ValueError(f"no @prefix lines to start the Turtle of {piece.iri}")
                    spans[_HEADER] = (out.size, out.size + len(header))
                    out.write(header)
                elif fresh_header is not None and fresh_header != header:
                    raise ValueError(f"Turtle of {piece.iri} does not start with the same "
                                     f"prefixes")
            elif fmt.name == "jsonld" and not empty:
                out.write(b",")
        empty = False
        start = out.size
        for chunk in body:
            out.write(chunk)
        spans[piece.iri] = (start, out.size)
    if fmt.name == "jsonld":
        out.write(b"]")
    elif empty and fmt.name in ("ntriples", "nquads"):
        for chunk in _gzip_blocks(iter(())):  # an empty file is no gzip file
            out.write(chunk)
    return spans


def _gzip_blocks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """One gzip member of ``chunks``. Level 3 writes N-Quads within 13 % of level 6's
    size in 40 % of its time; zlib's gzip header holds no time and no name, so the same
    bytes always compress to the same member."""
    packer = zlib.compressobj(3, zlib.DEFLATED, 31)
    for chunk in chunks:
        packed = packer.compress(chunk)
        if packed:
            yield packed
    yield packer.flush()


def _serialised(store: ox.Store, piece: Piece, fmt: formats.Format, prefixes: dict[str, str],
                scratch: Path) -> tuple[bytes | None, Iterator[bytes]]:
    """A graph as Turtle (its ``@prefix`` lines apart) or JSON-LD (its array's members)."""
    kwargs = {"prefixes": prefixes} if fmt.name == "turtle" else {}
    store.dump(str(scratch), fmt.oxigraph_rdf, from_graph=piece.graph, **kwargs)
    size = scratch.stat().st_size
    with scratch.open("rb") as handle:
        head = handle.read(1 << 16)
    if fmt.name == "turtle":
        start = 0
        while head.startswith(b"@prefix ", start):
            start = head.index(b"\n", start) + 1
        return head[:start], _blocks(scratch, start, size)
    with scratch.open("rb") as handle:
        handle.seek(size - 1)
        last = handle.read(1)
    if not (head.startswith(b"[") and last == b"]"):
        raise ValueError(f"JSON-LD of {piece.iri} is not one array")
    return None, _blocks(scratch, 1, size - 1)
