"""Who gets a query worker, and for how long: fairness under heavy queries.

A query's cost is unknown until it runs, and a running Oxigraph query can only
be stopped by ending its process. So the pool learns from the clock:

- at most ``max_long`` queries (``query_workers - 1``) may run past
  ``long_after`` seconds at once; one more is stopped there, so a worker always
  comes free within ``long_after`` for everyone else;
- query texts are remembered as *long* (they ran past ``long_after``) or *short*
  (they finished before it): a long one is refused at once while the long slots
  are taken, instead of holding a worker first;
- a client whose query ran long is remembered for ``CLIENT_SECONDS``: its
  queries of unknown cost count as long meanwhile (a client cannot dodge the
  rule by changing a heavy query's text each time);
- a free worker goes to the waiting request with the best priority: the
  server's own queries (documents, redirects, home page) first, then queries
  known to be short, then unknown ones, then known long ones.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import OrderedDict
from typing import Generic, TypeVar

#: query texts remembered as long or short
REMEMBERED = 512
#: how long a client whose query ran long has its unknown queries counted as long
CLIENT_SECONDS = 30.0

INTERNAL, SHORT, UNKNOWN, LONG = range(4)

T = TypeVar("T")


class Empty(Exception):
    """No worker came free in time."""


class _Waiter(Generic[T]):
    __slots__ = ("event", "item", "gone")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.item: T | None = None
        self.gone = False


class Idle(Generic[T]):
    """Idle workers, each handed to the waiting request with the best (lowest) priority,
    first come first served within a priority.

    A worker put back goes straight to that one waiter, which alone is woken (waking
    every waiting thread to let one of them win costs the whole process CPU when many
    requests queue for few workers).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[T] = []
        self._waiting: list[tuple[int, int, _Waiter[T]]] = []
        self._tickets = itertools.count()

    def put(self, item: T) -> None:
        with self._lock:
            while self._waiting:
                waiter = heapq.heappop(self._waiting)[2]
                if not waiter.gone:
                    waiter.item = item
                    waiter.event.set()
                    return
            self._items.append(item)

    def get(self, priority: int, timeout: float) -> T:
        with self._lock:
            if self._items:  # then nobody is waiting: a put hands its item to a waiter
                return self._items.pop()
            waiter: _Waiter[T] = _Waiter()
            heapq.heappush(self._waiting, (priority, next(self._tickets), waiter))
        waiter.event.wait(timeout)
        with self._lock:
            if waiter.item is not None:  # handed over (perhaps just as the wait ended)
                return waiter.item
            waiter.gone = True
        raise Empty

    def drain(self) -> list[T]:
        with self._lock:
            items, self._items = self._items, []
            return items

    @property
    def queue(self) -> list[T]:
        """The idle items now (a copy)."""
        with self._lock:
            return list(self._items)


class Admission:
    """The long slots of a pool and what it learnt about query texts."""

    def __init__(self, max_long: int, long_after: float, timeout: float) -> None:
        self.max_long = max_long
        self.long_after = long_after
        self.timeout = timeout
        self.running_long = 0
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, bool] = OrderedDict()  # query -> ran long
        self._clients: OrderedDict[str, float] = OrderedDict()  # client -> until when long

    def _remember(self, query: str, long: bool, client: str | None = None) -> None:
        self._seen[query] = long
        self._seen.move_to_end(query)
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        if long and client:
            self._clients[client] = time.monotonic() + CLIENT_SECONDS
            self._clients.move_to_end(client)
            while len(self._clients) > REMEMBERED:
                self._clients.popitem(last=False)

    def _long(self, query: str, client: str | None) -> bool | None:
        """Whether the query counts as long (None: unknown)."""
        known = self._seen.get(query)
        if known is None and client and self._clients.get(client, 0.0) > time.monotonic():
            return True
        return known

    def priority(self, query: str, internal: bool, client: str | None = None) -> int:
        if internal:
            return INTERNAL
        with self._lock:
            long = self._long(query, client)
        return UNKNOWN if long is None else LONG if long else SHORT

    def known_short(self, query: str) -> bool:
        """Whether the text's last run finished before ``long_after``."""
        with self._lock:
            return self._seen.get(query) is False

    def short_clock(self, query: str, client: str | None = None) -> Clock | None:
        """A clock for a query whose text last finished before ``long_after`` (None for
        any other): such a query needs no long slot to start."""
        with self._lock:
            if self._seen.get(query) is not False:
                return None
        return Clock(self, query, client)

    def enter(self, query: str, client: str | None = None) -> Clock:
        """:meth:`admit`, or :class:`Busy` with what the client can do about it."""
        from .executor import Busy

        clock = self.admit(query, client)
        if clock is None:
            raise Busy("this query (or an earlier one of this client) ran long, and the "
                       "server is already running as many long queries as it allows; "
                       "retry shortly or narrow the query")
        return clock

    def admit(self, query: str, client: str | None = None) -> Clock | None:
        """A clock for the query; a query that counts as long takes its long slot now, and
        is refused (None) while they are all taken."""
        with self._lock:
            long = bool(self._long(query, client))
            if long:
                if self.running_long >= self.max_long:
                    return None
                self.running_long += 1
        clock = Clock(self, query, client)
        clock.long = long
        return clock


class Clock:
    """One query's clock: its run deadline, and whether it holds a long slot."""

    def __init__(self, admission: Admission, query: str, client: str | None = None) -> None:
        self.admission = admission
        self.query = query
        self.client = client
        self.long = False
        self.finished = False
        #: ran long without a long slot, to its deadline (see :meth:`run_on`)
        self.unslotted = False
        self.start()

    def start(self) -> None:
        """Start counting: when the query reaches its worker."""
        now = time.monotonic()
        self.deadline = now + self.admission.timeout
        self.long_at = now + self.admission.long_after

    def wait(self) -> float:
        """Seconds until the next check (becoming long, or the deadline)."""
        now = time.monotonic()
        if not self.long and self.long_at < self.deadline:
            return self.long_at - now
        return self.deadline - now

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def become_long(self) -> bool:
        """Take a long slot; False when all are taken (the query must give way)."""
        a = self.admission
        with a._lock:
            a._remember(self.query, True, self.client)
            if a.running_long >= a.max_long:
                return False
            a.running_long += 1
        self.long = True
        return True

    def run_on(self) -> None:
        """Let a query that ran long and found no long slot run on to its deadline, outside
        the count (a query in a thread can only be stopped by ending its process); it is
        remembered as long, so the same text is refused at admission meanwhile."""
        self.unslotted = True
        self.long_at = self.deadline

    def done(self) -> None:
        if self.finished:
            return
        self.finished = True
        a = self.admission
        with a._lock:
            if self.long:
                a.running_long -= 1
            elif not self.unslotted and time.monotonic() < self.long_at:
                a._remember(self.query, False)
