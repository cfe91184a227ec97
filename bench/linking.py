"""Linking benchmark: the build's linking step on the 31,468 UPR Info recommendations of
sessions 1-13 and 18-20 (plus Slovenia's two OHCHR matrices, so that the classifier has
tagged recommendations to learn from).

    python -m bench.linking [--data ../shared/data] [--project DIR] [--build]
                            [--synthetic N] [--out F.json]

Each case runs in its own process so its peak memory (ru_maxrss) is its own:

- rdflib_parse: rdflib parse of the imported N-Triples into one graph (a plain parse of
  the same data, for scale);
- reference: the imported N-Triples bulk-loaded into an in-memory pyoxigraph store, one
  named graph per file (what the build hands the linking step), in a process that has
  imported the build and its libraries;
- linking: the same load, then the linking step split into reading the recommendations
  (pattern lookups on the store), normalising the texts, recurrence, source matching,
  suggestions and writing the links graph.

With ``--synthetic N``, the linking of ``python -m bench``'s N synthetic recommendations
too (made from its CSV, without importing them): does the step scale?

Reported: seconds, peak RSS, and the linking's time and memory as ratios to the
references (memory: the peak over the reference's); ``links_sha256``, a digest of the
links graph's sorted N-Quads, shows whether a change to the step kept its output.
With ``--build``, a whole ``uprgraph build`` of the same project too, and the share of
its time the linking stage takes. ``--project`` reuses a project whose
data/imported/ already holds the imports (importing takes minutes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import resource
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ("upr-info/upr-info-sessions-01-05.csv", "upr-info/upr-info-sessions-06-09.csv",
           "upr-info/upr-info-sessions-10-13.csv", "upr-info/upr-info-sessions-18-20.csv")
MATRICES = ("ohchr-matrix/slovenia-cycle2-UPR20-thematic-list.docx",
            "ohchr-matrix/slovenia-cycle3-UPR34-thematic-list.docx")


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _store(project: Path):
    """The imported N-Triples in an in-memory store, one named graph per file: what the
    build hands the linking step."""
    import pyoxigraph as ox

    store = ox.Store()
    for nt in sorted((project / "data" / "imported").glob("*.nt")):
        store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.NamedNode(nt.resolve().as_uri()))
    return store


def _laps(split: dict[str, float]):
    """``lap(name)``: the seconds since the previous lap, recorded in ``split`` under ``name``."""
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        split[name] = round(now - clock, 2)
        clock = now

    return lap


def _digest(quads: list) -> str:
    """SHA-256 of the quads' sorted N-Quads lines: equal digests, equal links graphs."""
    lines = sorted(str(quad) for quad in quads)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _rdflib(project: str, queue: mp.Queue) -> None:
    from rdflib import Graph

    start = time.perf_counter()
    graph = Graph()
    for nt in sorted((Path(project) / "data" / "imported").glob("*.nt")):
        graph.parse(str(nt), format="nt")
    queue.put({"parse_s": round(time.perf_counter() - start, 2), "triples": len(graph),
               "peak_rss_mb": _peak_mb()})


def _reference(project: str, queue: mp.Queue) -> None:
    import uprgraph.build  # noqa: F401  (the libraries a build process has loaded)

    start = time.perf_counter()
    store = _store(Path(project))
    queue.put({"load_s": round(time.perf_counter() - start, 2), "quads": len(store),
               "peak_rss_mb": _peak_mb()})


def _linking(project: str, queue: mp.Queue) -> None:
    import uprgraph.build  # noqa: F401
    from uprgraph.config import load_settings
    from uprgraph.linking import link_recs
    from uprgraph.linking.corpus import read

    settings = load_settings(Path(project))
    store = _store(Path(project))
    before = _peak_mb()
    split: dict[str, float] = {}
    lap = _laps(split)

    cpu = time.process_time()
    recs = read(store, settings.iris)
    lap("read")
    linked = link_recs(recs, settings.iris, lap)
    cpu = time.process_time() - cpu
    queue.put({
        "recommendations": len(recs),
        "upr_info_rows": sum(1 for r in recs if r.format == "upr-info"),
        "recurrence_links": len(linked.recurrences),
        "source_matches": sum(len(m.matches) for m in linked.matchings),
        "suggestions": len(linked.suggestions),
        "link_triples": len(linked.graph),
        "links_sha256": _digest(linked.quads),
        "linking_s": round(sum(split.values()), 2),
        # the process's own CPU time: what the step costs on a machine shared with others
        "linking_cpu_s": round(cpu, 2),
        "split_s": split,
        "peak_rss_before_linking_mb": before,
        "peak_rss_mb": _peak_mb(),
    })


def _synthetic(rows_csv: str, queue: mp.Queue) -> None:
    """The linking of ``python -m bench``'s synthetic recommendations (random words of the
    real texts, four cycles per state), read from its CSV rather than imported."""
    import csv

    import uprgraph.build  # noqa: F401
    from bench.__main__ import CYCLES
    from uprgraph.iris import IRIs
    from uprgraph.linking import link_recs
    from uprgraph.linking.corpus import Rec

    iris = IRIs()
    with open(rows_csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    recs = sorted((Rec(iri=f"{iris.base}id/recommendation/synthetic/{i:06d}", state=row["To"],
                       cycle=next(c for c, (a, b) in enumerate(CYCLES, 1)
                                  if a <= int(row["Session"]) <= b),
                       session=int(row["Session"]), text=row["Text"],
                       recommending=(row["From"],), response=row["Response"],
                       format="upr-info", source=f"{iris.base}id/import/synthetic")
                   for i, row in enumerate(rows)), key=lambda r: r.iri)
    del rows
    before = _peak_mb()
    split: dict[str, float] = {}
    lap = _laps(split)

    linked = link_recs(recs, iris, lap)
    queue.put({"recommendations": len(recs), "recurrence_links": len(linked.recurrences),
               "link_triples": len(linked.quads), "links_sha256": _digest(linked.quads),
               "linking_s": round(sum(split.values()), 2),
               "split_s": split, "peak_rss_before_linking_mb": before,
               "peak_rss_mb": _peak_mb()})


def _build(project: str, queue: mp.Queue) -> None:
    from uprgraph.build import build
    from uprgraph.config import load_settings

    start = time.perf_counter()
    result = build(load_settings(Path(project)))
    queue.put({"build_s": round(time.perf_counter() - start, 2), "stages_s": result.timings,
               "triples": result.release.manifest["triples"], "peak_rss_mb": _peak_mb()})


def _in_child(target, project: Path) -> dict:
    queue: mp.Queue = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=target, args=(str(project), queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def prepare(data: Path, project: Path) -> float:
    """Import the exports and matrices into ``project``; seconds taken."""
    from uprgraph.config import load_settings
    from uprgraph.importing import import_file

    for name in ("ontology", "shapes"):
        shutil.copytree(ROOT / name, project / name, dirs_exist_ok=True)
    settings = load_settings(project)
    start = time.perf_counter()
    for path in (*EXPORTS, *MATRICES):
        import_file(settings, data / path)
    return round(time.perf_counter() - start, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--project", type=Path, default=None,
                        help="a project whose data/imported/ already holds the imports")
    parser.add_argument("--build", action="store_true", help="also time a whole build")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument("--synthetic", type=int, default=0,
                        help="also link this many synthetic recommendations (python -m bench's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-linking-") as tmp:
        project = args.project or Path(tmp)
        figures: dict = {}
        if args.project is None:
            figures["import_s"] = prepare(args.data, project)
        for case, target in (("rdflib_parse", _rdflib), ("reference", _reference),
                             ("linking", _linking)):
            figures[case] = _in_child(target, project)
            print(f"{case}:", json.dumps(figures[case]), flush=True)
        parse, ref, link = figures["rdflib_parse"], figures["reference"], figures["linking"]
        figures["ratios"] = {
            "linking_time_per_rdflib_parse_time": round(link["linking_s"] / parse["parse_s"], 3),
            "linking_time_per_store_load_time": round(link["linking_s"] / ref["load_s"], 3),
            "linking_extra_peak_memory_mb": round(link["peak_rss_mb"] - ref["peak_rss_mb"], 1),
            "peak_memory_per_reference": round(link["peak_rss_mb"] / ref["peak_rss_mb"], 3),
        }
        if args.synthetic:
            from bench.__main__ import synthetic_csv

            rows = synthetic_csv(sorted((args.data / "upr-info").glob("*.csv")),
                                 args.synthetic, Path(tmp) / "synthetic.csv")
            figures["synthetic"] = _in_child(_synthetic, rows)
            print("synthetic:", json.dumps(figures["synthetic"]), flush=True)
        if args.build:
            built = figures["build"] = _in_child(_build, project)
            figures["ratios"]["link_stage_share_of_build"] = round(
                built["stages_s"]["link"] / built["build_s"], 3)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
