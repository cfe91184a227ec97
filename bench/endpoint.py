"""Side-by-side latency: `oxigraph serve-read-only` vs `uprgraph serve` on the same store.

    python bench/endpoint.py [--project DIR] [--n 200]

Without --project a small synthetic release is written to a temporary folder.
Both servers run as subprocesses on loopback; each query is sent ``n`` times
(one connection per request, sequentially) and the median is reported.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = {
    "ask": "ASK { ?s ?p ?o }",
    "select-10": "SELECT ?s ?o WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o } "
                 "ORDER BY ?o LIMIT 10",
    "select-all": "SELECT * WHERE { ?s ?p ?o }",
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "construct": "CONSTRUCT WHERE { ?s a ?t ; ?p ?o } LIMIT 200",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(port: int, path: str) -> None:
    for _ in range(300):
        try:
            get(port, path, "*/*")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no server on {port}")


def get(port: int, path: str, accept: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Accept": accept})
    body = conn.getresponse().read()
    conn.close()
    return body


def measure(port: int, path: str, query: str, n: int) -> float:
    url = f"{path}?query={urllib.parse.quote(query)}"
    accept = "text/turtle" if query.startswith("CONSTRUCT") else "application/sparql-results+json"
    for _ in range(10):
        get(port, url, accept)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        get(port, url, accept)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--project", type=Path)
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    project = args.project
    if project is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from web_fixtures import write_release

        project = Path(tempfile.mkdtemp(prefix="uprgraph-bench-"))
        write_release(project)
    store = (project / ".uprgraph" / "current" / "store").resolve()
    bin_dir = Path(sys.executable).parent
    ox_port, up_port = free_port(), free_port()
    procs = [
        subprocess.Popen([str(bin_dir / "oxigraph"), "serve-read-only", "--location", str(store),
                          "--bind", f"127.0.0.1:{ox_port}", "--union-default-graph"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "uprgraph.web", "--port", str(up_port)],
                         cwd=project, env={**os.environ, "UPRGRAPH_PROJECT_DIR": str(project),
                                           "UPRGRAPH_MAX_ROWS": "100000"},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        wait(ox_port, "/query?query=ASK%7B%7D")
        wait(up_port, "/sparql?query=ASK%7B%7D")
        print(f"{'query':<12} {'oxigraph ms':>12} {'uprgraph ms':>12} {'ratio':>7}")
        for name, q in QUERIES.items():
            a = measure(ox_port, "/query", q, args.n)
            b = measure(up_port, "/sparql", q, args.n)
            print(f"{name:<12} {a:>12.2f} {b:>12.2f} {b / a:>7.2f}")
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    main()
