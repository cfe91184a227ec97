"""Latency of the search's facet pages on a built project, against a reference query.

    python -m bench.search --project DIR

DIR is a project with a built release (e.g. the UPR Info samples imported with
`uprgraph import` and published with `uprgraph build`). `uprgraph serve` runs as a
subprocess on loopback; each facet page is asked twice: the first answer runs every
page query on the store ("cold"), the second is served from the per-release answer
cache ("warm"). The reference is the count of all recommendations through /sparql,
asked in the same run, so the ratios hold on a busy machine too. The machine's load
average is printed before and after: on a shared machine the seconds say little alone.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from bench.endpoint import free_port

PAGES = (
    "/search",
    "/search?response=def%2Fupr%23Supported",
    "/search?response=def%2Fupr%23Noted&cycle=1",
    "/search?by=id/state/FRA&response=def%2Fupr%23Noted",
    "/search?q=torture",
    "/search?sur=id/state/KHM",
    "/search?response=def%2Fupr%23Supported&page=3",
)
REFERENCE = ("SELECT (COUNT(?r) AS ?n) WHERE { ?r a <%sdef/upr#Recommendation> }")


def get(port: int, path: str, accept: str = "text/html") -> tuple[int, float]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers={"Accept": accept})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status, time.perf_counter() - t0


def wait_for(port: int, deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            get(port, "/sparql?query=ASK%7B%7D", "text/csv")
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--base", default="http://localhost:8080/")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uprgraph", "--project", str(args.project),
                               "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        ref_path = "/sparql?" + urllib.parse.urlencode({"query": REFERENCE % args.base})
        _, reference = get(port, ref_path, "text/csv")
        print(f"reference (count of recommendations via /sparql): {reference:.3f} s")
        print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        print(f"{'page':58s} {'status':>6s} {'cold s':>8s} {'warm s':>8s} {'cold/ref':>9s}")
        for path in PAGES:
            status, cold = get(port, path)
            _, warm = get(port, path)
            print(f"{path:58s} {status:6d} {cold:8.3f} {warm:8.3f} {cold / reference:9.1f}")
        print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
