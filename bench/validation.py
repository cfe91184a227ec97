"""Validation of a rebuild: everything against the cached, partial validation, in one run.

    python -m bench.validation PROJECT ADDED.nt

PROJECT is a project with its data imported (``python -m bench`` makes one: 100,000
synthetic recommendations); ADDED.nt is one more import file (8,000 recommendations).
The run times, on the same machine and data: the full validation of PROJECT (no
cache), the same filling the cache, the rebuild's validation with ADDED.nt added
(cached results reused), the full validation of PROJECT + ADDED.nt (whose report must
be the rebuild's), and the candidate that takes every triple of a new file as changed
(per-file validation: a file restating shared nodes, states and themes, affects every
node that points at them). ADDED.nt is copied into PROJECT/data/imported and removed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from uprgraph import inputs, validation_cache
from uprgraph.config import load_settings
from uprgraph.validate import Report
from uprgraph.working import RDFLIB_ROLES, WorkingSet


def _prepare(project: Path) -> tuple[WorkingSet, list, Graph, Graph, Callable]:
    settings = load_settings(project)
    work = WorkingSet(inputs.collect(settings))
    for item in work.items:
        work.parse(item, settings.iris.base)
    work.keep_described_links()
    shapes, ontology = work.shapes_and_ontology()
    data = [i for i in work.items if i.role not in RDFLIB_ROLES]
    return work, data, shapes, ontology, partial(work.labels_of, project_dir=project)


def _timed(label: str, run: Callable[[], Report], rows: list[dict]) -> Report:
    logged: list[str] = []
    start, cpu = time.perf_counter(), time.process_time()
    report = run(logged.append)  # type: ignore[call-arg]
    rows.append({"case": label, "seconds": round(time.perf_counter() - start, 2),
                 "cpu_seconds": round(time.process_time() - cpu, 2),
                 "results": len(report.results), "log": logged})
    print(json.dumps(rows[-1]), flush=True)
    return report


def _whole_files(store: ox.Store, change: object, scope: object) -> tuple[set, set]:
    """The per-file candidate: every subject of a new or changed file counts as changed."""
    within = f"FILTER(?n IN ({', '.join(map(str, change.changed))}))"  # type: ignore[attr-defined]
    rows = store.query(f"SELECT DISTINCT ?s {{ GRAPH ?n {{ ?s ?p ?o }} {within} }}")
    subjects = {r[0] for r in rows}  # type: ignore[index]
    rows = store.query(f"SELECT DISTINCT ?o {{ GRAPH ?n {{ ?s ?p ?o }} {within} "
                       "FILTER(isIRI(?o)) }")
    return subjects, {r[0] for r in rows}  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("added", type=Path)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    target = args.project / "data" / "imported" / args.added.name
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-validation-") as tmp:
        cache = Path(tmp) / "cache"
        work, data, shapes, ontology, locate = _prepare(args.project)
        triples = sum(i.triples for i in data)
        print(f"{len(data)} data files, {triples} triples", flush=True)
        run = partial(validation_cache.validate_data, work, data, shapes, ontology, locate)
        _timed("full, no cache", lambda log: run(folder=None, log=log), rows)
        _timed("full, filling the cache", lambda log: run(folder=cache, log=log), rows)
        shutil.copyfile(args.added, target)
        kept = Path(tmp) / "kept"
        shutil.copytree(cache, kept)
        try:
            work, data, shapes, ontology, locate = _prepare(args.project)
            run = partial(validation_cache.validate_data, work, data, shapes, ontology, locate)
            rebuild = _timed("rebuild (cached)", lambda log: run(folder=cache, log=log), rows)
            full = _timed("rebuild data, full", lambda log: run(folder=None, log=log), rows)
            assert rebuild.results == full.results, "the rebuild's report is not the full one"
            shutil.rmtree(cache)
            shutil.copytree(kept, cache)
            original = validation_cache._changed_nodes
            validation_cache._changed_nodes = _whole_files  # type: ignore[assignment]
            try:
                per_file = _timed("rebuild, per-file candidate",
                                  lambda log: run(folder=cache, log=log), rows)
            finally:
                validation_cache._changed_nodes = original
            assert per_file.results == full.results
        finally:
            target.unlink(missing_ok=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
