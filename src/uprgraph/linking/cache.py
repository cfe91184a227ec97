"""A content-addressed cache of what linking computes from one input alone.

A rebuild that adds one file should not read, normalise and tokenise the
100,000 recommendations it had already read. What depends on one input only
(the facts :mod:`.corpus` reads from its graph; the normalised texts and token
counts of :mod:`.features`) is kept under a key naming that input's content,
and what depends on one state's recommendations only (its recurrence links,
:mod:`.recurrence`) under a key naming exactly those. Whatever is global (TF-IDF
weights are fitted per state, the classifier on every matrix) is computed again
from the parts.

Keys. The cache folder (``<state_dir>/cache/linking/<key>/``) is named by the
cache format, the Python and library versions and the SHA-256 of every source
file of this package, so a change of method, parameters or software starts an
empty cache (other keys' folders are removed). Within it, an entry is named by
its kind and a digest of its input: a data file's SHA-256 (as the build read it,
with its format, suffix, graph IRI and base IRI: what the store holds of it follows
from these), and
for other inputs the triples the store holds of them. An entry is written
atomically (a temporary file renamed) with the SHA-256 of its body first; an
entry that cannot be read, is damaged or was written by other code is a miss,
and a miss computes afresh. After a build only the entries it used are kept.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.metadata
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from ..config import Settings
from ..inputs import Input

#: bumped when what an entry holds changes shape
FORMAT = "3"
_LIBRARIES = ("numpy", "scipy", "scikit-learn", "rapidfuzz", "pyoxigraph")
_DIGEST = hashlib.sha256().digest_size
T = TypeVar("T")


def cache_dir(settings: Settings) -> Path:
    """Where a project keeps the linking cache: beside its releases."""
    return settings.path(settings.state_dir) / "cache" / "linking"


def code_key() -> str:
    """The digest of what computes the cached values: this package's source, the
    Python and library versions, the entry format."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for name in _LIBRARIES:
        digest.update(f" {name} {importlib.metadata.version(name)}".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:24]


def read_digest(item: Input, sha256: str, base: str) -> str:
    """The digest of a data file Oxigraph read: its SHA-256 as the build took it when
    reading it (:attr:`Input.sha256`, not read and digested again), with what else decides
    what the store holds of it."""
    return hashlib.sha256(f"{sha256}\0{item.path.suffix}\0{item.graph_iri}\0{base}"
                          .encode()).hexdigest()


def input_digests(store: ox.Store, items: Iterable[Input], base: str) -> dict[str, str]:
    """Graph IRI -> digest of what the store holds in that input's graph."""
    digests = {}
    for item in items:
        name = str(item.graph_iri)
        if item.role == "data" and item.sha256 is not None:
            digests[name] = read_digest(item, item.sha256, base)
            continue
        if item.role == "data":
            with item.path.open("rb") as handle:
                digest = hashlib.file_digest(handle, "sha256")
            digest.update(f"\0{item.path.suffix}\0{name}\0{base}".encode())
        else:  # links files keep only what the data describes: the store's triples count
            digest = hashlib.sha256(store.dump(format=ox.RdfFormat.N_TRIPLES,
                                               from_graph=ox.NamedNode(name)))
            digest.update(f"\0{item.role}\0{name}".encode())
        digests[name] = digest.hexdigest()
    return digests


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused within: linking makes hundreds of thousands of
    lists, tuples and records that hold no cycle, and each batch of them would set off a
    collection walking every one made before (reading a cached entry is twice as fast,
    making the recommendations' rows a third faster)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _loads(body: memoryview) -> object:
    """The value pickled in ``body`` (an entry of a large input is millions of strings,
    lists and dictionaries: the collector is paused)."""
    with collector_paused():
        return pickle.loads(body)


class Cache:
    """Entries of one code key in ``folder``; :meth:`keep_used` drops the rest."""

    def __init__(self, folder: Path, key: str | None = None) -> None:
        self.root = folder
        self.here = folder / (key or code_key())
        self.used: set[str] = set()
        self.hits = self.misses = 0
        #: entries being read ahead (:meth:`fetch`), by file name
        self._fetched: dict[str, Future[object | None]] = {}

    def _path(self, kind: str, digest: str) -> Path:
        return self.here / f"{kind}-{digest}.pickle"

    def get(self, kind: str, digest: str, expected: type[T]) -> T | None:
        """The entry, or None if absent, unreadable, damaged or not an ``expected``."""
        path = self._path(kind, digest)
        ahead = self._fetched.pop(path.name, None)
        value = ahead.result() if ahead is not None else self._read(path)
        if not isinstance(value, expected):
            self.misses += 1
            return None
        self.used.add(path.name)
        self.hits += 1
        return value

    def fetch(self, kind: str, digest: str, pool: ThreadPoolExecutor) -> None:
        """Read an entry in ``pool``, ahead of :meth:`get`, which then waits for it."""
        path = self._path(kind, digest)
        self._fetched[path.name] = pool.submit(self._read, path)

    def read_ahead(self, kind: str, digest: str) -> bool:
        """Whether the entry was read ahead and holds a value (waiting for the read)."""
        ahead = self._fetched.get(self._path(kind, digest).name)
        return ahead is not None and ahead.result() is not None

    @staticmethod
    def _read(path: Path) -> object | None:
        """The value an entry holds, None if absent, unreadable or damaged."""
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        if raw[:_DIGEST] != hashlib.sha256(memoryview(raw)[_DIGEST:]).digest():
            return None
        try:
            return _loads(memoryview(raw)[_DIGEST:])
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
                TypeError, ValueError):
            return None

    def put(self, kind: str, digest: str, value: object) -> None:
        """Write an entry atomically (a cache that cannot be written is no cache: ignored)."""
        path = self._path(kind, digest)
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.here.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.here, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(hashlib.sha256(body).digest())
                out.write(body)
            os.replace(temporary, path)
        except OSError:
            return
        self.used.add(path.name)

    def keep_used(self) -> None:
        """Remove the entries this run did not use and the folders of other code keys."""
        if self.root.is_dir():
            for folder in self.root.iterdir():
                if folder != self.here:
                    shutil.rmtree(folder, ignore_errors=True)
        if self.here.is_dir():
            for entry in self.here.iterdir():
                if entry.name not in self.used:
                    try:
                        entry.unlink(missing_ok=True)
                    except OSError:  # a folder, or not ours to remove: a stale entry only
                        continue


class ReadAhead:
    """Reads the entries of each data file while the build is still parsing the files.

    Oxigraph parses without Python's lock, on one core; reading a large input's entries
    back is Python's work (about 1.5 s for 100,000 recommendations), which would
    otherwise wait for linking. :meth:`want` is called with each file's digest before
    its parse (:func:`..inputs.load_into`); the linking step then finds the entries in
    memory. A digest the build does not use in the end leaves its entry unused.
    """

    #: what is kept of one data file
    KINDS = ("facts", "texts")

    def __init__(self, folder: Path, base: str) -> None:
        self.cache = Cache(folder)
        self.base = base
        #: graph IRI -> the digest a data file read into it was announced with
        self.announced: dict[str, str] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")

    def want(self, item: Input, sha256: str) -> None:
        if item.role != "data":
            return
        digest = self.announced[str(item.graph_iri)] = read_digest(item, sha256, self.base)
        for kind in self.KINDS:
            self.cache.fetch(kind, digest, self._pool)

    def settle(self) -> Cache:
        """The cache holding what was read, once every read has ended (before the build
        forks: a child must not start with a thread of this process halfway through)."""
        self._pool.shutdown(wait=True)
        return self.cache
