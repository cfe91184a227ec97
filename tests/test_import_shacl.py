"""An import checks its own triples with the project's shapes: the recommendations that
fail them (or that point at a node that fails them) are left out and reported by row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from import_helpers import project

from uprgraph.importing import ImportFailed, import_file
from uprgraph.sources import upr_info

EXTRA_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix upr: <def/upr#> .
@prefix t: <def/test-shapes#> .
t:ShortText a sh:NodeShape ; sh:targetClass upr:Recommendation ;
    sh:property [ sh:path upr:text ; sh:maxLength 60 ;
                  sh:message "This project wants texts of 60 characters at most." ] .
t:KnownStates a sh:NodeShape ; sh:targetClass upr:State ;
    sh:property [ sh:path upr:iso3 ; sh:in ( "KHM" "DEU" "BRA" ) ;
                  sh:message "This project knows Cambodia, Germany and Brazil only." ] .
"""


def rows() -> list[list[str]]:
    def row(text: str, from_: str) -> list[str]:
        return ["Cambodia", "Asia", "ASEAN", text, from_, "WEOG", "", "Accepted", "3",
                "Women's rights", "6"]
    return [row("Ratify the Convention", "Germany"),
            row("Ratify the Convention against torture", "France"),
            row("Ratify the Convention on the rights of persons with disabilities and its "
                "Optional Protocol", "Brazil")]


def source(tmp_path: Path) -> Path:
    path = tmp_path / "strict-project.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(upr_info.COLUMNS), *rows()])
    return path


@pytest.fixture
def settings(tmp_path):
    settings = project(tmp_path)
    (settings.path(settings.shapes_dir) / "test-extra.ttl").write_text(EXTRA_SHAPES)
    return settings


def test_recommendations_failing_the_shapes_are_left_out_by_row(settings, tmp_path):
    result = import_file(settings, source(tmp_path))
    base = settings.iris.base
    assert {(p.location, p.reason) for p in result.rejected} == {
        ("row 3", "SHACL: This project knows Cambodia, Germany and Brazil only. "
                  f"({base}def/upr#iso3)"),
        ("row 4", "SHACL: This project wants texts of 60 characters at most. "
                  f"({base}def/upr#text)"),
    }
    assert result.manifest["recommendations"] == 1
    written = (settings.imported_dir / "strict-project.nt").read_text(encoding="utf-8")
    assert '"Ratify the Convention"@en' in written
    assert "torture" not in written and "disabilities" not in written
    assert "/id/state/FRA" not in written
    report = (settings.imported_dir / "strict-project.report.txt").read_text()
    assert report.count("rejected\t") == 2


def test_strict_import_failing_the_shapes_writes_nothing(settings, tmp_path):
    with pytest.raises(ImportFailed) as failed:
        import_file(settings, source(tmp_path), strict=True)
    assert sorted(p.location for p in failed.value.problems) == ["row 3", "row 4"]
    assert not settings.imported_dir.exists() or not any(settings.imported_dir.iterdir())


def test_a_shared_node_no_recommendation_points_at_fails_the_import(settings, tmp_path):
    """The state under review is reached through its review only: no row can be blamed."""
    path = tmp_path / "france.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(upr_info.COLUMNS), [
            "France", "WEOG", "", "Ratify the Convention", "Germany", "WEOG", "", "Noted", "3",
            "", "4"]])
    with pytest.raises(ImportFailed, match="knows Cambodia.*node .*/id/state/FRA"):
        import_file(settings, path)
    assert not (settings.imported_dir / "france.json").exists()
