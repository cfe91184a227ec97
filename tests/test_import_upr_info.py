"""UPR Info exports: counts against the CSV, encodings, stable ids, bad rows, updates."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from import_helpers import project

from uprgraph.importing import ImportFailed, import_file
from uprgraph.sources import upr_info
from uprgraph.sources.commands import import_

FILES = ["upr-info-sessions-01-05.csv", "upr-info-sessions-06-09.csv",
         "upr-info-sessions-10-13.csv"]


def raw_rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("mac_roman")
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


@pytest.mark.slow
@pytest.mark.parametrize("name", FILES)
def test_counts_per_session_and_response(shared_data, tmp_path, name):
    path = shared_data / "upr-info" / name
    rows = raw_rows(path)
    result = import_file(project(tmp_path), path)
    m = result.manifest
    assert m["recommendations"] == len(rows)
    assert m["by_session"] == dict(Counter(r[10] for r in rows))
    responses = Counter(r[7] for r in rows)
    assert (m["supported"], m["noted"]) == (responses["Accepted"], responses["Noted"])
    assert m["rejected"] == []


def test_cambodia_session_6(shared_data):
    parsed = upr_info.parse(shared_data / "upr-info" / "upr-info-sessions-06-09.csv")
    cambodia = [r for r in parsed.recommendations if r.review.state.iso3 == "KHM"]
    assert len(cambodia) == 138
    assert {(r.review.cycle, r.review.session) for r in cambodia} == {(1, 6)}
    assert len({r.local_id for r in cambodia}) == 138
    assert all(r.action_category in range(1, 6) for r in cambodia)


def test_duplicates_and_unknown_states_are_reported(shared_data):
    parsed = upr_info.parse(shared_data / "upr-info" / "upr-info-sessions-06-09.csv")
    (dup,) = parsed.warnings
    assert dup.location == "row 5765" and "row 5764 (identical)" in dup.reason
    ids = [r.local_id for r in parsed.recommendations if r.review.state.iso3 == "LSO"]
    assert len(ids) == len(set(ids))
    first = upr_info.parse(shared_data / "upr-info" / "upr-info-sessions-01-05.csv")
    unknown = [w for w in first.warnings if "(Unknown)" in w.reason]
    assert len(unknown) == 9


SAMPLE = [
    ["To", "To-Rgrp", "To-Org", "Text", "From", "From-Rgrp", "From-Org", "Response",
     "Action", "Issue", "Session"],
    ["Cambodia", "Asia", "ASEAN", "Ratify the Convention on enforced disappearance", "France",
     "WEOG", "EU", "Accepted", "5", "Enforced disappearances,International instruments", "6"],
    ["Cambodia", "Asia", "ASEAN", "Protect the rights of the Guaraní people", "Côte d'Ivoire",
     "Africa", "AU", "Noted", "4", "Indigenous peoples", "6"],
]


def _csv(path: Path, rows, encoding="utf-8", newline="\n") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize(("encoding", "newline"), [
    ("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("mac_roman", "\r"), ("cp1252", "\r\n")])
def test_encodings_and_line_endings(tmp_path, encoding, newline):
    parsed = upr_info.parse(_csv(tmp_path / "x.csv", SAMPLE, encoding, newline))
    assert [r.text for r in parsed.recommendations][1].endswith("Guaraní people")
    assert parsed.recommendations[1].recommending_states[0].iso3 == "CIV"
    assert not parsed.problems


def test_stable_ids_ignore_encoding_and_response(tmp_path):
    a = upr_info.parse(_csv(tmp_path / "a.csv", SAMPLE))
    changed = [row[:] for row in SAMPLE]
    changed[1][7] = "Noted"
    changed[1][3] += "  ."
    b = upr_info.parse(_csv(tmp_path / "b.csv", changed, "mac_roman", "\r"))
    assert [r.local_id for r in a.recommendations] == [r.local_id for r in b.recommendations]
    assert a.recommendations[0].local_id == upr_info.stable_id(
        6, "KHM", ["FRA"], "Ratify the Convention on enforced disappearance")


def test_bad_rows(tmp_path):
    rows = [row[:] for row in SAMPLE] + [
        ["Cambodia", "Asia", "ASEAN", "Text", "Atlantis", "", "", "Accepted", "3", "", "6"],
        ["Cambodia", "Asia", "ASEAN", "Text two", "France", "", "", "", "3", "", "6"],
        ["Cambodia", "Asia", "ASEAN", "Text three"],
        ["Narnia", "Asia", "ASEAN", "Text four", "France", "", "", "Noted", "3", "", "6"],
        ["Cambodia", "Asia", "ASEAN", "Text five", "France", "", "", "Noted", "9", "", "6"],
        ["Cambodia", "Asia", "ASEAN", "Text six", "France", "", "", "Noted", "2", "", "x"],
    ]
    settings = project(tmp_path)
    path = _csv(tmp_path / "bad.csv", rows)
    result = import_file(settings, path)
    reasons = {p.location: p.reason for p in result.rejected}
    assert reasons == {
        "row 4": "From: unknown state 'Atlantis'",
        "row 5": "Response: missing position",
        "row 6": "4 cells, expected 11 (truncated or malformed row)",
        "row 7": "To: unknown state 'Narnia'",
        "row 8": "Action: '9' is not an action category 1-5",
        "row 9": "Session: 'x' is not a session number 1-54",
    }
    assert result.manifest["recommendations"] == 2
    with pytest.raises(ImportFailed):
        import_file(settings, path, name="bad-strict", strict=True)
    assert not (settings.imported_dir / "bad-strict.nt").exists()


def test_newer_export_updates_rather_than_duplicates(tmp_path):
    settings = project(tmp_path)
    old = import_file(settings, _csv(tmp_path / "export-2024.csv", SAMPLE))
    newer = [row[:] for row in SAMPLE]
    newer[2][7] = "Accepted"
    new = import_file(settings, _csv(tmp_path / "export-2025.csv", newer))
    assert new.superseded == {old.name: 2}
    old_nt = (settings.imported_dir / old.manifest["graph_file"]).read_text()
    assert not any(line.startswith("<http://localhost:8080/id/recommendation/")
                   for line in old_nt.splitlines())
    assert json.loads((settings.imported_dir / f"{old.name}.json").read_text())[
        "recommendations"] == 0


def test_reimport_same_iris(shared_data, tmp_path):
    rows = raw_rows(shared_data / "upr-info" / "upr-info-sessions-06-09.csv")
    cambodia = [SAMPLE[0]] + [r for r in rows if r[0] == "Cambodia"]
    path = _csv(tmp_path / "cambodia.csv", cambodia, "mac_roman", "\r")
    settings = project(tmp_path)
    first = import_file(settings, path)
    nt = (settings.imported_dir / "cambodia.nt").read_text()
    second = import_file(settings, path)
    assert second.unchanged and (settings.imported_dir / "cambodia.nt").read_text() == nt
    assert first.manifest["recommendations"] == 138


def test_cli_import_list_remove(tmp_path):
    settings = project(tmp_path)
    runner = CliRunner()
    path = _csv(tmp_path / "sample.csv", SAMPLE)
    result = runner.invoke(import_, [str(path), "--quiet"], obj=settings)
    assert result.exit_code == 0, result.output
    assert "imported sample: 2 recommendations (1 supported, 1 noted)" in result.output
    result = runner.invoke(import_, ["--list"], obj=settings)
    assert result.output.startswith("sample\tupr-info\t2 recommendations")
    result = runner.invoke(import_, ["--remove", "sample"], obj=settings)
    assert result.exit_code == 0 and not (settings.imported_dir / "sample.nt").exists()
    result = runner.invoke(import_, ["--remove", "sample"], obj=settings)
    assert result.exit_code != 0 and "no import named 'sample'" in result.output
    bad = _csv(tmp_path / "bad.csv", [SAMPLE[0], ["Narnia"] + SAMPLE[1][1:]])
    result = runner.invoke(import_, [str(bad), "--strict", "-q"], obj=settings)
    assert result.exit_code == 1 and "unknown state 'Narnia'" in result.output
