"""Runs SPARQL queries with a hard timeout, in a pool of worker processes.

A pyoxigraph query cannot be interrupted from another thread, so every query
of the web tier runs in a worker process that opened the store itself
(read-only: Oxigraph allows several processes). The request thread waits on
the worker's pipe until the deadline; a worker that overruns is killed and
replaced at once, so a pathological query costs one worker for at most the
timeout and the others keep answering. Workers serialise the answer with the
store's own (Rust) serialisers and send bytes; the request thread never sees
a term object on this path.

Each worker first confines itself (:mod:`.confine`): no network (so ``SERVICE``
cannot reach anything) and an address-space cap (a huge query ends with a clear
503, not with the machine's memory).

This module holds what crosses the process boundary (the store spec, jobs,
answers, errors) and the worker's side; :mod:`.pool` runs the processes, and
:mod:`.admission` decides who gets one and for how long.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..formats import BY_NAME
from ..store.analysis import analyse
from ..store.base import FormatMismatch, QuerySyntaxError, StoreError
from .stacks import SMALLEST, StackedThreads, fits, start_thread

CHUNK = 256 * 1024
#: answers up to this size are read at once and the worker released early
EAGER_BYTES = 4 * 1024 * 1024
#: how long a fresh worker may take to open its store
STARTUP_SECONDS = 60.0


class QueryTimeout(RuntimeError):
    """The query ran longer than the configured timeout and was cancelled."""


class Busy(RuntimeError):
    """Every worker stayed busy for the whole timeout."""


class TooLarge(RuntimeError):
    """The query needed more memory than a worker may use, and was ended."""


@dataclass(frozen=True)
class Limits:
    """What a worker imposes on itself before opening the store (picklable)."""

    #: address-space cap of a worker in MiB (0: none)
    memory_mb: int = 0
    #: leave the network (a new network namespace) where the platform allows it
    isolate_network: bool = True
    #: stack of the thread that evaluates queries, in bytes (:mod:`.stacks`)
    stack: int = SMALLEST


@dataclass(frozen=True)
class StoreSpec:
    """How a worker opens the store (picklable: it crosses the process boundary)."""

    kind: str  # "oxigraph", "oxigraph-memory", "memory" or "remote"
    path: str = ""
    files: tuple[tuple[str, str | None], ...] = ()
    query_url: str = ""
    store_url: str = ""
    timeout: float | None = None

    def open(self) -> Any:
        if self.kind == "oxigraph":
            from ..store.oxigraph import OxigraphStore

            return OxigraphStore.open_read_only(Path(self.path))
        if self.kind == "oxigraph-memory":
            from ..store.oxigraph import OxigraphStore

            return OxigraphStore.in_memory((Path(p), g) for p, g in self.files)
        if self.kind == "memory":
            from ..store.memory import MemoryStore

            store = MemoryStore()
            for path, graph in self.files:
                store.load_file(Path(path), graph)
            return store
        if self.kind == "remote":
            from ..store.remote import RemoteStore

            return RemoteStore(self.query_url, self.store_url, timeout=self.timeout)
        raise StoreError(
            f"unknown store kind {self.kind!r} (oxigraph, oxigraph-memory, memory or remote)")


@dataclass(frozen=True)
class Job:
    query: str
    fmt: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int = 0
    prefixes: tuple[tuple[str, str], ...] = ()
    #: resolves the query's relative IRIs; given to the engine rather than written into
    #: the text, so a syntax error's line and column are those of the text the client sent
    base_iri: str | None = None


class _PipeWriter:
    """A binary sink that ships what the serialiser writes.

    An answer that fits in ``EAGER_BYTES`` goes as one ``("whole", kind, truncated,
    body)`` message (one pipe round trip per query); a larger one is announced with
    ``("ok", kind, truncated)`` and follows in ``CHUNK``-sized pieces.
    """

    def __init__(self, conn: Connection, kind: str, truncated: bool) -> None:
        self.conn = conn
        self.kind = kind
        self.truncated = truncated
        self.started = False
        self.buf = bytearray()

    def write(self, b: bytes) -> int:
        self.buf += b
        if len(self.buf) >= (CHUNK if self.started else EAGER_BYTES):
            self._ship()
        return len(b)

    def flush(self) -> None:
        """Nothing: the serialisers call it when done, and a small answer waits for
        :meth:`finish` to go in one message."""

    def _ship(self) -> None:
        if not self.started:
            self.conn.send(("ok", self.kind, self.truncated))
            self.started = True
        if self.buf:
            self.conn.send(("chunk", bytes(self.buf)))
            self.buf.clear()

    def finish(self) -> None:
        if self.started:
            self._ship()
            self.conn.send(("end",))
        else:
            self.conn.send(("whole", self.kind, self.truncated, bytes(self.buf)))


def run_job(store: Any, job: Job) -> tuple[str, Any]:
    """Evaluate and render ``job``: ``("ok", rendered)`` or ``("error", (kind, message))``."""
    try:
        result = store.query(
            job.query,
            default_graphs=list(job.default_graphs) if job.default_graphs is not None else None,
            named_graphs=list(job.named_graphs) if job.named_graphs is not None else None,
            base_iri=job.base_iri,
        )
        rendered = result.render(
            BY_NAME[job.fmt], max_rows=job.max_rows, prefixes=dict(job.prefixes) or None
        )
    except QuerySyntaxError as exc:
        return "error", ("syntax", str(exc))
    except FormatMismatch as exc:
        return "error", ("format", str(exc))
    except (StoreError, OSError) as exc:
        return "error", ("store", str(exc))
    except RuntimeError as exc:  # pyoxigraph's evaluation errors (e.g. SERVICE ?unbound)
        return "error", ("evaluation", str(exc))
    return "ok", rendered


def confine(spec: StoreSpec, limits: Limits) -> str | None:
    """Apply ``limits`` to this process; the network defence in place (None: none)."""
    from .confine import isolate_network, limit_memory

    defence = None
    if limits.isolate_network and spec.kind != "remote":  # a remote store is reached by HTTP
        defence = isolate_network()
    limit_memory(limits.memory_mb)
    return defence


def _worker_main(spec: StoreSpec, limits: Limits,
                 conn: Connection) -> None:  # pragma: no cover - subprocess
    defence = confine(spec, limits)
    try:
        store = spec.open()
    except (StoreError, OSError, RuntimeError, MemoryError) as exc:  # RocksDB: RuntimeError
        conn.send(("dead", str(exc)))
        return
    conn.send(("ready", defence))
    serve_jobs(store, conn, limits.stack)


def serve_jobs(store: Any, conn: Connection, stack: int) -> None:  # pragma: no cover
    """A worker's loop on a thread with a ``stack``-byte stack (the main thread's is
    whatever ``ulimit -s`` says): answer jobs from ``conn`` until it closes or sends None."""
    start_thread(lambda: _serve_jobs(store, conn), stack, "uprgraph-worker").join()


def _serve_jobs(store: Any, conn: Connection) -> None:  # pragma: no cover - subprocess
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            status, value = run_job(store, job)
        except MemoryError:
            conn.send(("error", "memory", "the query needed more memory than allowed"))
            continue
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
            conn.send(("error", "internal", f"{type(exc).__name__}: {exc}"))
            continue
        if status == "error":
            conn.send(("error", *value))
            continue
        sink = _PipeWriter(conn, value.kind, value.truncated)
        try:
            value.write(sink)
        except MemoryError:
            sink.buf.clear()
            conn.send(("abort", "memory") if sink.started else
                      ("error", "memory", "the query needed more memory than allowed"))
            continue
        except OSError as exc:
            conn.send(("abort", str(exc)) if sink.started else ("error", "store", str(exc)))
            continue
        except RuntimeError as exc:  # an evaluation error met while streaming
            conn.send(("abort", str(exc)) if sink.started else
                      ("error", "evaluation", str(exc)))
            continue
        sink.finish()


class Answer:
    """A query's answer: its kind, whether rows were cut, and the body's chunks.

    Iterate it to get the body; ``close`` hands the worker back (or replaces it
    if the body was not read to the end).
    """

    def __init__(self, kind: str, truncated: bool, chunks: Iterator[bytes] | None = None,
                 close=None, body: bytes | None = None) -> None:
        self.kind = kind
        self.truncated = truncated
        #: the whole body when it is already here (the worker is free again), else None
        self.body = body
        self._chunks = chunks if chunks is not None else iter((body or b"",))
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def read(self) -> bytes:
        if self.body is not None:
            return self.body
        try:
            return b"".join(self._chunks)
        finally:
            self.close()

    def close(self) -> None:
        if self._close is not None:
            close, self._close = self._close, None
            close()


class QueryError(ValueError):
    """The store refused the query; ``kind``: ``syntax``, ``format``, ``evaluation``, ``store``,
    ``internal``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class InlineExecutor:
    """Runs queries in the calling thread (or, when its stack is too small for the query,
    in a thread of its own): no timeout; for a remote store or debugging."""

    #: queries run in this process, which keeps its network
    defence: str | None = None
    busy = 0

    def __init__(self, spec: StoreSpec, stack: int = SMALLEST) -> None:
        self.spec = spec
        self.store = spec.open()
        self._lock = threading.Lock()
        self._deep = StackedThreads(1, stack, thread_name_prefix="uprgraph-query")

    def run(self, job: Job, internal: bool = True, client: str | None = None) -> Answer:
        with self._lock:
            if fits(analyse(job.query).size):
                return self._evaluate(job)
            return self._deep.submit(self._evaluate, job).result()

    def _evaluate(self, job: Job) -> Answer:
        import io

        status, value = run_job(self.store, job)
        if status == "error":
            raise QueryError(*value)
        out = io.BytesIO()
        value.write(out)
        return Answer(value.kind, value.truncated, body=out.getvalue())

    def close(self) -> None:
        self._deep.shutdown(wait=False)
        store, self.store = self.store, None
        if store is not None:
            store.close()

    def retire(self) -> None:
        """Nothing to stop: requests still using the store finish, then :meth:`close`."""

    def settle(self, timeout: float) -> bool:
        """Ready as soon as it exists (no workers to start)."""
        return True


def _main() -> None:  # pragma: no cover - runs in the worker process
    conn = Connection(int(sys.argv[1]))
    spec, limits = conn.recv()
    _worker_main(spec, limits, conn)


if __name__ == "__main__":  # pragma: no cover
    _main()
