"""Import + build benchmark: the three UPR Info samples, then a synthetic set.

    python -m bench [--synthetic 100000] [--data ../shared/data] [--out bench/results]

Reports wall time and peak memory (ru_maxrss of a child process per case) of:
import (read, check, convert, SHACL), the build's parse, validate, dump and
load, and cost per 1,000 recommendations, with a plain rdflib parse of the
same imported N-Triples as a reference measured in the same run. Each case
runs in its own process so peak memory is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import random
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic_csv(sources: list[Path], count: int, out: Path, seed: int = 7) -> Path:
    """Rows shaped like the real ones: states, issues, text lengths, responses drawn from them."""
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
            session = rng.randint(1, 54)
            writer.writerow([model[0], model[1], model[2], text, other[4], other[5], other[6],
                             model[7], model[8], model[9], str(session)])
    return out


def _case(files: list[str], project: str, queue: mp.Queue) -> None:
    from rdflib import Graph

    from uprgraph.build import build
    from uprgraph.config import load_settings
    from uprgraph.importing import import_file

    settings = load_settings(Path(project))
    start = time.perf_counter()
    recs = sum(import_file(settings, Path(f)).manifest["recommendations"] for f in files)
    imported = time.perf_counter() - start
    start = time.perf_counter()
    for nt in settings.imported_dir.glob("*.nt"):
        Graph().parse(str(nt), format="nt")
    reference = time.perf_counter() - start
    start = time.perf_counter()
    result = build(settings)
    total_build = time.perf_counter() - start
    queue.put({
        "recommendations": recs,
        "import_s": round(imported, 2),
        "build_s": round(total_build, 2),
        "build_split_s": result.timings,
        "triples": result.release.manifest["triples"],
        "rdflib_parse_of_imported_nt_s": round(reference, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })


def run_case(label: str, files: list[Path]) -> dict:
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(ROOT / "shapes", project / "shapes")
        if (ROOT / "ontology").is_dir():
            shutil.copytree(ROOT / "ontology", project / "ontology")
        else:
            (project / "ontology").mkdir()
            (project / "ontology" / "upr.ttl").write_text(
                "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<def/upr> a owl:Ontology .\n")
        queue: mp.Queue = mp.Queue()
        proc = mp.get_context("fork").Process(
            target=_case, args=([str(f) for f in files], str(project), queue))
        proc.start()
        result = queue.get()
        proc.join()
    result["case"] = label
    per_k = 1000 / result["recommendations"]
    result["per_1k_recs_s"] = {
        "import": round(result["import_s"] * per_k, 3),
        "build": round(result["build_s"] * per_k, 3),
        "rdflib_parse_reference": round(result["rdflib_parse_of_imported_nt_s"] * per_k, 3),
    }
    result["import_vs_rdflib_parse"] = round(
        result["import_s"] / max(result["rdflib_parse_of_imported_nt_s"], 1e-9), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--synthetic", type=int, default=100_000,
                        help="synthetic recommendations (0 to skip)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    samples = sorted((args.data / "upr-info").glob("*.csv"))
    if not samples:
        parser.error(f"no UPR Info samples under {args.data / 'upr-info'}")
    results = [run_case("upr-info samples", samples)]
    print(json.dumps(results[-1], indent=2), flush=True)
    if args.synthetic:
        with tempfile.TemporaryDirectory() as tmp:
            synthetic = synthetic_csv(samples, args.synthetic, Path(tmp) / "synthetic.csv")
            results.append(run_case(f"synthetic {args.synthetic}", [synthetic]))
        print(json.dumps(results[-1], indent=2), flush=True)
        a, b = results
        print(f"cost per 1k recs, {b['recommendations']} vs {a['recommendations']}: "
              f"import x{b['per_1k_recs_s']['import'] / a['per_1k_recs_s']['import']:.2f}, "
              f"build x{b['per_1k_recs_s']['build'] / a['per_1k_recs_s']['build']:.2f}")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (args.out / f"bench-{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
