"""Helpers for the hardening tests: the app on the server ``uprgraph serve`` runs, and a
client that records every answer (status, time) for the figures the tests print."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from web_fixtures import Server

from uprgraph.config import Settings


@contextmanager
def serving(settings: Settings, threads: int = 8) -> Iterator[Server]:
    """``create_app(settings)`` on :mod:`uprgraph.web.server` on a free loopback port."""
    from uprgraph.web import create_app
    from uprgraph.web.server import create

    app = create_app(settings)
    httpd = create(app, settings, threads=threads, host="127.0.0.1", port=0)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    port = httpd.effective_port
    try:
        yield Server(f"http://127.0.0.1:{port}/", "127.0.0.1", port, app)
    finally:
        httpd.close()
        app.extensions["uprgraph"].close()


def leaks(body: bytes, *paths: str) -> list[str]:
    """What a response must never hold: a traceback or a local path."""
    found = [w for w in ("Traceback", 'File "', ".sst", "site-packages") if w.encode() in body]
    found += [p for p in paths if p and p.encode() in body]
    return found


class Tally:
    """Status counts (thread-safe)."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()
        self._lock = threading.Lock()

    def add(self, status: int) -> None:
        with self._lock:
            self.counts[status] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def server_errors(self, allowed: tuple[int, ...] = ()) -> dict[int, int]:
        return {s: n for s, n in self.counts.items() if s >= 500 and s not in allowed}
