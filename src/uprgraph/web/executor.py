"""Runs SPARQL queries with a hard timeout, in a pool of worker processes.

A pyoxigraph query cannot be interrupted from another thread, so every query
of the web tier runs in a worker process that opened the store itself
(read-only: Oxigraph allows several processes). The request thread waits on
the worker's pipe until the deadline; a worker that overruns is killed and
replaced at once, so a pathological query costs one worker for at most the
timeout and the others keep answering. Workers serialise the answer with the
store's own (Rust) serialisers and send bytes; the request thread never sees
a term object on this path.
"""

from __future__ import annotations

import logging
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..formats import BY_NAME
from ..store.base import FormatMismatch, QuerySyntaxError, StoreError

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
#: answers up to this size are read at once and the worker released early
EAGER_BYTES = 4 * 1024 * 1024
#: how long a fresh worker may take to open its store
STARTUP_SECONDS = 60.0


class QueryTimeout(RuntimeError):
    """The query ran longer than the configured timeout and was cancelled."""


class Busy(RuntimeError):
    """Every worker stayed busy for the whole timeout."""


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
    return "ok", rendered


def _worker_main(spec: StoreSpec, conn: Connection) -> None:  # pragma: no cover - subprocess
    try:
        store = spec.open()
    except (StoreError, OSError) as exc:
        conn.send(("dead", str(exc)))
        return
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            status, value = run_job(store, job)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
            conn.send(("error", "internal", f"{type(exc).__name__}: {exc}"))
            continue
        if status == "error":
            conn.send(("error", *value))
            continue
        sink = _PipeWriter(conn, value.kind, value.truncated)
        try:
            value.write(sink)
        except OSError as exc:
            conn.send(("abort", str(exc)) if sink.started else ("error", "store", str(exc)))
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
    """The store refused the query; ``kind``: ``syntax``, ``format``, ``store``, ``internal``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Worker:
    """A ``python -m uprgraph.web.executor FD`` process talking over a socket pair.

    A plain subprocess rather than ``multiprocessing``: it never re-imports the
    caller's ``__main__`` and behaves the same under waitress, gunicorn or tests.
    """

    def __init__(self, spec: StoreSpec) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uprgraph.web.executor", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(spec)
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(STARTUP_SECONDS):
            raise StoreError("a query worker did not start in time")
        msg = self.conn.recv()
        if msg[0] != "ready":
            raise StoreError(f"a query worker could not open the store: {msg[1]}")
        self.ready = True

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.conn.close()


class QueryPool:
    """``size`` worker processes serving queries on ``spec`` with a per-query ``timeout``."""

    def __init__(self, spec: StoreSpec, size: int = 2, timeout: float = 10.0) -> None:
        self.spec = spec
        self.timeout = timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(max(1, size)):
            self._add()
        first = self._idle.get()
        try:
            first.wait_ready()  # fail early (and clearly) if the store cannot be opened
        except StoreError:
            self.close()
            first.kill()
            raise
        self._idle.put(first)

    def _add(self) -> None:
        worker = _Worker(self.spec)
        with self._lock:
            self._all.add(worker)
        self._idle.put(worker)

    def _release(self, worker: _Worker) -> None:
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        threading.Thread(target=worker.kill, daemon=True).start()
        if not self._closed:
            self._add()

    def _recv(self, worker: _Worker, deadline: float) -> tuple:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not worker.conn.poll(remaining):
            self._replace(worker)
            raise QueryTimeout(f"the query was cancelled after the {self.timeout:g} s timeout")
        try:
            return worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._replace(worker)
            raise StoreError("a query worker stopped unexpectedly") from exc

    def run(self, job: Job) -> Answer:
        start = time.monotonic()
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise Busy("every query worker is busy; try again shortly") from None
        try:
            worker.wait_ready()
        except StoreError:
            self._replace(worker)
            raise
        deadline = start + self.timeout
        try:
            worker.conn.send(job)
        except OSError as exc:
            self._replace(worker)
            raise StoreError("a query worker stopped unexpectedly") from exc
        msg = self._recv(worker, deadline)
        if msg[0] == "whole":
            self._release(worker)
            return Answer(msg[1], msg[2], body=msg[3])
        if msg[0] == "error":
            self._release(worker)
            if msg[1] == "internal":
                log.error("query worker failed: %s", msg[2])
            raise QueryError(msg[1], msg[2])
        kind, truncated = msg[1], msg[2]
        # Read small answers at once: the worker is free before the client reads.
        head: list[bytes] = []
        size = 0
        while size < EAGER_BYTES:
            msg = self._recv(worker, deadline)
            if msg[0] == "chunk":
                head.append(msg[1])
                size += len(msg[1])
                continue
            self._release(worker)
            return Answer(kind, truncated, body=b"".join(head))
        state = {"done": False}

        def rest() -> Iterator[bytes]:
            yield from head
            while True:
                try:
                    msg = self._recv(worker, deadline)
                except (QueryTimeout, StoreError):
                    state["done"] = True  # the worker was already replaced
                    raise
                if msg[0] != "chunk":
                    state["done"] = True
                    self._release(worker)
                    return
                yield msg[1]

        def close() -> None:
            if not state["done"]:
                state["done"] = True
                self._replace(worker)

        return Answer(kind, truncated, rest(), close)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
            try:
                worker.process.wait(0.5)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(1)
            worker.conn.close()


class InlineExecutor:
    """Runs queries in the calling thread: no timeout; for a remote store or debugging."""

    def __init__(self, spec: StoreSpec) -> None:
        self.spec = spec
        self.store = spec.open()
        self._lock = threading.Lock()

    def run(self, job: Job) -> Answer:
        import io

        with self._lock:
            status, value = run_job(self.store, job)
            if status == "error":
                raise QueryError(*value)
            out = io.BytesIO()
            value.write(out)
        return Answer(value.kind, value.truncated, body=out.getvalue())

    def close(self) -> None:
        self.store.close()


def _main() -> None:  # pragma: no cover - runs in the worker process
    conn = Connection(int(sys.argv[1]))
    _worker_main(conn.recv(), conn)


if __name__ == "__main__":  # pragma: no cover
    _main()
