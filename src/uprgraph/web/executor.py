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
503, not with the machine's memory). Time spent waiting for a worker is bounded
apart from the query's own run time, and at most ``size - 1`` queries may run
longer than ``long_after`` seconds at once, so one worker always comes free
quickly for the cheap queries of everyone else.
"""

from __future__ import annotations

import logging
import signal
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
from .admission import Admission, Clock, Empty, Idle

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


class TooLarge(RuntimeError):
    """The query needed more memory than a worker may use, and was ended."""


@dataclass(frozen=True)
class Limits:
    """What a worker imposes on itself before opening the store (picklable)."""

    #: address-space cap of a worker in MiB (0: none)
    memory_mb: int = 0
    #: leave the network (a new network namespace) where the platform allows it
    isolate_network: bool = True


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


def _confine(spec: StoreSpec, limits: Limits) -> str | None:
    """Apply ``limits`` to this process; the network defence in place (None: none)."""
    from .confine import isolate_network, limit_memory

    defence = None
    if limits.isolate_network and spec.kind != "remote":  # a remote store is reached by HTTP
        defence = isolate_network()
    limit_memory(limits.memory_mb)
    return defence


def _worker_main(spec: StoreSpec, limits: Limits,
                 conn: Connection) -> None:  # pragma: no cover - subprocess
    defence = _confine(spec, limits)
    try:
        store = spec.open()
    except (StoreError, OSError, RuntimeError, MemoryError) as exc:  # RocksDB: RuntimeError
        conn.send(("dead", str(exc)))
        return
    conn.send(("ready", defence))
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


class _WorkerDied(StoreError):
    """The worker ended before answering (killed, crashed): the query may be retried."""


class _Worker:
    """A ``python -m uprgraph.web.executor FD`` process talking over a socket pair.

    A plain subprocess rather than ``multiprocessing``: it never re-imports the
    caller's ``__main__`` and behaves the same under waitress, gunicorn or tests.
    """

    def __init__(self, spec: StoreSpec, limits: Limits) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uprgraph.web.executor", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send((spec, limits))
        self.ready = False
        #: how the worker is cut off from the network (None: it is not)
        self.defence: str | None = None

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self) -> None:
        """Wait for the store to be open; the reason (logged, never sent to a client) if not."""
        if self.ready:
            return
        try:
            if not self.conn.poll(STARTUP_SECONDS):
                raise StoreError("a query worker did not start in time")
            msg = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise StoreError("a query worker stopped while opening the store") from exc
        if msg[0] != "ready":
            log.error("a query worker could not open the store: %s", msg[1])
            raise StoreError("a query worker could not open the store")
        self.defence = msg[1]
        self.ready = True

    def died_of_memory(self) -> bool:
        """Whether the process ended by an abort: Rust aborts when an allocation fails."""
        try:
            code = self.process.wait(2)
        except subprocess.TimeoutExpired:
            return False
        return code == -signal.SIGABRT

    def stop(self) -> None:
        """Ask an idle worker to exit; kill it if it does not."""
        try:
            self.conn.send(None)
        except OSError:
            pass
        try:
            self.process.wait(0.5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(1)
        self.conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.conn.close()


class QueryPool:
    """``size`` worker processes serving queries on ``spec`` with a per-query ``timeout``.

    ``timeout`` bounds the wait for a free worker and, separately, the query's run
    time; :mod:`.admission` decides who gets a free worker and how many queries may
    run long. A spare worker is kept started, so a worker that had to be killed is
    replaced at once.
    """

    def __init__(self, spec: StoreSpec, size: int = 2, timeout: float = 10.0,
                 limits: Limits | None = None, long_after: float | None = None) -> None:
        self.spec = spec
        self.limits = limits or Limits()
        self.timeout = timeout
        self.long_after = timeout if long_after is None else long_after
        self.admission = Admission(max(1, size - 1), self.long_after, timeout)
        self._idle: Idle[_Worker] = Idle()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        first = self._start()
        others = [self._start() for _ in range(max(1, size) - 1)]
        self._spare: _Worker | None = self._start()
        try:
            first.wait_ready()  # fail early (and clearly) if the store cannot be opened
        except StoreError:
            self.close()
            raise
        #: how the workers are cut off from the network (None: they are not)
        self.defence = first.defence
        self._idle.put(first)
        for worker in others:
            self._enlist(worker)

    def _start(self) -> _Worker:
        worker = _Worker(self.spec, self.limits)
        with self._lock:
            self._all.add(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        if self._closed:  # a retired pool: the worker ends with its last query
            with self._lock:
                self._all.discard(worker)
            threading.Thread(target=worker.stop, daemon=True).start()
            return
        self._idle.put(worker)

    def _enlist(self, worker: _Worker) -> None:
        """Make ``worker`` available once its store is open (in the background, so no
        request waits on a starting worker while another is free)."""

        def ready() -> None:
            try:
                worker.wait_ready()
            except StoreError:
                with self._lock:
                    self._all.discard(worker)
                worker.kill()
                return
            self._release(worker)

        if worker.ready:
            self._release(worker)
        else:
            threading.Thread(target=ready, daemon=True).start()

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker``; the spare takes its place and a new spare starts."""
        with self._lock:
            self._all.discard(worker)
        threading.Thread(target=worker.kill, daemon=True).start()
        if self._closed:
            return
        spare, self._spare = self._spare, self._start()
        if spare is None or not spare.alive():
            if spare is not None:
                with self._lock:
                    self._all.discard(spare)
            spare = self._start()
        self._enlist(spare)

    def _take(self, priority: int) -> _Worker:
        """A live, ready worker (only ready ones are idle); waits at most ``timeout``."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                worker = self._idle.get(priority, max(0.0, deadline - time.monotonic()))
            except Empty:
                raise Busy("every query worker is busy; try again shortly") from None
            if not worker.alive():  # killed or crashed while idle: never hand it a query
                log.warning("a query worker had stopped; starting a new one")
                self._replace(worker)
                continue
            return worker

    def _recv(self, worker: _Worker, clock: Clock) -> tuple:
        while True:
            wait = clock.wait()
            if wait > 0 and worker.conn.poll(wait):
                break
            if clock.expired():
                clock.done()
                self._replace(worker)
                raise QueryTimeout(f"the query was cancelled after the {self.timeout:g} s timeout")
            if not clock.become_long():
                self._replace(worker)
                raise Busy(f"the query was stopped after {self.long_after:g} s: the server is "
                           "already running as many long queries as it allows; retry shortly "
                           "or narrow the query")
        try:
            msg = worker.conn.recv()
        except (EOFError, OSError) as exc:
            clock.done()
            memory = worker.died_of_memory()
            self._replace(worker)
            if memory:
                raise self._too_large() from None
            raise _WorkerDied("a query worker stopped unexpectedly") from exc
        if msg[0] == "abort" and msg[1] == "memory":
            clock.done()
            self._replace(worker)
            raise self._too_large()
        return msg

    def _too_large(self) -> TooLarge:
        return TooLarge(f"the query needed more than the {self.limits.memory_mb} MB a query may "
                        "use; narrow it or add a LIMIT")

    def run(self, job: Job, internal: bool = True, client: str | None = None) -> Answer:
        """Run ``job`` on a worker; a worker that dies before answering is replaced and the
        query tried once more on a fresh one. ``internal``: a query of the server's own
        pages (served first), not a client's; ``client``: who asks (an address)."""
        priority = self.admission.priority(job.query, internal, client)
        for attempt in (1, 2):
            clock = self.admission.admit(job.query, client)
            if clock is None:
                raise Busy("this query (or an earlier one of this client) ran long, and the "
                           "server is already running as many long queries as it allows; "
                           "retry shortly or narrow the query")
            try:
                worker = self._take(priority)
            except BaseException:
                clock.done()
                raise
            try:
                return self._run_on(worker, job, clock)
            except _WorkerDied:
                if attempt == 2:
                    raise
                log.warning("a query worker stopped during a query; trying it once more")
        raise AssertionError("unreachable")

    def _run_on(self, worker: _Worker, job: Job, clock: Clock) -> Answer:
        clock.start()
        try:
            worker.conn.send(job)
        except OSError as exc:
            clock.done()
            self._replace(worker)
            raise _WorkerDied("a query worker stopped unexpectedly") from exc
        msg = self._recv(worker, clock)
        if msg[0] == "whole":
            clock.done()
            self._release(worker)
            return Answer(msg[1], msg[2], body=msg[3])
        if msg[0] == "error":
            clock.done()
            self._release(worker)
            if msg[1] == "memory":
                raise self._too_large()
            if msg[1] == "internal":
                log.error("query worker failed: %s", msg[2])
            raise QueryError(msg[1], msg[2])
        return self._stream(worker, clock, msg[1], msg[2])

    def _stream(self, worker: _Worker, clock: Clock, kind: str, truncated: bool) -> Answer:
        """An answer announced in chunks: small ones are read at once (the worker is free
        before the client reads), larger ones stream from the worker."""
        head: list[bytes] = []
        size = 0
        try:
            while size < EAGER_BYTES:
                msg = self._recv(worker, clock)
                if msg[0] == "chunk":
                    head.append(msg[1])
                    size += len(msg[1])
                    continue
                clock.done()
                self._release(worker)
                return Answer(kind, truncated, body=b"".join(head))
        except _WorkerDied as exc:  # part of the answer is gone: not retried
            raise StoreError(str(exc)) from None
        state = {"done": False}

        def rest() -> Iterator[bytes]:
            yield from head
            while True:
                try:
                    msg = self._recv(worker, clock)
                except (QueryTimeout, StoreError, Busy, TooLarge):
                    state["done"] = True  # the worker was already replaced
                    raise
                if msg[0] != "chunk":
                    state["done"] = True
                    clock.done()
                    self._release(worker)
                    return
                yield msg[1]

        def close() -> None:
            if not state["done"]:
                state["done"] = True
                clock.done()
                self._replace(worker)

        return Answer(kind, truncated, rest(), close)

    def retire(self) -> None:
        """Stop taking queries: idle workers end now, busy ones when their query ends."""
        self._closed = True
        spare, self._spare = self._spare, None
        for worker in [*self._idle.drain(), *([spare] if spare else [])]:
            with self._lock:
                self._all.discard(worker)
            worker.stop()

    @property
    def busy(self) -> int:
        """Workers still running a query (a retired pool is done when this is 0)."""
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


class InlineExecutor:
    """Runs queries in the calling thread: no timeout; for a remote store or debugging."""

    #: queries run in this process, which keeps its network
    defence: str | None = None
    busy = 0

    def __init__(self, spec: StoreSpec) -> None:
        self.spec = spec
        self.store = spec.open()
        self._lock = threading.Lock()

    def run(self, job: Job, internal: bool = True, client: str | None = None) -> Answer:
        import io

        with self._lock:
            status, value = run_job(self.store, job)
            if status == "error":
                raise QueryError(*value)
            out = io.BytesIO()
            value.write(out)
        return Answer(value.kind, value.truncated, body=out.getvalue())

    def close(self) -> None:
        store, self.store = self.store, None
        if store is not None:
            store.close()

    retire = close


def _main() -> None:  # pragma: no cover - runs in the worker process
    conn = Connection(int(sys.argv[1]))
    spec, limits = conn.recv()
    _worker_main(spec, limits, conn)


if __name__ == "__main__":  # pragma: no cover
    _main()
