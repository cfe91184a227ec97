"""The whole benchmark: import, build, rebuild and serving, with references from the same run.

    python -m bench [--synthetic 100000] [--data ../shared/data] [--n 30] [--seconds 5]
                    [--no-serve] [--no-rdflib-endpoint] [--only-import [--csv FILE]]

1. Import and build of the UPR Info samples, and of ``--synthetic`` recommendations
   shaped like them (about 10 triples each), with a plain rdflib parse of the
   imported N-Triples as the reference. Time and peak memory (ru_maxrss of a child
   process per step) of the import and of each build stage, and the build's process
   tree peak PSS (build and its forked children together, sampled every 0.2 s). Each
   build runs twice from the same files: timed alone, then sampled on a copy (the
   sampling's reads of /proc take about a sixth of a core, which a build on a 2-core
   machine would otherwise lose); the sampled run's time is reported beside.
2. Rebuild of the synthetic project after one more import file of 8,000 synthetic
   recommendations, everything else unchanged.
3. Serving (:mod:`bench.endpoint`) on the synthetic release: uprgraph in its disk
   and memory modes against ``oxigraph serve-read-only`` and rdflib-endpoint.

``--only-import`` times step 1's imports and their rdflib parse reference only (no
build, rebuild or serving); ``--csv FILE`` imports that synthetic file instead of
generating one (``synthetic_csv`` makes it: generate it once, time many runs).

Writes a table to the terminal, ``bench/results/bench-<time>.json`` and
``bench/RESULTS.md`` (figures, peers' versions, machine).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import shutil
import tempfile
import threading
import time
import zlib
from pathlib import Path

from bench import endpoint

ROOT = Path(__file__).resolve().parents[1]
#: the rebuild case adds one import file of this many synthetic recommendations
REBUILD_RECS = 8000
#: the build's figure of what its process tree (build, validation and linking children)
#: held at most at one time: PSS, sampled every 0.2 s
TREE_PEAK = "build_tree_peak_pss_mb"


CYCLES = ((1, 12), (13, 26), (27, 40), (41, 54))


def synthetic_csv(sources: list[Path], count: int, out: Path, seed: int = 7) -> Path:
    """Rows shaped like the real ones: states, issues, text lengths, responses drawn from them.

    Each state's review of a cycle has one session (as in reality), so every row is
    valid and a second file from the same generator joins the first without conflict.
    """
    rows = []
    for path in sources:
        text = path.read_bytes().decode("mac_roman")
        rows += list(csv.reader(text.splitlines(), strict=False))[1:]
    rows = [r for r in rows if len(r) == 11 and "Unknown" not in r[4]]
    words = [w for r in rows for w in r[3].split()]
    rng = random.Random(seed)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["To", "To-Rgrp", "To-Org", "Text", "From", "From-Rgrp", "From-Org",
                         "Response", "Action", "Issue", "Session"])
        for i in range(count):
            model = rng.choice(rows)
            other = rng.choice(rows)
            length = len(model[3].split())
            text = " ".join(rng.choice(words) for _ in range(length)) + f" ({i})"
            first, last = CYCLES[rng.randrange(4)]
            session = first + zlib.crc32(f"{model[0]}|{first}".encode()) % (last - first + 1)
            writer.writerow([model[0], model[1], model[2], text, other[4], other[5], other[6],
                             model[7], model[8], model[9], str(session)])
    return out


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _import(files: list[str], project: str, queue: mp.Queue) -> None:
    from rdflib import Graph

    from uprgraph.config import load_settings
    from uprgraph.importing import import_file

    settings = load_settings(Path(project))
    start = time.perf_counter()
    recs = sum(import_file(settings, Path(f)).manifest["recommendations"] for f in files)
    imported = time.perf_counter() - start
    # a large import validates in parts, forked: the largest part's peak besides this one's
    peak, parts_peak = _peak_mb(), _peak_mb(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    triples = 0
    for f in files:
        from uprgraph.iris import slug

        graph = Graph()
        graph.parse(str(settings.imported_dir / f"{slug(Path(f).stem)}.nt"), format="nt")
        triples += len(graph)
    queue.put({"recommendations": recs, "import_s": round(imported, 2), "import_peak_mb": peak,
               "import_parts_peak_mb": parts_peak,
               "imported_triples": triples,
               "rdflib_parse_of_imported_nt_s": round(time.perf_counter() - start, 2)})


def _build(project: str, queue: mp.Queue) -> None:
    from uprgraph.build import build
    from uprgraph.config import load_settings

    start = time.perf_counter()
    result = build(load_settings(Path(project)))
    queue.put({"build_s": round(time.perf_counter() - start, 2), "build_split_s": result.timings,
               "triples": result.release.manifest["triples"], "build_peak_mb": _peak_mb(),
               # the build validates in a forked process: its peak counts the pages it
               # shares with the build at the fork, so the sum overstates the total
               "validation_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN)})


class TreePeak:
    """The peak PSS of a process and its descendants (:func:`endpoint.tree_memory_mb`),
    sampled in a thread every ``every`` seconds until :meth:`stop`.

    Why PSS of the tree: a build forks its validation (and linking) children, which share
    the pages the build held at the fork; ru_maxrss counts those in each process, PSS
    once, so the tree's PSS sum is what the build takes of the machine at one time."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every, self.peak_mb = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-peak", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, endpoint.tree_memory_mb(self.pid)[1])
            self._stop.wait(self.every)

    def stop(self) -> float:
        """The peak PSS in MiB, sampling stopped."""
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def in_child(target, *args, tree_peak: str | None = None) -> dict:
    """Run a step in a forked process of its own, so its peak memory is its own;
    ``tree_peak``: the key under which the peak PSS of its process tree is added."""
    queue: mp.Queue = mp.Queue()
    proc = mp.get_context("fork").Process(target=target, args=(*args, queue))
    proc.start()
    sampler = TreePeak(proc.pid) if tree_peak else None
    result = queue.get()
    proc.join()
    if sampler is not None:
        result[tree_peak] = sampler.stop()
    return result


def new_project(folder: Path) -> Path:
    for name in ("shapes", "ontology"):
        shutil.copytree(ROOT / name, folder / name)
    return folder


def built(project: Path) -> dict:
    """A build of ``project`` timed alone, and the peak PSS of its process tree from a
    second build of a copy made before it (``build_sampled_s``: that build's time).

    Sampling /proc/<pid>/smaps_rollup walks every page of the tree: every 0.2 s, it took
    about 2.3 s of CPU during a 13 s rebuild on 2 cores, time the build itself lost."""
    twin = project.with_name(f"{project.name}-sampled")
    shutil.copytree(project, twin, symlinks=True)
    try:
        timed = in_child(_build, str(project))
        sampled = in_child(_build, str(twin), tree_peak=TREE_PEAK)
    finally:
        shutil.rmtree(twin, ignore_errors=True)
    return {**timed, TREE_PEAK: sampled[TREE_PEAK], "build_sampled_s": sampled["build_s"]}


def case(label: str, files: list[Path], project: Path, build: bool = True) -> dict:
    result = {"case": label, **in_child(_import, [str(f) for f in files], str(project))}
    if build:
        result.update(built(project))
    result["import_vs_rdflib_parse"] = round(
        result["import_s"] / max(result["rdflib_parse_of_imported_nt_s"], 1e-9), 2)
    print(json.dumps(result), flush=True)
    return result


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**20, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()}


def build_table(cases: list[dict]) -> str:
    lines = ["| case | recs | triples | import s | rdflib parse s | import / parse | build s "
             "| validate s | peak MB (import [+ its validation part] / build + validation) "
             "| build tree peak PSS MB | build s, sampled |",
             "|---" * 11 + "|"]
    for c in cases:
        lines.append(
            f"| {c['case']} | {c.get('recommendations', '-')} | {c['triples']} | "
            f"{c.get('import_s', '-')} | {c.get('rdflib_parse_of_imported_nt_s', '-')} | "
            f"{c.get('import_vs_rdflib_parse', '-')} | {c['build_s']} | "
            f"{c['build_split_s'].get('validate')} | "
            f"{_import_peak(c)} / {c['build_peak_mb']}"
            + (f" + {c['validation_peak_mb']}" if c.get("validation_peak_mb") else "")
            + f" | {c.get(TREE_PEAK, '-')} | {c.get('build_sampled_s', '-')} |")
    splits = ["", "| case | " + " | ".join(cases[0]["build_split_s"]) + " |",
              "|---" * (len(cases[0]["build_split_s"]) + 1) + "|"]
    for c in cases:
        splits.append(f"| {c['case']} | " + " | ".join(map(str, c["build_split_s"].values()))
                      + " |")
    return "\n".join(lines + splits)


def _import_peak(case: dict) -> str:
    """The import's peak, and its forked validation part's when it had one (ru_maxrss
    each: the part's counts the pages it shares with the import at the fork)."""
    own, part = case.get("import_peak_mb", "-"), case.get("import_parts_peak_mb")
    return f"{own} + {part}" if part else str(own)


def import_table(cases: list[dict]) -> str:
    lines = ["| case | recs | triples | import s | rdflib parse s | import / parse "
             "| peak MB (import + validation part) |", "|---" * 7 + "|"]
    lines += [f"| {c['case']} | {c['recommendations']} | {c['imported_triples']} | "
              f"{c['import_s']} | {c['rdflib_parse_of_imported_nt_s']} | "
              f"{c['import_vs_rdflib_parse']} | {_import_peak(c)} |" for c in cases]
    return "\n".join(lines)


def write_results(out: Path, report: dict, text: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (out / f"bench-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    m = report["machine"]
    peers = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    results = ROOT / "bench" / "RESULTS.md"
    text = kept_sections(results.read_text(encoding="utf-8") if results.exists() else "", text)
    results.write_text(
        "# Benchmark results\n\n"
        f"Written by `make bench` (`python -m bench`) on {report['date']}; the raw figures are in "
        f"`bench/results/bench-{stamp}.json`.\n\n"
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, Python "
        f"{m['python']}; load average at start {m['load_average_at_start']} (the machine was "
        "shared: compare ratios within a run, not absolute times across runs).\n\n"
        f"Versions: {peers}.\n\n{text}\n")


def kept_sections(previous: str, text: str) -> str:
    """``text`` followed by the ``## `` sections of the previous RESULTS.md that this run
    did not write (a run with ``--no-serve`` keeps the last serving figures and notes)."""
    def topic(heading: str) -> str:  # "## Serving (982561 triples, ...)" -> "## Serving"
        return heading.split(" (", 1)[0]

    written = {topic(line) for line in text.splitlines() if line.startswith("## ")}
    parts = previous.split("\n## ")[1:]
    kept = [f"## {part.rstrip()}" for part in parts
            if topic(f"## {part.splitlines()[0]}") not in written]
    return "\n\n".join([text.rstrip(), *kept])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--synthetic", type=int, default=100_000,
                        help="synthetic recommendations (0 to skip)")
    parser.add_argument("--n", type=int, default=30, help="requests per query and server")
    parser.add_argument("--seconds", type=float, default=5, help="each throughput run")
    parser.add_argument("--no-samples", action="store_true", help="skip the UPR Info samples")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the rebuild case")
    parser.add_argument("--no-serve", action="store_true", help="skip the serving benchmark")
    parser.add_argument("--no-rdflib-endpoint", action="store_true")
    parser.add_argument("--only-import", action="store_true",
                        help="time the imports and their rdflib parse reference only")
    parser.add_argument("--csv", type=Path, help="an existing synthetic CSV to import")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    samples = sorted((args.data / "upr-info").glob("*.csv"))
    if not samples:
        parser.error(f"no UPR Info samples under {args.data / 'upr-info'}")
    report: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "machine": machine(), "versions": endpoint.versions(), "cases": []}
    if args.only_import:
        return only_import(args, samples, report)
    with tempfile.TemporaryDirectory(prefix="uprgraph-bench-") as tmp:
        tmp_path = Path(tmp)
        served = tmp_path / "samples"
        if not args.no_samples:
            report["cases"].append(case("UPR Info samples", samples, new_project(served)))
        if args.synthetic:
            project = new_project(tmp_path / "synthetic")
            rows = synthetic_csv(samples, args.synthetic + REBUILD_RECS, tmp_path / "all.csv")
            lines = rows.read_text(encoding="utf-8").splitlines(keepends=True)
            first, extra = tmp_path / "synthetic.csv", tmp_path / "added.csv"
            first.write_text("".join(lines[:-REBUILD_RECS]), encoding="utf-8")
            extra.write_text(lines[0] + "".join(lines[-REBUILD_RECS:]), encoding="utf-8")
            report["cases"].append(case(f"synthetic {args.synthetic}", [first], project))
            if not args.no_rebuild:
                rebuild = {"case": f"rebuild + {REBUILD_RECS} recs",
                           **in_child(_import, [str(extra)], str(project))}
                rebuild.update(built(project))
                print(json.dumps(rebuild), flush=True)
                report["cases"].append(rebuild)
            served = project
        text = "## Import and build\n\n" + build_table(report["cases"])
        if not args.no_serve:
            serving = endpoint.run(served, args.n, args.seconds, not args.no_rdflib_endpoint)
            report["serving"] = serving
            text += (f"\n\n## Serving ({serving['triples']} triples, {args.n} requests per "
                     f"query and server, median / 95th percentile)\n\n"
                     + endpoint.table(serving))
            text += "".join(f"\n\n{note}" for note in serving["notes"])
    print(text)
    write_results(args.out, report, text)


def only_import(args: argparse.Namespace, samples: list[Path], report: dict) -> None:
    """The import cases alone: samples, then the synthetic file (``--csv`` or generated)."""
    with tempfile.TemporaryDirectory(prefix="uprgraph-bench-") as tmp:
        tmp_path = Path(tmp)
        if not args.no_samples:
            report["cases"].append(
                case("UPR Info samples", samples, new_project(tmp_path / "samples"), False))
        if args.csv or args.synthetic:
            rows = args.csv or synthetic_csv(samples, args.synthetic, tmp_path / "synthetic.csv")
            count = sum(1 for _ in csv.reader(rows.open(encoding="utf-8", newline=""))) - 1
            report["cases"].append(case(f"synthetic {count}", [rows],
                                        new_project(tmp_path / "synthetic"), False))
    report["load_average_at_end"] = os.getloadavg()
    text = ("## Import\n\n" + import_table(report["cases"])
            + f"\n\nLoad average at the end: {report['load_average_at_end']}.")
    print(text)
    write_results(args.out, report, text)


if __name__ == "__main__":
    main()
