"""`uprgraph publish` into real stores, and query latency through them.

    python -m bench.publish [--files N] [--n 15] [--chunk 20000] [--stores oxigraph,virtuoso]

Imports the UPR Info samples of ``../shared/data/upr-info`` (the first N files) with
the bundled data, builds the release, then for each store (``oxigraph serve`` and
Virtuoso 7 on loopback, throwaway databases, as the tests start them):

- the time of ``uprgraph publish`` into the empty store, and of a second publish of
  the same release (nothing to load);
- the median latency of every named query in ``queries/`` and of a few questions on
  the UPR Info data, sent over HTTP to ``uprgraph serve`` with the remote store and
  with the embedded store, and their ratio (remote / embedded).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

UPR_INFO = ROOT.parent / "shared" / "data" / "upr-info"
EXTRA = {
    "recommendations-per-state": (
        "PREFIX upr: <def/upr#> SELECT ?s (COUNT(?r) AS ?n) WHERE { ?r upr:recommendingState ?s }"
        " GROUP BY ?s ORDER BY DESC(?n) LIMIT 10"),
    "responses": (
        "PREFIX upr: <def/upr#> SELECT ?resp (COUNT(?r) AS ?n) WHERE { ?r upr:response ?resp }"
        " GROUP BY ?resp"),
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "one-page": "DESCRIBE <id/state/KHM>",
}


def project(folder: Path, files: int):
    from uprgraph.build import build
    from uprgraph.config import load_settings
    from uprgraph.importing import import_file

    for name in ("ontology", "shapes", "data", "queries"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("imported"))
    settings = load_settings(folder)
    t0 = time.perf_counter()
    for csv in sorted(UPR_INFO.glob("*.csv"))[:files]:
        import_file(settings, csv)
    result = build(settings)
    print(f"imported and built {result.release.manifest['triples']} triples in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    return settings


def median_ms(server, query: str, n: int) -> float:
    graph = query.lstrip().upper().startswith(("DESCRIBE", "CONSTRUCT"))
    accept = "application/n-triples" if graph else "application/sparql-results+json"
    body = urllib.parse.urlencode({"query": query})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
    for _ in range(2):
        reply = server.request("POST", "/sparql", body, headers, timeout=120)
        if reply.status != 200:
            raise RuntimeError(f"{reply.status}: {reply.text[:200]}")
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        server.request("POST", "/sparql", body, headers, timeout=120)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def latencies(settings, n: int) -> dict[str, float]:
    from web_fixtures import start_waitress

    from uprgraph.web import create_app

    queries = {p.stem: p.read_text(encoding="utf-8")
               for p in sorted((ROOT / "queries").glob("*.rq"))}
    queries.update(EXTRA)
    app = create_app(settings)
    server, handle = start_waitress(app)
    try:
        return {name: median_ms(server, q, n) for name, q in queries.items()}
    finally:
        handle.close()
        app.extensions["uprgraph"].close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=4, help="UPR Info files to import")
    ap.add_argument("--n", type=int, default=15, help="timed runs per query")
    ap.add_argument("--chunk", type=int, default=20_000)
    ap.add_argument("--stores", default="oxigraph,virtuoso")
    ap.add_argument("--project", type=Path,
                    help="build into this folder, or reuse the release already built there")
    args = ap.parse_args()
    if not UPR_INFO.is_dir():
        sys.exit(f"the UPR Info samples are not at {UPR_INFO}")
    import store_servers

    from uprgraph.publish import publish

    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        if args.project and (args.project / ".uprgraph" / "current").exists():
            from uprgraph.config import load_settings

            built = load_settings(args.project)
        else:
            built = project(args.project or Path(tmp) / "project", args.files)
        settings = replace(built, query_timeout=60.0)
        embedded = latencies(settings, args.n)
        for name in args.stores.split(","):
            start = {"oxigraph": store_servers.start_oxigraph,
                     "virtuoso": store_servers.start_virtuoso}[name]
            folder = Path(tmp) / name
            folder.mkdir()
            exe = store_servers.BIN / "oxigraph" if name == "oxigraph" else shutil.which(
                "virtuoso-t")
            if exe is None or not Path(exe).exists():
                print(f"{name}: skipped (not installed)")
                continue
            store = start(folder)
            try:
                os.environ.update({k: v for k, v in store.env().items()
                                   if k.startswith("UPRGRAPH_STORE_")})
                remote = replace(settings, **store.settings())  # type: ignore[arg-type]
                first = publish(remote, chunk=args.chunk)
                again = publish(remote, chunk=args.chunk)
                print(f"\n{name}: publish {first.triples} triples in {first.graphs} graphs: "
                      f"{first.seconds:.1f} s; again (nothing to load): {again.seconds:.1f} s")
                through = latencies(remote, args.n)
            finally:
                assert store.process is not None
                store_servers.stop(store.process)
            print(f"{'query':32} {'embedded ms':>12} {'remote ms':>10} {'ratio':>6}")
            ratios = []
            for q, local in embedded.items():
                ratio = through[q] / local
                ratios.append(ratio)
                print(f"{q:32} {local:12.1f} {through[q]:10.1f} {ratio:6.2f}")
            gmean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
            print(f"{name}: geometric mean latency ratio remote/embedded {gmean:.2f}")


if __name__ == "__main__":
    main()
