"""The release's on-disk store: loaded from the graphs' pieces, or made from the previous one.

A rebuild starts from the previous release's store: its immutable SST files are
hard-linked (never opened for writing: a server may be reading them), its small
bookkeeping files copied, and only what changed is written: a changed graph is
compared line by line with its piece of the previous N-Triples dump, and only
the triples it lost are removed and those it gained loaded (Oxigraph removes
about ten thousand quads a second from disk: dropping and loading again a whole
graph of 100,000 costs seconds, its difference milliseconds). Without a previous
store whose files match their checksums, the store is bulk-loaded from every
graph's N-Triples.
"""

from __future__ import annotations

import os
import shutil
import zlib
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from ..store.oxigraph import OxigraphStore
from . import layout
from .dumps import lines
from .pieces import Piece, Previous

#: store files a copy leaves behind: RocksDB's lock and its info logs
#: the quads of a store loaded in one go at most (about: whole blocks of lines are written)
LOAD_QUADS = 250_000
_LEFT_OUT = ("LOCK", "LOG")


def write_store(path: Path, pieces: Sequence[Piece], previous: Previous | None,
                description_graph: str, scratch: Path) -> tuple[OxigraphStore, bool]:
    """The store of ``pieces`` at ``path`` (without the description, which the caller adds),
    and whether it was made from the previous release's store; ``scratch``: a file the
    store's N-Quads may be written into for a bulk load."""
    changes = _changes(previous, pieces) if previous is not None else None
    if changes is not None and previous is not None and _link_store(previous, path):
        native = ox.Store(str(path))
        current = {p.iri for p in pieces}
        for iri in sorted((set(previous.digests) | {description_graph}) - current):
            native.remove_graph(ox.NamedNode(iri))
        for piece, before, after in changes:
            if after:
                _patch(native, piece, before, after)
            else:
                native.remove_graph(piece.graph)
        native.flush()
        return OxigraphStore(native, path), True
    store = OxigraphStore.create(path)
    files = _spread(pieces, scratch)
    try:
        # Rust parses and indexes without Python's lock (the dumps are written meanwhile)
        for file in files:
            store.load_serialized(file, ox.RdfFormat.N_QUADS)
    finally:
        for file in files:
            file.unlink(missing_ok=True)
    return store, False


def _spread(pieces: Sequence[Piece], scratch: Path, size: int = LOAD_QUADS) -> list[Path]:
    """The pieces' quads in N-Quads files named after ``scratch``, each of at most about
    ``size`` quads, to be loaded one after another: Oxigraph's bulk load holds a whole
    file's quads and their index entries in memory (about 650 MB for a million), and a
    build loads the store while its validation holds memory of its own.

    Each load names blank nodes afresh, so every line naming one (every line holding
    ``_:``) goes into the first file: a blank node two graphs share stays one node."""
    blank = scratch.with_name(f"{scratch.stem}-0.nq")
    files = [blank]
    outs = [blank.open("wb")]
    held = size  # quads in the file being filled: a new one is started at once
    try:
        for piece in pieces:
            tail = f" <{piece.iri}> .\n".encode()
            for block in lines(piece.ntriples, 1 << 22):
                block = block.replace(b" .\n", tail)
                if b"_:" in block:
                    rows = block.splitlines(keepends=True)
                    outs[0].write(b"".join(r for r in rows if b"_:" in r))
                    block = b"".join(r for r in rows if b"_:" not in r)
                if held >= size:
                    files.append(scratch.with_name(f"{scratch.stem}-{len(files)}.nq"))
                    outs.append(files[-1].open("wb"))
                    held = 0
                outs[-1].write(block)
                held += block.count(b"\n")
    finally:
        for out in outs:
            out.close()
    return files


def _changes(previous: Previous, pieces: Sequence[Piece],
             ) -> list[tuple[Piece, bytes, bytes]] | None:
    """Each changed graph with its previous and its new N-Triples; None if a change
    cannot be made in place: a graph's previous triples are not to be had, or blank
    nodes (which a store loaded from N-Triples names afresh) are among them."""
    old = _OldPieces(previous)
    changes = []
    for piece in pieces:
        if previous.unchanged(piece):
            continue
        before = old.ntriples(piece.iri) if piece.iri in previous.digests else b""
        if before is None:
            return None
        after = piece.ntriples.read_bytes()
        if b"_:" in before or b"_:" in after:
            return None
        changes.append((piece, before, after))
    return changes


class _OldPieces:
    """Each graph's N-Triples as the previous release's N-Triples dump holds them."""

    DUMP = "uprgraph.nt.gz"

    def __init__(self, previous: Previous) -> None:
        self.previous = previous
        self.path = previous.path / layout.DUMPS / self.DUMP
        self.sound = previous.dump_sound(self.DUMP)

    def ntriples(self, iri: str) -> bytes | None:
        """The graph's previous N-Triples (None: not to be had)."""
        span = self.previous.span(self.DUMP, iri)
        if not self.sound or span is None:
            return None
        with self.path.open("rb") as handle:
            handle.seek(span[0])
            member = handle.read(span[1] - span[0])
        if not member:
            return b""
        try:
            return zlib.decompress(member, 31)
        except zlib.error:
            return None


def _patch(native: ox.Store, piece: Piece, before: bytes, after: bytes) -> None:
    """Turn the graph holding ``before`` (N-Triples) into ``piece`` (``after``): remove
    the triples it lost, load those it gained."""
    old = set(before.splitlines(keepends=True))
    rows = after.splitlines(keepends=True)
    new = set(rows)
    lost = b"".join(row for row in old if row not in new)
    gained = b"".join(row for row in rows if row not in old)
    for triple in ox.parse(lost, ox.RdfFormat.N_TRIPLES):
        native.remove(ox.Quad(triple.subject, triple.predicate, triple.object, piece.graph))
    if gained:
        native.bulk_load(gained, ox.RdfFormat.N_TRIPLES, to_graph=piece.graph)


def _link_store(previous: Previous, target: Path) -> bool:
    """Make ``target`` a copy of the previous release's store that shares its SST files
    (hard links: RocksDB never changes an SST file, it only writes new ones and deletes
    old ones); False, and nothing at ``target``, if that store is damaged or cannot be
    linked."""
    if not previous.store_sound():
        return False
    source = previous.path / layout.STORE
    try:
        target.mkdir(parents=True)
        for item in sorted(source.iterdir()):
            if not item.is_file() or item.name.startswith(_LEFT_OUT):
                continue
            if item.suffix == ".sst":
                os.link(item, target / item.name)
            else:
                shutil.copy2(item, target / item.name)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        return False
    return True
