"""A release graph by graph: each graph's N-Triples and digest, and what a rebuild reuses.

Every named graph of a release is written once as N-Triples into a scratch
folder; its SHA-256 says whether it changed since the previous release. The
release id is made from these digests, the dumps are written piece by piece
(and a piece of an unchanged graph is copied from the previous release's dump),
and the store is loaded from the same files. ``pieces.json`` in a release keeps
the digests and where each graph's piece lies in each dump, for the next build.

A graph that is exactly what Oxigraph read from its file (the build removed nothing
from it) is a function of that file's bytes: ``pieces.json`` names the file's digest
as its ``source``, and a later build that reads the same bytes into the same graph and
leaves it alone takes the previous digest instead of writing the graph again (its
N-Triples are written only if the dumps or the store turn out to need them).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .. import __version__
from ..links.linksets import Counts as LinkCounts
from . import layout

#: the file of a release listing its graphs' digests and their pieces in each dump
PIECES = "pieces.json"
#: bumped whenever the way pieces are written changes: older releases are then not reused
_LAYOUT = 1


class Piece:
    """One named graph of the release and the file of its N-Triples (written when first
    asked for if the graph's digest was taken from the previous release)."""

    def __init__(self, graph: ox.NamedNode, ntriples: Path, sha256: str, *,
                 source: tuple[str, int] | None = None, store: ox.Store | None = None,
                 empty: bool = False) -> None:
        self.graph = graph
        self.sha256 = sha256
        #: digest and triples of the file the graph is exactly the content of (None: not)
        self.source = source
        self._path = ntriples
        self._store = store  # set while the N-Triples are still to be written
        self._empty = empty
        self._lock = threading.Lock()

    @property
    def iri(self) -> str:
        return self.graph.value

    @property
    def ntriples(self) -> Path:
        """The graph's N-Triples file, written now if it was not yet (the dumps and the
        store run in threads of their own: one of them writes it)."""
        with self._lock:
            if self._store is not None:
                self._store.dump(str(self._path), ox.RdfFormat.N_TRIPLES, from_graph=self.graph)
                self._store = None
        return self._path

    @property
    def empty(self) -> bool:
        if self._store is not None:
            return self._empty
        return self._path.stat().st_size == 0


def write_pieces(store: ox.Store, graphs: Sequence[ox.NamedNode], folder: Path,
                 sources: Mapping[str, tuple[str, int]] | None = None,
                 previous: Previous | None = None) -> list[Piece]:
    """Each graph of ``graphs`` (in order, once each) as N-Triples in ``folder``, digested.

    The in-memory store writes a graph's triples in the order they were added,
    which the build keeps the same for the same input, so the same data always
    gives the same bytes. ``sources``: graph IRI -> digest and triples of the file the
    graph is exactly the content of; where ``previous`` names the same source for it,
    its digest is taken and the N-Triples are left to be written if needed."""
    sources = sources or {}
    pieces: list[Piece] = []
    seen: set[str] = set()
    for graph in graphs:
        if graph.value in seen:
            continue
        seen.add(graph.value)
        path = folder / f"{len(pieces)}.nt"
        source = sources.get(graph.value)
        known = previous.same_source(graph.value, source) if previous is not None else None
        if known is not None:
            empty = next(store.quads_for_pattern(None, None, None, graph), None) is None
            pieces.append(Piece(graph, path, known, source=source, store=store, empty=empty))
            continue
        store.dump(str(path), ox.RdfFormat.N_TRIPLES, from_graph=graph)
        pieces.append(Piece(graph, path, layout.sha256_of(path), source=source))
    return pieces


def release_digest(pieces: Sequence[Piece]) -> str:
    """Twelve hex digits over every graph's name and digest, in order: they change
    whenever the data does, and are the same for the same data."""
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(f"{piece.iri} {piece.sha256}\n".encode())
    return digest.hexdigest()[:12]


def builder_key(base_iri: str, prefixes: dict[str, str]) -> str:
    """What must be the same for a previous release's pieces to be the bytes this build
    would write: the software, the serialiser, the base IRI and the prefixes."""
    named = json.dumps(sorted(prefixes.items()))
    return (f"uprgraph {__version__}; pyoxigraph {ox.__version__}; layout {_LAYOUT}; "
            f"base {base_iri}; prefixes {hashlib.sha256(named.encode()).hexdigest()[:16]}")


@dataclass
class Previous:
    """What a build may reuse of the previous release: its graphs' digests and, for each
    dump, where each graph's piece lies (byte ``[start, end)``)."""

    path: Path
    digests: dict[str, str]
    spans: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    #: each dump's SHA-256 as its manifest states it (a damaged dump is not reused)
    dump_sha256: dict[str, str] = field(default_factory=dict)
    #: graph IRI -> digest and triples of the file the graph was exactly the content of
    sources: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: graph IRI -> its links to outside datasets, (target, predicate) -> triples
    links: dict[str, LinkCounts] = field(default_factory=dict)
    _verdicts: dict[str, Future[bool]] = field(default_factory=dict, repr=False,
                                               compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def unchanged(self, piece: Piece) -> bool:
        return self.digests.get(piece.iri) == piece.sha256

    def same_source(self, iri: str, source: tuple[str, int] | None) -> str | None:
        """The graph's digest if it was made from the same file (None: not)."""
        if source is None or self.sources.get(iri) != source:
            return None
        return self.digests.get(iri)

    def links_of(self, piece: Piece) -> LinkCounts | None:
        """The graph's link counts if it is unchanged (None: to be counted)."""
        return self.links.get(piece.iri) if self.unchanged(piece) else None

    def span(self, dump: str, key: str) -> tuple[int, int] | None:
        return self.spans.get(dump, {}).get(key)

    def dump_sound(self, name: str) -> bool:
        """Whether the dump ``name`` is there and matches the SHA-256 its manifest states
        (a damaged dump is never copied from)."""
        def check() -> bool:
            try:
                return layout.sha256_of(self.path / layout.DUMPS / name) == \
                    self.dump_sha256.get(name)
            except OSError:
                return False

        return self._checked(f"dump {name}", check)

    def store_sound(self) -> bool:
        """Whether the store's files are listed and match their checksums (a damaged store
        is never linked into a new one)."""
        return self._checked("store", lambda: (
            (self.path / layout.STORE_CHECKSUMS).is_file()
            and layout.verify_store(self.path) is None))

    def check_all(self) -> None:
        """Every check a rebuild may ask for, made now: the build starts this in a thread
        while it parses, on the core the parse leaves idle, rather than after linking when
        the dumps and the store are written on both."""
        for name in sorted(self.dump_sha256.keys() & self.spans.keys()):
            self.dump_sound(name)
        self.store_sound()

    def _checked(self, key: str, check: Callable[[], bool]) -> bool:
        """``check()``, made once whichever thread asks first (the others wait for it)."""
        with self._lock:
            verdict = self._verdicts.get(key)
            mine = verdict is None
            if mine:
                verdict = self._verdicts[key] = Future()
        assert verdict is not None
        if mine:
            try:
                verdict.set_result(check())
            except BaseException as exc:
                verdict.set_exception(exc)
        return verdict.result()


def record(folder: Path, builder: str, pieces: Sequence[Piece],
           spans: dict[str, dict[str, tuple[int, int]]],
           links: Mapping[str, LinkCounts] | None = None) -> None:
    """Write ``pieces.json`` into the release being built (``links``: each graph's link
    counts, which a later build takes for the graphs it finds unchanged)."""
    links = links or {}

    def entry(piece: Piece) -> dict:
        found: dict = {"iri": piece.iri, "sha256": piece.sha256}
        if piece.source is not None:
            found["source"], found["triples"] = piece.source
        if piece.iri in links:
            found["links"] = [[t, p, n] for (t, p), n in sorted(links[piece.iri].items())]
        return found

    content = {
        "builder": builder,
        "graphs": [entry(p) for p in pieces],
        "dumps": {name: {key: list(span) for key, span in found.items()}
                  for name, found in spans.items()},
    }
    (folder / PIECES).write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")


def previous(release: Path | None, builder: str) -> Previous | None:
    """The reusable part of ``release`` (None: no release, one without ``pieces.json``,
    or one written by other software or for another base IRI or prefixes)."""
    if release is None:
        return None
    try:
        content = json.loads((release / PIECES).read_text(encoding="utf-8"))
        if content.get("builder") != builder:
            return None
        digests = {str(g["iri"]): str(g["sha256"]) for g in content["graphs"]}
        sources = {str(g["iri"]): (str(g["source"]), int(g["triples"]))
                   for g in content["graphs"] if "source" in g and "triples" in g}
        links = {str(g["iri"]): {(str(t), str(p)): int(n) for t, p, n in g["links"]}
                 for g in content["graphs"] if "links" in g}
        spans = {str(name): {str(k): (int(v[0]), int(v[1])) for k, v in found.items()}
                 for name, found in content["dumps"].items()}
        manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
        dump_sha256 = {str(d["file"]): str(d["sha256"]) for d in manifest["dumps"]}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    return Previous(release, digests, spans, dump_sha256, sources, links)
