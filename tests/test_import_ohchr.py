"""OHCHR thematic matrices: counts checked against the table itself, layouts, bad input."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from import_helpers import project

from uprgraph.importing import ImportFailed, import_file
from uprgraph.records import SourceError
from uprgraph.sources import ohchr_matrix
from uprgraph.sources.common import ReviewOptions

CYCLE2 = "ohchr-matrix/slovenia-cycle2-UPR20-thematic-list.docx"
CYCLE3 = "ohchr-matrix/slovenia-cycle3-UPR34-thematic-list.docx"
_GROUP = r"\((?:[^()]|\([^()]*\))*\)"


def independent_counts(path: Path) -> dict:
    """Counted from raw cell text with regexes, without the importer's code."""
    table = docx.Document(str(path)).tables[0]
    recs = supported = noted = links = 0
    for row in table.rows[1:]:
        first = row.cells[0].paragraphs[0].text
        if not re.match(r"^\d+\.\d+\s", first):
            continue
        recs += 1
        position = row.cells[1].text.strip()
        supported += position == "Supported"
        noted += position == "Noted"
        for segment in first.split(";"):
            tail = re.search(rf"((?:\s*{_GROUP})+)\s*\.?\s*$", segment)
            if not tail:
                continue
            for group in re.findall(rf"({_GROUP})", tail.group(1)):
                inner = group[1:-1]
                if re.search(r"\d", inner) or re.fullmatch(r"[A-Z]+", inner):
                    continue  # "(No. 29)", "(ICRMW)": part of the text
                links += len([n for n in re.split(r",(?![^()]*\))", inner) if n.strip()])
    return {"recommendations": recs, "supported": supported, "noted": noted,
            "recommending_state_links": links}


@pytest.mark.parametrize(("fixture", "layout", "expected"), [
    (CYCLE2, "2014", {"recommendations": 163, "supported": 142, "noted": 21,
                      "recommending_state_links": 180}),
    (CYCLE3, "2019", {"recommendations": 215, "supported": 182, "noted": 33,
                      "recommending_state_links": 223}),
])
def test_matrix_counts_match_the_table(shared_data, tmp_path, fixture, layout, expected):
    path = shared_data / fixture
    assert independent_counts(path) == expected
    result = import_file(project(tmp_path), path)
    m = result.manifest
    assert m["layout"] == layout
    assert {k: m[k] for k in expected} == expected
    assert m["rejected"] == []


def test_matrix_fields(shared_data):
    parsed = ohchr_matrix.parse(shared_data / CYCLE3)
    by_para = {r.paragraph: r for r in parsed.recommendations}
    rec = by_para["121.1"]
    assert [s.iso3 for s in rec.recommending_states] == ["FRA", "LTU"]
    assert rec.text.endswith("Enforced Disappearance")
    assert rec.position_source == "A/HRC/43/15" and rec.position_paragraph == "121"
    assert rec.sdgs == ["16"]
    assert [g.label for g in rec.affected_groups] == ["Disappeared persons"]
    assert rec.cluster.label == "Acceptance of international norms"
    assert by_para["122.1"].position_source == "A/HRC/43/15/Add.1"
    assert [s.iso3 for s in by_para["121.2"].recommending_states] == ["UKR", "SVK"]
    assert "(No. 29)" in by_para["121.3"].text
    assert by_para["121.3"].recommending_states[0].iso3 == "GBR"
    review = rec.review
    assert (review.state.iso3, review.cycle, review.session, review.report) == (
        "SVN", 3, 34, "A/HRC/43/15")
    assert any(m.relation == "exactMatch" and m.target.code == "A12" for m in parsed.mappings)


def test_matrix_2014_codes(shared_data):
    parsed = ohchr_matrix.parse(shared_data / CYCLE2)
    rec = {r.paragraph: r for r in parsed.recommendations}["115.6"]
    assert [s.iso3 for s in rec.recommending_states] == ["IRN"]
    assert rec.text.endswith("(ICRMW)")
    assert {(t.scheme, t.code) for t in rec.themes} >= {("uhri-2014", "A12"), ("uhri-2014", "G4")}
    assert rec.response == "Noted"


def test_reimport_changes_nothing(shared_data, tmp_path):
    settings = project(tmp_path)
    first = import_file(settings, shared_data / CYCLE2)
    nt = (settings.imported_dir / first.manifest["graph_file"]).read_text()
    again = import_file(settings, shared_data / CYCLE2)
    assert again.unchanged
    assert (settings.imported_dir / first.manifest["graph_file"]).read_text() == nt
    assert again.manifest["triples"] == first.manifest["triples"]


# -- synthetic fourth-cycle matrix and corrupted copies ------------------------------

def _matrix(path: Path, header: list[str], rows: list[list[list[str]]], title: str | None) -> Path:
    document = docx.Document()
    if title:
        document.sections[0].header.paragraphs[0].text = title
    table = document.add_table(rows=0, cols=len(header))
    cells = table.add_row().cells
    for cell, text in zip(cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, lines in zip(cells, row, strict=True):
            cell.text = lines[0] if lines else ""
            for line in lines[1:]:
                cell.add_paragraph(line)
    document.save(str(path))
    return path


CYCLE4_HEADER = ["Recommendation and recommending State", "Position of the State under review",
                 "Human rights themes and groups of persons", "Relevant SDGs"]


def _cycle4(tmp_path: Path, title="UPR of Cambodia (4th Cycle – 46th session)", extra=()):
    theme = ["Theme: Acceptance of international norms"]
    rows = [
        [theme, theme, theme, theme],
        [["148.1 Ratify the Optional Protocol to the Convention against Torture (France) "
          "(Iran (Islamic Republic of));"],
         ["Supported", "Source of position: A/HRC/56/8/Add.1 - Para. 3"],
         ["- Acceptance of international norms", "- Prohibition of torture and cruel, "
          "inhuman or degrading treatment", "Affected persons:", "- Persons deprived of "
          "their liberty"],
         ["- 16.3", "- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"]],
        [["148.2 Abolish the death penalty (Holy See, State of Palestine);"],
         ["Noted", "Source of position: A/HRC/56/8/Add.1 - Para. 4"],
         ["- Death penalty"], []],
        *extra,
    ]
    return _matrix(tmp_path / "cycle4.docx", CYCLE4_HEADER, rows, title)


def test_cycle4_layout(tmp_path):
    parsed = ohchr_matrix.parse(_cycle4(tmp_path))
    assert parsed.layout == "cycle4" and not parsed.problems
    first, second = parsed.recommendations
    assert [s.iso3 for s in first.recommending_states] == ["FRA", "IRN"]
    assert first.sdgs == ["16.3", "16"]
    assert [g.label for g in first.affected_groups] == ["Persons deprived of their liberty"]
    assert first.themes[0].scheme == "uhri-cycle4"
    assert [s.iso3 for s in second.recommending_states] == ["VAT", "PSE"]
    assert second.response == "Noted" and second.position_paragraph == "4"
    assert (first.review.state.iso3, first.review.cycle, first.review.session,
            first.review.report) == ("KHM", 4, 46, "A/HRC/56/8")


def test_options_fill_in_and_conflict(tmp_path):
    path = _cycle4(tmp_path, title=None)
    with pytest.raises(SourceError, match="give --state"):
        ohchr_matrix.parse(path)
    parsed = ohchr_matrix.parse(path, ReviewOptions(state="KHM", session=46))
    assert parsed.recommendations[0].review.cycle == 4
    titled = _cycle4(tmp_path)
    with pytest.raises(SourceError, match="conflicting cycle"):
        ohchr_matrix.parse(titled, ReviewOptions(cycle=3))
    with pytest.raises(SourceError, match="conflicting state under review"):
        ohchr_matrix.parse(titled, ReviewOptions(state="FRA"))


def test_unknown_layout_is_an_error(tmp_path):
    path = _matrix(tmp_path / "odd.docx", ["Reco", "Answer", "Topics"],
                   [[["110.1 Do it (France)"], ["Supported"], []]], None)
    with pytest.raises(SourceError, match="unknown layout"):
        ohchr_matrix.parse(path, ReviewOptions(state="KHM", cycle=3))


def test_bad_rows_are_reported_and_left_out(tmp_path):
    bad = [
        [["148.3 Do something (Atlantis);"], ["Supported"], [], []],
        [["148.4 Do something else (France);"], [], [], []],
        [["Do without a number (France);"], ["Supported"], [], []],
        [["148.5 Cut short and no state"], ["Noted"], [], []],
    ]
    settings = project(tmp_path)
    path = _cycle4(tmp_path, extra=bad)
    result = import_file(settings, path)
    reasons = [(p.location, p.reason) for p in result.rejected]
    assert len(reasons) == 4
    assert "unknown state 'Atlantis'" in reasons[0][1] and "148.3" in reasons[0][1]
    assert "missing position" in reasons[1][1]
    assert "no paragraph number" in reasons[2][1]
    assert "no recommending state" in reasons[3][1]
    assert result.manifest["recommendations"] == 2
    nt = (settings.imported_dir / result.manifest["graph_file"]).read_text()
    assert "148.3" not in nt and "148.1" in nt
    report = (settings.imported_dir / f"{result.name}.report.txt").read_text()
    assert report.count("rejected\t") == 4
    with pytest.raises(ImportFailed, match="--strict"):
        import_file(settings, path, name="strict-one", strict=True)
    assert not (settings.imported_dir / "strict-one.nt").exists()


def test_not_a_docx(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceError, match="not a readable Word"):
        ohchr_matrix.parse(path)
