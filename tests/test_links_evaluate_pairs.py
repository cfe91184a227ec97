"""``uprgraph links evaluate --pairs``: a path typed is read from the current directory, like
every other path option; without it, the project's own labelled pairs are read."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from test_build import copy_project

from uprgraph.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "tests/fixtures/linking/recurrence-pairs.csv"


def _pairs(path: Path, count: int) -> Path:
    """The first ``count`` labelled pairs of the fixture, written to ``path``."""
    lines = PAIRS.read_text("utf-8").splitlines(keepends=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines[: count + 1]), "utf-8")
    return path


def _evaluate(project: Path, *pairs: str) -> dict:
    result = CliRunner().invoke(main, ["--project", str(project), "links", "evaluate",
                                       *pairs, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_pairs_resolve_against_the_current_directory(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    _pairs(project / "mine.csv", 2)  # the same name under the project: not the one meant
    _pairs(project / "tests/fixtures/linking/recurrence-pairs.csv", 3)
    here = tmp_path / "elsewhere"
    _pairs(here / "mine.csv", 5)
    monkeypatch.chdir(here)
    # the bundled data holds none of these recommendations: every pair read is missing
    assert _evaluate(project, "--pairs", "mine.csv")["recurrence"]["missing_pairs"] == 5
    assert _evaluate(project)["recurrence"]["missing_pairs"] == 3


def test_a_pairs_file_that_is_not_there_is_named(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--project", str(project), "links", "evaluate",
                                       "--pairs", "absent.csv"])
    assert result.exit_code != 0
    assert str(tmp_path / "absent.csv") in result.output and "Traceback" not in result.output
