"""Queries run in a thread of the serving process, with a deadline: no round trip to a worker.

pyoxigraph releases the GIL while it evaluates a query, so a query can run in
a thread of the HTTP process while the request thread waits on its deadline.
What cannot be done is stopping that thread: a query past its deadline is
answered with the same 503 as in the worker pool, and then the whole serving
process *retires* (:attr:`ThreadExecutor.on_overrun`): it stops accepting connections,
finishes what it holds, and exits; :mod:`.prefork` forks a fresh one from the
loaded store. This executor is only used by processes that are confined as a
query worker is (:mod:`.confine`: no network, the address-space cap), which
:mod:`.prefork` arranges before the store is loaded.

A query whose text last ran shorter than ``long_after`` (the same text on the same
read-only store does the same work) runs in the request thread itself: handing it
to a query thread and waking the request thread again cost more than a cheap
query takes (about 0.2 ms of a 0.5 ms ASK), and so would waiting for a query slot
(the HTTP threads bound how many run at once). A watchdog thread keeps its clock:
at ``long_after`` it takes a long slot, or lets the query run on outside the count
(as for a query in a thread), and past the deadline it retires the process, which
then ends at the latest ``GRACE`` seconds after its timeout (the client of that one
query gets its answer late, or a closed connection, rather than a 503). Texts
calling ``RAND()``, ``NOW()``, ``UUID()`` or ``STRUUID()`` always run in a query
thread: one run's time says nothing about the next; so do texts too large for the
request thread's stack (:mod:`.stacks`: 8 MiB holds any query of up to 1,200 tokens),
since query threads are started with a stack that holds any query the endpoint accepts.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from ..store.analysis import analyse
from .admission import Admission, Clock, Empty, Idle
from .executor import Answer, Busy, Job, Limits, QueryError, QueryTimeout, StoreSpec, TooLarge
from .executor import run_job as _run_job
from .stacks import StackedThreads, fits

#: most query threads of a serving process (at most ``slots`` run admitted queries; the others
#: are queries past their deadline, still running while the process retires)
THREADS = 64
#: how often the watchdog looks at the clocks of queries running in request threads
WATCH_SECONDS = 0.2


def _evaluate(store: object, job: Job) -> Answer:
    """Run and serialise ``job`` (Rust writes the whole body into one buffer)."""
    status, value = _run_job(store, job)
    if status == "error":
        raise QueryError(*value)
    out = io.BytesIO()
    value.write(out)
    return Answer(value.kind, value.truncated, body=out.getvalue())


class _Watched:
    """A query running in a request thread, as the watchdog sees it (``lock``: the clock
    is changed by one of the two at a time)."""

    __slots__ = ("clock", "lock")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.Lock()


class ThreadExecutor:
    """``slots`` query threads over a store opened in this process, each query with a
    ``timeout``; admission (who runs first, how many run long) as in the worker pool,
    except that a query running long without a long slot is not stopped but runs on to
    the timeout outside its slot (stopping it would end the process); a text known to
    run long, or any unknown one of a client whose query ran long, is still refused at
    once while the long slots are taken."""

    def __init__(self, spec: StoreSpec, slots: int = 2, timeout: float = 10.0,
                 limits: Limits | None = None, long_after: float | None = None,
                 defence: str | None = None) -> None:
        self.spec = spec
        self.limits = limits or Limits()
        self.timeout = timeout
        self.long_after = timeout if long_after is None else long_after
        self.slots = max(1, slots)
        self.admission = Admission(max(1, self.slots - 1), self.long_after, timeout)
        #: how this process is cut off from the network (set by :mod:`.prefork`)
        self.defence = defence
        #: called once when a query overran: the process must retire
        self.on_overrun: Callable[[], None] = lambda: None
        self.overrun = False
        #: an on-disk store is opened by each serving process itself, after the fork
        #: (RocksDB's threads and file handles do not survive one); the rest is loaded here
        self.store = None if spec.kind == "oxigraph" else spec.open()
        self._idle: Idle[int] = Idle()
        for slot in range(self.slots):
            self._idle.put(slot)
        self._threads: StackedThreads | None = None
        self._lock = threading.Lock()
        self._running = 0
        #: queries running in request threads (:meth:`_inline`)
        self._watched: set[_Watched] = set()

    def prepare(self) -> None:
        """Open what the serving process needs (after the fork, before it accepts)."""
        self._pool()

    def _pool(self) -> StackedThreads:
        """Started on first use: after the fork, in the process that serves."""
        with self._lock:
            if self.store is None:
                self.store = self.spec.open()
            if self._threads is None:
                # more threads than slots: a query past its deadline keeps its thread until
                # the process ends, and the next query must not wait behind it
                self._threads = StackedThreads(THREADS, self.limits.stack,
                                               thread_name_prefix="uprgraph-query")
                threading.Thread(target=self._watch, daemon=True,
                                 name="uprgraph-query-watchdog").start()
            return self._threads

    def run(self, job: Job, internal: bool = True, client: str | None = None) -> Answer:
        info = analyse(job.query)
        if not info.volatile and fits(info.size):  # this thread's stack holds it
            clock = self.admission.short_clock(job.query, client)
            if clock is not None:
                return self._inline(job, clock)
        priority = self.admission.priority(job.query, internal, client)
        clock = self.admission.enter(job.query, client)
        try:
            slot = self._idle.get(priority, self.timeout)
        except Empty:
            clock.done()
            raise Busy("every query worker is busy; try again shortly") from None
        with self._lock:
            self._running += 1
        given_back = []

        def give_back() -> None:
            if not given_back:
                given_back.append(True)
                self._idle.put(slot)

        try:
            pool = self._pool()
            clock.start()
            future = pool.submit(_evaluate, self.store, job)
            return self._wait(future, clock, give_back)
        finally:
            with self._lock:
                self._running -= 1
            give_back()

    def _inline(self, job: Job, clock: Clock) -> Answer:
        """Evaluate in this (the request's) thread, the watchdog keeping the clock.

        No query slot is taken: the text is known to be short, and waiting for a slot
        (a hand-over between threads again) would cost what running inline saves; the
        HTTP threads bound how many run at once."""
        if self._threads is None:
            self._pool()
        watched = _Watched(clock)
        with self._lock:
            self._watched.add(watched)
            self._running += 1
        try:
            answer = _evaluate(self.store, job)
        except MemoryError:
            raise TooLarge(f"the query needed more than the {self.limits.memory_mb} MB a "
                           "query may use; narrow it or add a LIMIT") from None
        finally:
            with self._lock:
                self._watched.discard(watched)
                self._running -= 1
            with watched.lock:
                clock.done()
        return answer

    def _watch(self) -> None:
        """The watchdog: what :meth:`_wait` does for a query in a thread, for the queries
        running in request threads (they cannot be stopped either)."""
        while True:
            time.sleep(WATCH_SECONDS)
            with self._lock:
                watched = list(self._watched)
            for w in watched:
                with w.lock:
                    clock = w.clock
                    if clock.finished:
                        continue
                    if clock.expired():
                        self._overran()
                    elif (not clock.long and clock.long_at < clock.deadline
                          and time.monotonic() >= clock.long_at and not clock.become_long()):
                        clock.run_on()  # no long slot free: it runs on, as in :meth:`_wait`

    def _wait(self, future: Future, clock: Clock, give_back: Callable[[], None]) -> Answer:
        while True:
            try:
                answer = future.result(max(0.0, clock.wait()))
            except FutureTimeout:
                if clock.expired():
                    clock.done()
                    self._overran()
                    raise QueryTimeout(
                        f"the query was cancelled after the {self.timeout:g} s timeout") from None
                if not clock.become_long():
                    # stopping it would end this process and every request it holds: it
                    # runs on to the timeout, its slot given to the next query; its text
                    # (and its client's unknown queries) are refused at admission meanwhile
                    clock.run_on()
                    give_back()
                continue
            except MemoryError:
                clock.done()
                raise TooLarge(f"the query needed more than the {self.limits.memory_mb} MB a "
                               "query may use; narrow it or add a LIMIT") from None
            except BaseException:
                clock.done()
                raise
            clock.done()
            return answer

    def _overran(self) -> None:
        """A query thread cannot be stopped: this process must end (once)."""
        with self._lock:
            first, self.overrun = not self.overrun, True
        if first:
            self.on_overrun()

    @property
    def busy(self) -> int:
        with self._lock:
            return self._running

    def retire(self) -> None:
        """Nothing to stop here: the process serving this store retires as a whole."""

    def settle(self, timeout: float) -> bool:
        """Ready as soon as it exists (no workers to start)."""
        return True

    def close(self) -> None:
        store, self.store = self.store, None
        if store is not None and hasattr(store, "close"):
            store.close()
