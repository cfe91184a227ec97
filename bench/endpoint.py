"""Serving benchmark: uprgraph (disk and memory modes) against Oxigraph's own server, over HTTP.

    python -m bench.endpoint [--project DIR] [--n 30] [--seconds 5] [--budget 60]
                             [--rdflib-endpoint] [--out FILE.json] [--only SERVER ...]
                             [--query NAME ...]

Every server reads the same release (``--project``, built; without it the
bundled data is built in a temporary folder) and is a subprocess on loopback:
``oxigraph serve-read-only`` on the release's store, ``uprgraph serve`` with
``store = oxigraph`` (on disk) and with ``store = oxigraph-memory``, each also with
``serve_processes = 2`` (two HTTP processes forked from the one holding the store,
queries in their own threads; the memory mode on granian too), and, with
``--rdflib-endpoint``, rdflib-endpoint (what a Python user reaches for first)
on the aggregates. Each query of the mix is sent ``n`` times, one request after
another on a kept-alive connection; median and 95th percentile are reported,
with the ratio to Oxigraph's server measured in the same run. Throughput: 16
client threads for ``seconds`` on cheap queries, on the HTML and Turtle documents of
one recommendation, and on those of one state (a page of many queries), with the
CPU the server's process tree used per request (which, unlike requests per second,
does not depend on what else the machine runs). Start-up (to the first answer)
and the memory of each server's process tree (RSS, and PSS, which counts pages
shared between processes once) are reported too. Two last rows, waitress and granian
serving an app that answers at once, show what the HTTP server alone costs: a floor for
uprgraph's latency and throughput.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BASE = "http://localhost:8080/"
UPR = f"PREFIX upr: <{BASE}def/upr#> "


def query_mix(state: str, review: str, recommendation: str) -> dict[str, str]:
    """The queries people and pages run, on nodes that exist in the data."""
    return {
        "ask": f"ASK {{ <{state}> ?p ?o }}",
        "describe-one": f"DESCRIBE <{recommendation}>",
        "counts-state": UPR + "SELECT (COUNT(?r) AS ?n) (SUM(IF(?x = upr:Supported, 1, 0)) AS ?s) "
        f"WHERE {{ ?rev upr:stateUnderReview <{state}> . ?r upr:review ?rev . "
        "OPTIONAL { ?r upr:response ?x } }",
        "theme-x-cycle": UPR + "SELECT ?theme ?cycle (COUNT(?r) AS ?n) WHERE { "
        "?r upr:theme ?theme ; upr:review ?rev . ?rev upr:cycle ?cycle } GROUP BY ?theme ?cycle",
        "text-filter": UPR + "SELECT ?r ?t WHERE { ?r upr:text ?t "
        'FILTER(CONTAINS(LCASE(STR(?t)), "torture")) } LIMIT 100',
        "facets": UPR + "SELECT ?state (COUNT(?r) AS ?n) WHERE { ?r a upr:Recommendation ; "
        "upr:recommendingState ?state } GROUP BY ?state ORDER BY DESC(?n) LIMIT 20",
        "construct-review": UPR + "CONSTRUCT { ?r ?p ?o } WHERE { "
        f"?r upr:review <{review}> ; ?p ?o }}",
        "page-state": UPR + "SELECT ?p ?o WHERE { "
        f"<{state}> ?p ?o }} ORDER BY ?p ?o LIMIT 200",
    }


AGGREGATES = ("counts-state", "theme-x-cycle", "facets")
#: waitress with an app that answers at once: the HTTP server's own cost (a floor)
FLOOR = "waitress, empty app"
#: the same app on granian, as a serving process runs it (one process)
FLOOR_GRANIAN = "granian, empty app"
#: the memory mode with two HTTP processes forked from the loaded store (serve_processes)
FORKED = "uprgraph memory, 2 processes"
FORKED_DISK = "uprgraph disk, 2 processes"
#: the same, its processes serving HTTP with granian instead of waitress (http_server)
FORKED_GRANIAN = "uprgraph memory, 2 processes, granian"
CHEAP = ("ask", "describe-one")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    path: str
    proc: subprocess.Popen
    started: float
    ready_s: float = 0.0
    rss_mb: float = 0.0
    pss_mb: float = 0.0
    version: str = ""
    latency: dict[str, dict[str, float]] = field(default_factory=dict)
    throughput: dict[str, float] = field(default_factory=dict)
    #: the server's process tree CPU per answered request (µs) in each throughput run
    cpu_us: dict[str, float] = field(default_factory=dict)
    #: each query's answer (:func:`answer`), compared with the reference server's
    answers: dict[str, str | None] = field(default_factory=dict)

    def url(self, query: str) -> str:
        return f"{self.path}?query={urllib.parse.quote(query)}"


def _accept(query: str) -> str:
    words = query.replace(UPR, "").split()
    return "text/turtle" if words[0] in ("CONSTRUCT", "DESCRIBE") else \
        "application/sparql-results+json"


def fetch(conn: http.client.HTTPConnection, path: str, accept: str) -> int:
    return fetch_body(conn, path, accept)[0]


def fetch_body(conn: http.client.HTTPConnection, path: str, accept: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Accept": accept})
    resp = conn.getresponse()
    return resp.status, resp.read()


def answer(body: bytes, accept: str) -> str | None:
    """A SPARQL JSON answer as a digest of its sorted rows (each variable's value, without
    its datatype or term type, on which servers may differ: ``"5"`` is 5), or of its
    boolean; None for an RDF document (not compared)."""
    if accept != "application/sparql-results+json":
        return None
    try:
        data = json.loads(body)
        if "boolean" in data:
            rows = [str(data["boolean"]).lower()]
        else:
            rows = sorted(json.dumps(sorted((k, v["value"]) for k, v in row.items()))
                          for row in data["results"]["bindings"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return "not SPARQL JSON"
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def tree(pid: int) -> list[int]:
    """A process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes used so far (from /proc)."""
    ticks = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS of a process and all its descendants (from /proc), MiB.

    RSS counts a page shared by several processes (workers forked from one that
    loaded the data) once per process; PSS divides it among them, so the PSS sum
    is what the tree holds.
    """
    rss = pss = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return round(rss / 1024, 1), round(pss / 1024, 1)


def wait_ready(server: Server, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            if fetch(conn, server.url("ASK { ?s ?p ?o }"), "application/sparql-results+json") \
                    == 200:
                server.ready_s = round(time.monotonic() - server.started, 2)
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{server.name} did not answer within {timeout} s")


def start(name: str, cmd: list[str], path: str, env: dict | None = None,
          cwd: Path | None = None) -> Server:
    port = free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Server(name, port, path, proc, time.monotonic())


def latency(server: Server, name: str, query: str, n: int,
            budget: float = 60.0) -> dict[str, float]:
    """Median and 95th percentile of ``n`` requests (fewer, but at least 5, where ``n``
    would take longer than ``budget`` seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    accept = _accept(query)
    t0 = time.perf_counter()
    status, body = fetch_body(conn, server.url(query), accept)  # warm-up, and a check
    if status != 200:
        return {"error": f"HTTP {status}"}
    # a LIMIT without ORDER BY lets each server pick its own rows: not compared
    determined = "LIMIT" not in query or "ORDER BY" in query
    server.answers[name] = answer(body, accept) if determined else None
    n = min(n, max(5, int(budget / max(time.perf_counter() - t0, 1e-6))))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fetch(conn, server.url(query), accept)
        times.append((time.perf_counter() - t0) * 1000)
    conn.close()
    times.sort()
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2), "n": n}


def throughput(server: Server, paths: list[tuple[str, str]], seconds: float,
               clients: int = 16, label: str = "") -> float:
    """Requests per second answered with 200 by ``clients`` threads, each on its own
    kept-alive connection, cycling through ``paths`` (path, Accept).

    With a ``label``, the CPU the server's process tree used per answered request is
    kept in ``server.cpu_us``: on a machine shared with other work, requests per second
    follow the share of the cores a server gets, CPU per request does not."""
    pids = tree(server.proc.pid)
    cpu0 = cpu_seconds(pids)
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        k = i
        while time.monotonic() < stop:
            path, accept = paths[k % len(paths)]
            k += 1
            try:
                if fetch(conn, path, accept) == 200:
                    done[i] += 1
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if label and sum(done):
        server.cpu_us[label] = round((cpu_seconds(pids) - cpu0) / sum(done) * 1e6)
    return round(sum(done) / (time.monotonic() - t0), 1)


def floor_app(environ: dict, start_response) -> list[bytes]:
    """The cheapest answer a WSGI app can give: what the HTTP server itself costs."""
    body = b'{"head":{},"boolean":true}\n'
    start_response("200 OK", [("Content-Type", "application/sparql-results+json"),
                              ("Content-Length", str(len(body)))])
    return [body]


def serve_floor(port: int, server: str = "waitress") -> None:
    """:func:`floor_app` on waitress, or on granian as a serving process runs it."""
    if server == "granian":
        from uprgraph.config import Settings
        from uprgraph.web.granian_server import GranianServer

        sock = socket.create_server(("127.0.0.1", port), backlog=1024)
        GranianServer(floor_app, Settings(), 8, sock).run()
        return
    from waitress import serve

    serve(floor_app, host="127.0.0.1", port=port, threads=8, _quiet=True)


def sample_nodes(store_path: Path) -> tuple[str, str, str]:
    """A state under review, one of its reviews and one recommendation of that review."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_path))
    row = next(iter(store.query(
        UPR + "SELECT ?state ?rev ?r WHERE { ?r upr:review ?rev . "
        "?rev upr:stateUnderReview ?state } ORDER BY ?r LIMIT 1",
        use_default_graph_as_union=True)))
    return row["state"].value, row["rev"].value, row["r"].value


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for pkg in ("uprgraph", "pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "waitress",
                "granian", "flask", "pyshacl", "pyshacl-turbo"):
        try:
            found[pkg] = version(pkg)
        except PackageNotFoundError:
            found[pkg] = "not installed"
    return found


def run(project: Path, n: int, seconds: float, with_rdflib: bool,
        budget: float = 60.0, only: tuple[str, ...] = (), mix: tuple[str, ...] = ()) -> dict:
    current = (project / ".uprgraph" / "current").resolve()
    store, turtle = current / "store", current / "dumps" / "uprgraph.ttl"
    manifest = json.loads((current / "manifest.json").read_text())
    queries = query_mix(*sample_nodes(store))
    unknown = set(mix) - set(queries)
    if unknown:
        raise SystemExit(f"no such query in the mix: {', '.join(sorted(unknown))}")
    measured = {q: text for q, text in queries.items() if not mix or q in mix}
    uprgraph = [str(BIN / "uprgraph"), "--project", str(project), "serve", "--port", "{port}"]
    env = {"UPRGRAPH_MAX_ROWS": "1000000", "UPRGRAPH_QUERY_TIMEOUT": "600"}
    specs = [
        ("oxigraph serve-read-only",
         [str(BIN / "oxigraph"), "serve-read-only", "--location", str(store), "--bind",
          "127.0.0.1:{port}", "--union-default-graph"], "/query", {}),
        ("uprgraph disk", uprgraph, "/sparql", {**env, "UPRGRAPH_STORE": "oxigraph"}),
        ("uprgraph memory", uprgraph, "/sparql", {**env, "UPRGRAPH_STORE": "oxigraph-memory"}),
        (FORKED, uprgraph, "/sparql",
         {**env, "UPRGRAPH_STORE": "oxigraph-memory", "UPRGRAPH_SERVE_PROCESSES": "2"}),
        (FORKED_GRANIAN, uprgraph, "/sparql",
         {**env, "UPRGRAPH_STORE": "oxigraph-memory", "UPRGRAPH_SERVE_PROCESSES": "2",
          "UPRGRAPH_HTTP_SERVER": "granian"}),
        (FORKED_DISK, uprgraph, "/sparql",
         {**env, "UPRGRAPH_STORE": "oxigraph", "UPRGRAPH_SERVE_PROCESSES": "2"}),
        (FLOOR, [sys.executable, "-m", "bench.endpoint", "--floor", "{port}"], "/sparql",
         {"PYTHONPATH": str(ROOT)}),
        (FLOOR_GRANIAN, [sys.executable, "-m", "bench.endpoint", "--floor", "{port}",
                         "--floor-server", "granian"], "/sparql", {"PYTHONPATH": str(ROOT)}),
    ]
    if only:  # Oxigraph's server stays: it is the reference
        specs = [sp for sp in specs if sp[0] == specs[0][0] or sp[0] in only]
    rdflib_note = ""
    if with_rdflib:
        exe = BIN / "rdflib-endpoint"
        if exe.exists():
            specs.append(("rdflib-endpoint", [str(exe), "serve", "--host", "127.0.0.1",
                                              "--port", "{port}", str(turtle)], "/", {}))
        else:
            rdflib_note = "rdflib-endpoint is not installed (pip install 'rdflib-endpoint[cli]')"
    servers: list[Server] = []
    try:
        for name, cmd, path, extra in specs:
            server = start(name, cmd, path, extra)
            servers.append(server)
            wait_ready(server)  # one at a time: start-up is not slowed by another's
            server.rss_mb, server.pss_mb = tree_memory_mb(server.proc.pid)
            print(f"{name}: first answer after {server.ready_s} s, RSS {server.rss_mb} MB, "
                  f"PSS {server.pss_mb} MB", flush=True)
        for name, query in measured.items():
            for server in servers:
                if server.name == "rdflib-endpoint" and name not in AGGREGATES:
                    continue
                if server.name in (FLOOR, FLOOR_GRANIAN) and name != "ask":
                    continue
                reps = max(3, n // 10) if server.name == "rdflib-endpoint" else n
                server.latency[name] = latency(server, name, query, reps, budget)
            print(name, {s.name: s.latency.get(name) for s in servers}, flush=True)
        cheap = [(s, [(s.url(queries[q]), _accept(queries[q])) for q in CHEAP])
                 for s in servers if s.name != "rdflib-endpoint"]
        for server, paths in cheap:
            server.throughput["cheap queries"] = throughput(server, paths, seconds,
                                                            label="cheap queries")
            if server.name.startswith("uprgraph"):
                for label, query in (("documents", "describe-one"), ("state pages", "ask")):
                    node = queries[query].split("<")[1].split(">")[0].replace(BASE + "id/", "")
                    docs = [(f"/doc/{node}", "text/html"), (f"/doc/{node}.ttl", "text/turtle")]
                    server.throughput[label] = throughput(server, docs, seconds, label=label)
            rss, pss = tree_memory_mb(server.proc.pid)
            server.rss_mb, server.pss_mb = max(server.rss_mb, rss), max(server.pss_mb, pss)
            print(server.name, server.throughput, flush=True)
    finally:
        for server in servers:
            server.proc.terminate()
            try:
                server.proc.wait(10)
            except subprocess.TimeoutExpired:
                server.proc.kill()
    return {
        "triples": manifest["triples"],
        "queries": measured,
        "n": n,
        "servers": {s.name: {"first_answer_s": s.ready_s, "rss_tree_mb": s.rss_mb,
                             "pss_tree_mb": s.pss_mb,
                             "latency": s.latency, "throughput_rps": s.throughput,
                             "cpu_us_per_request": s.cpu_us}
                    for s in servers},
        "notes": ([rdflib_note] if rdflib_note else []) + differing(servers),
    }


def differing(servers: list[Server]) -> list[str]:
    """A note for each answer that is not the reference server's (the first; the empty
    apps, which answer anything alike, are not compared)."""
    if not servers:
        return []
    reference = servers[0]
    compared = [(s.name, name, found == reference.answers[name])
                for s in servers[1:] if s.name not in (FLOOR, FLOOR_GRANIAN)
                for name, found in s.answers.items()
                if found is not None and reference.answers.get(name) is not None]
    differ = [f"{who} answered {name} differently from {reference.name}."
              for who, name, same in compared if not same]
    if compared and not differ:
        return [f"Every server gave {reference.name}'s answer to each SELECT and ASK "
                f"({len(compared)} answers compared, rows sorted; not those of a query with "
                "a LIMIT and no ORDER BY, whose rows each server picks)."]
    return differ


def table(result: dict) -> str:
    """Median / p95 per query and server, with the ratio of each to Oxigraph's server."""
    servers = result["servers"]
    ref = servers["oxigraph serve-read-only"]["latency"]
    names = list(servers)
    lines = ["| query | " + " | ".join(f"{s} median / p95 ms" for s in names)
             + " | " + " | ".join(f"{s} / oxigraph" for s in names[1:]) + " |",
             "|---" * (len(names) * 2) + "|"]
    for q in result["queries"]:
        cells, ratios = [], []
        for s in names:
            m = servers[s]["latency"].get(q) or {"error": "-"}
            cells.append(m.get("error") or f"{m['median_ms']} / {m['p95_ms']}")
            if s != names[0]:
                ratios.append("-" if "error" in m else
                              f"{m['median_ms'] / ref[q]['median_ms']:.2f}")
        lines.append(f"| {q} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    lines.append("")
    lines.append("| server | first answer s | process tree RSS / PSS MB | PSS MB per "
                 "million triples | cheap queries req/s (16 clients) | / oxigraph | "
                 "server CPU µs per cheap query | documents req/s | state pages req/s |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    ref_rps = servers["oxigraph serve-read-only"]["throughput_rps"].get("cheap queries")
    millions = result["triples"] / 1e6
    for s, v in servers.items():
        t = v["throughput_rps"]
        cheap = t.get("cheap queries")
        ratio = f"{cheap / ref_rps:.2f}" if cheap and ref_rps else "-"
        pss = v.get("pss_tree_mb", 0.0)
        cpu = v.get("cpu_us_per_request", {}).get("cheap queries", "-")
        lines.append(f"| {s} | {v['first_answer_s']} | {v['rss_tree_mb']} / {pss} | "
                     f"{pss / millions:.0f} | {cheap or '-'} | {ratio} | {cpu} | "
                     f"{t.get('documents', '-')} | {t.get('state pages', '-')} |")
    return "\n".join(lines)


def bundled_project() -> Path:
    """The bundled data, built in a temporary folder."""
    from uprgraph.build import build
    from uprgraph.config import load_settings

    project = Path(tempfile.mkdtemp(prefix="uprgraph-bench-"))
    for folder in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / folder, project / folder)
    build(load_settings(project))
    return project


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.endpoint", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--project", type=Path, help="a project with a built release")
    ap.add_argument("--n", type=int, default=30, help="requests per query and server")
    ap.add_argument("--seconds", type=float, default=5, help="each throughput run")
    ap.add_argument("--rdflib-endpoint", action="store_true",
                    help="also measure rdflib-endpoint on the aggregates")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds per query and server: fewer requests (at least 5) beyond it")
    ap.add_argument("--floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--floor-server", default="waitress", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    ap.add_argument("--only", action="append", default=[], metavar="SERVER",
                    help="measure only this server (repeatable) besides Oxigraph's")
    ap.add_argument("--query", action="append", default=[], metavar="NAME",
                    help="time only this query of the mix (repeatable; throughput unchanged)")
    args = ap.parse_args()
    if args.floor:
        serve_floor(args.floor, args.floor_server)
        return
    result = run(args.project or bundled_project(), args.n, args.seconds, args.rdflib_endpoint,
                 args.budget, tuple(args.only), tuple(args.query))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    print(table(result))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
