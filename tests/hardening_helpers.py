"""Helpers for the hardening tests: the app on the server ``uprgraph serve`` runs, and a
client that records every answer (status, time) for the figures the tests print."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from web_fixtures import Server

from uprgraph.config import Settings

ROOT = Path(__file__).resolve().parents[1]
#: what the restricted finding of tests/fixtures/restricted-finding.ttl would show if leaked
RESTRICTED = ("RESTRICTED-MARKER", "testimony-2020-12")


def small_project(dest: Path) -> Path:
    """A project that builds in seconds: the ontology, shapes, states, sources, one review
    and its themes, and the restricted finding that must never be served."""
    for name in ("ontology", "shapes"):
        shutil.copytree(ROOT / name, dest / name)
    (dest / "data" / "cambodia").mkdir(parents=True)
    for name in ("states.ttl", "sources.ttl", "upr-process.ttl",
                 "cambodia/review-cycle3.ttl", "cambodia/themes-cchr-2021.ttl"):
        shutil.copy(ROOT / "data" / name, dest / "data" / name)
    shutil.copy(ROOT / "tests" / "fixtures" / "restricted-finding.ttl", dest / "data")
    return dest


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
        httpd.shutdown(thread)
        app.extensions["uprgraph"].close()


def leaks(body: bytes, *paths: str) -> list[str]:
    """What a response must never hold: a traceback, a local path, a restricted finding."""
    found = [w for w in ("Traceback", 'File "', ".sst", "site-packages", *RESTRICTED)
             if w.encode() in body]
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
