"""A few seconds of concurrent clients on loopback: heavy queries never starve cheap ones.

Heavy clients send queries far over the timeout, some the same text again and
again, one a new text each time; cheap clients mix small queries, documents,
redirects, dumps and a query over the row cap. Only heavy queries may get a 503
(the documented timeout / long-query answers); cheap ones are all answered. The
figures (requests, statuses, cheap-query latency, peak worker memory) are printed
(``pytest -s``).
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

from hardening_helpers import Tally, leaks, serving, small_project

from uprgraph.build import build
from uprgraph.config import load_settings

pytest_plugins = ["web_fixtures"]

SECONDS = 5.0
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = [
    ("/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", "application/sparql-results+json", 200),
    ("/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%205",
     "text/csv", 200),
    ("/doc/state/KHM", "text/html", 200),
    ("/doc/state/KHM.ttl", "*/*", 200),
    ("/id/state/KHM", "application/ld+json", 303),
    ("/dumps/uprgraph.ttl", "*/*", 200),
    ("/dumps/", "text/html", 200),
    ("/.well-known/void", "text/turtle", 200),
    ("/doc/review/KHM/3", "text/html", 200),
    ("/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%20FILTER%28CONTAINS%28STR"
     "%28%3Fo%29%2C%20%22RESTRICTED%22%29%29%7D", "text/csv", 200),
    ("/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D",
     "application/sparql-results+json", 200),  # over the row cap
]


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _percentiles(latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100)
    return (f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms")


def test_heavy_queries_do_not_starve_cheap_ones(tmp_path):
    """On a built release holding a restricted finding (withheld): it never shows."""
    settings = load_settings(small_project(tmp_path), query_timeout=3.0, query_workers=2,
                             max_rows=25, query_memory_mb=1536)
    build(settings)
    with serving(settings, threads=16) as server:
        site = server.app.extensions["uprgraph"]  # type: ignore[attr-defined]
        heavy, cheap = Tally(), Tally()
        problems: list[str] = []
        peak = {"kb": 0}

        def heavy_client(stop: threading.Event, vary: bool) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                q = HEAVY + (f" # {n}" if vary else "")
                r = server.query(q, "application/sparql-results+json")
                heavy.add(r.status)
                if r.status not in (200, 503) or leaks(r.body, str(settings.project_dir)):
                    problems.append(f"heavy: {r.status} {r.body[:200]!r}")

        def cheap_client(stop: threading.Event, offset: int, latencies: list[float]) -> None:
            i = offset
            while not stop.is_set():
                path, accept, expected = CHEAP[i % len(CHEAP)]
                i += 1
                started = time.monotonic()
                r = server.get(path, accept)
                latencies.append(time.monotonic() - started)
                cheap.add(r.status)
                if r.status != expected or leaks(r.body, str(settings.project_dir)):
                    problems.append(f"cheap {path}: {r.status} {r.body[:200]!r}")
                if path == CHEAP[-1][0] and r.header("X-SPARQL-Truncated") != "true":
                    problems.append("row cap header missing")

        def watch(stop: threading.Event) -> None:
            while not stop.is_set():
                for w in list(site.executor._all):
                    peak["kb"] = max(peak["kb"], _peak_kb(w.process.pid))
                time.sleep(0.1)

        def phase(seconds: float, heavy_too: bool) -> list[float]:
            stop, latencies = threading.Event(), []
            threads = [threading.Thread(target=cheap_client, args=(stop, k, latencies))
                       for k in range(4)]
            threads.append(threading.Thread(target=watch, args=(stop,)))
            if heavy_too:
                threads += [threading.Thread(target=heavy_client, args=(stop, v))
                            for v in (False, False, True)]
            for t in threads:
                t.start()
            time.sleep(seconds)
            stop.set()
            for t in threads:
                t.join()
            return latencies

        alone = phase(1.5, heavy_too=False)  # also makes the cheap queries known as short
        mixed = phase(SECONDS, heavy_too=True)
    print(f"\nload: {heavy.total + cheap.total} requests; heavy statuses {dict(heavy.counts)}, "
          f"cheap statuses {dict(cheap.counts)}; cheap latency alone: {_percentiles(alone)}; "
          f"while heavy queries run: {_percentiles(mixed)}; peak worker RSS "
          f"{peak['kb'] / 1024:.0f} MB")
    assert not problems, problems[:5]
    assert len(mixed) > 20 and heavy.total >= 3
    assert heavy.counts[503] > 0  # heavy queries were cut off, as documented
