"""The pool of query worker processes: who runs a query, for how long, and what happens
when a worker dies or overruns (the worker side is in :mod:`.executor`)."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection

from ..store.base import StoreError
from .admission import Admission, Clock, Empty, Idle
from .executor import (
    EAGER_BYTES,
    STARTUP_SECONDS,
    Answer,
    Busy,
    Job,
    Limits,
    QueryError,
    QueryTimeout,
    StoreSpec,
    TooLarge,
)
from .zygote import ForkedWorker, Zygote, spawn, stop_process

log = logging.getLogger(__name__)


class _WorkerDied(StoreError):
    """The worker ended before answering (killed, crashed): the query may be retried."""


class _Worker:
    """A query worker: a ``python -m uprgraph.web.executor FD`` process (:func:`spawn`),
    or a child forked by the zygote; either talks over a socket pair."""

    def __init__(self, spec: StoreSpec, limits: Limits, zygote: Zygote | None = None) -> None:
        self.process: subprocess.Popen | ForkedWorker
        if zygote is not None:  # forked from the process holding the loaded store
            ours, theirs = socket.socketpair()
            self.process = zygote.fork(theirs)
            theirs.close()
            self.conn = Connection(ours.detach())
        else:
            self.process, self.conn = spawn("uprgraph.web.executor", spec, limits)
        self.ready = False
        #: how the worker is cut off from the network (None: it is not)
        self.defence: str | None = None
        self._closing = threading.Lock()

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
        stop_process(self.conn, self.process, grace=0.5)
        self._hang_up()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self._hang_up()

    def _hang_up(self) -> None:
        """Close the connection once: a pool closing kills the worker a stopping thread
        may be ending too, and a second close would close whatever now has that fd."""
        with self._closing:
            if not self.conn.closed:
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
        #: in-memory stores are loaded once, by a zygote the workers are forked from
        self._zygote = Zygote(spec, self.limits) if spec.kind == "oxigraph-memory" else None
        first = self._start()
        self._spare: _Worker | None = None
        try:
            first.wait_ready()  # fail early (and clearly) if the store cannot be opened
        except StoreError:
            self.close()
            raise
        # the others start once the first is ready, so they do not slow the first answer
        others = [self._start() for _ in range(max(1, size) - 1)]
        self._spare = self._start()
        #: how the workers are cut off from the network (None: they are not)
        self.defence = first.defence
        self._idle.put(first)
        #: set once every worker started with the pool is ready (or has failed)
        self._settled = threading.Event()
        starting = [len(others)]

        def started() -> None:
            with self._lock:
                starting[0] -= 1
                if starting[0] <= 0:
                    self._settled.set()

        if not others:
            self._settled.set()
        for worker in others:
            self._enlist(worker, started)

    def settle(self, timeout: float) -> bool:
        """Wait until every worker started with the pool is ready (False: not within
        ``timeout``): a pool that replaces another under load takes over with all its
        workers, not one, so queries do not queue behind the ones still starting."""
        return self._settled.wait(timeout)

    def _start(self) -> _Worker:
        if self._zygote is not None and not self._zygote.alive() and not self._closed:
            log.warning("the process holding the loaded store had stopped; loading it again")
            self._zygote = Zygote(self.spec, self.limits)
        worker = _Worker(self.spec, self.limits, self._zygote)
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

    def _enlist(self, worker: _Worker, started: Callable[[], None] = lambda: None) -> None:
        """Make ``worker`` available once its store is open (in the background, so no
        request waits on a starting worker while another is free); ``started`` is called
        once it is available or has failed."""

        def ready() -> None:
            try:
                worker.wait_ready()
            except StoreError:
                with self._lock:
                    self._all.discard(worker)
                worker.kill()
                started()
                return
            self._release(worker)
            started()

        if worker.ready:
            self._release(worker)
            started()
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
                clock.done()
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
            clock = self.admission.enter(job.query, client)
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
        if self._zygote is not None:
            self._zygote.stop()

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
        if self._zygote is not None:
            self._zygote.stop()
