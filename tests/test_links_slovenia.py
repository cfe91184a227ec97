"""Acceptance: with the SDG KOS added, recommendations per SDG goal of Slovenia's third
cycle (OHCHR matrix, UPR 34) agree with the matrix itself.

The expected figures are read from the .docx here, independently of the importer.
"""

from __future__ import annotations

import importlib
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from links_helpers import make_project

from uprgraph.build import build
from uprgraph.config import load_settings
from uprgraph.links import vocab
from uprgraph.links.queries import recommendations_per_sdg_goal
from uprgraph.links.states import states_missing_codes
from uprgraph.release import current
from uprgraph.store.oxigraph import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
MATRIX = "ohchr-matrix/slovenia-cycle3-UPR34-thematic-list.docx"
KOS = "vocab/sdg-kos-goals-targets-indicators.ttl"


def _importer():
    try:
        importing = importlib.import_module("uprgraph.importing")
        importlib.import_module("uprgraph.sources")
    except ImportError as exc:
        pytest.skip(f"the importer (uprgraph.importing, uprgraph.sources) is not here yet: {exc}")
    if not hasattr(importing, "import_file"):
        pytest.skip("uprgraph.importing has no import_file(settings, path, ...) yet")
    return importing


def expected_per_goal(path: Path) -> Counter:
    """Recommendations per SDG goal, as the matrix lists them under "SDGs:"."""
    import docx

    counts: Counter = Counter()
    seen: set[str] = set()
    for row in docx.Document(str(path)).tables[0].rows[1:]:
        cells = [c.text for c in row.cells]
        match = re.match(r"\s*(\d+\.\d+)\s", cells[0])
        if not match or match.group(1) in seen:
            continue
        seen.add(match.group(1))
        themes = "\n".join(cells[2:])
        if "SDGs:" not in themes:
            continue
        listed = themes.split("SDGs:", 1)[1].split("Affected persons:", 1)[0]
        goals = {m.group(1) for m in re.finditer(r"^\s*-?\s*(\d{1,2})(?:\.\w+)?\s*[-–]",
                                                 listed, flags=re.M)}
        counts.update(goals)
    return counts


def test_expected_counts_are_read_from_the_matrix(shared_data):
    counts = expected_per_goal(shared_data / MATRIX)
    # 122.127 lists goal 10 twice and 122.137 goal 4 twice: a recommendation counts once
    assert counts["16"] == 92 and counts["10"] == 100 and counts["4"] == 22
    assert sum(counts.values()) == 317 and len(counts) == 13


@pytest.mark.slow
def test_slovenia_cycle3_recommendations_per_sdg_goal(shared_data, tmp_path):
    importing = _importer()
    project = tmp_path / "project"
    if (ROOT / "ontology").is_dir():
        for name in ("ontology", "shapes", "data"):
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, project / name,
                                ignore=shutil.ignore_patterns("imported"))
    else:
        make_project(project, kos=False)
    settings = load_settings(project)
    vocab.add(settings, shared_data / KOS, name="sdg")
    importing.import_file(settings, shared_data / MATRIX)
    build(settings)
    store = OxigraphStore.open_read_only(current(settings).store_path)
    rows = list(store.query(recommendations_per_sdg_goal("SVN", 3),
                            base_iri=settings.iris.base).rows())
    got = {r["code"].value: int(r["recommendations"].value) for r in rows}
    assert got == dict(expected_per_goal(shared_data / MATRIX))
    assert all("label" in r and r["label"].language == "en" for r in rows), \
        "every goal shows its English label from the SDG KOS"
    assert states_missing_codes(store, settings.iris) == []
