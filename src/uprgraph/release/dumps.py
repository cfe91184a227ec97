"""The downloadable dumps of a release, written by Oxigraph's serialisers.

Every dump holds the same triples; N-Quads also keeps the named graph each
triple came from. Sizes, SHA-256 and triple counts go into the manifest and
the DCAT description.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterable
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
    folder: Path, quads: Callable[[], Iterable[ox.Quad]], count: int, prefixes: dict[str, str]
) -> list[Dump]:
    """Write every dump of :data:`DUMP_FILES` into ``folder``.

    ``quads`` gives the ``count`` quads afresh for each dump, so a build streams
    them from its store instead of holding a copy of them all in Python.
    """
    dumps = []
    for name, format_name in DUMP_FILES:
        fmt = formats.by_name(format_name)
        path = folder / name
        compressed = name.endswith(".gz")
        items = quads() if fmt.datasets and fmt.name == "nquads" else (q.triple for q in quads())
        kwargs = {"prefixes": prefixes} if fmt.name == "turtle" else {}
        if compressed:
            # mtime=0 keeps the gzip header, and so the checksum, stable across builds;
            # level 6 (zlib's default) compresses within a few per cent of 9 in half the time
            with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                       compresslevel=6) as out:
                ox.serialize(items, out, format=fmt.oxigraph_rdf, **kwargs)
        else:
            ox.serialize(items, str(path), format=fmt.oxigraph_rdf, **kwargs)
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
