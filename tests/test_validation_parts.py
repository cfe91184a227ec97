"""An import's output validated in parallel parts gives the report of a single run.

The parts divide the recommendations; shared nodes go to every part. The shapes here
add checks on recommendations, on shared nodes (states) and one that reads INTO a
review (how many recommendations point at it), which a part holding only some of the
review's recommendations would get wrong.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from import_helpers import project
from rdflib import RDF, Graph, URIRef

from uprgraph import validation_parts
from uprgraph.importing import _project_graph, import_file
from uprgraph.inputs import Input
from uprgraph.sources import upr_info
from uprgraph.validate import Report, read_results, sort_results, turbo_results, validate
from uprgraph.validation_cache import _records, validate_data
from uprgraph.working import WorkingSet

EXTRA_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix upr: <def/upr#> .
@prefix t: <def/test-shapes#> .
t:ShortText a sh:NodeShape ; sh:targetClass upr:Recommendation ;
    sh:property [ sh:path upr:text ; sh:maxLength 200 ;
                  sh:message "This project wants texts of 200 characters at most." ] .
t:FewStates a sh:NodeShape ; sh:targetClass upr:State ;
    sh:property [ sh:path upr:iso3 ; sh:pattern "^[A-M]" ;
                  sh:message "This project knows states A to M only." ] .
t:SmallReviews a sh:NodeShape ; sh:targetClass upr:Review ;
    sh:property [ sh:path [ sh:inversePath upr:review ] ; sh:minCount 1 ; sh:maxCount 40 ;
                  sh:message "A review lists 1 to 40 recommendations here." ] .
"""


@pytest.fixture
def parallel(monkeypatch):
    """Parts even for small files, two of them whatever the machine."""
    monkeypatch.setattr(validation_parts, "MIN_TRIPLES", 0)
    monkeypatch.setattr(validation_parts, "_cores", lambda: 2)


def imported(tmp_path: Path, source: Path) -> tuple[str, set[str], Graph, Graph]:
    """The N-Triples an import of ``source`` writes, its recommendations, and the project's
    shapes (with the extra ones) and ontology."""
    (tmp_path / "project").mkdir()
    settings = project(tmp_path / "project")
    result = import_file(settings, source)
    text = (settings.imported_dir / f"{result.name}.nt").read_text(encoding="utf-8")
    recs = {line.split(" ", 1)[0] for line in text.splitlines()
            if line.endswith("/def/upr#Recommendation> .")}
    (settings.path(settings.shapes_dir) / "test-extra.ttl").write_text(EXTRA_SHAPES)
    shapes = _project_graph(settings, settings.path(settings.shapes_dir))
    ontology = _project_graph(settings, settings.path(settings.ontology_dir))
    return text, recs, shapes, ontology


def assert_same_as_one_run(text: str, recs: set[str], shapes: Graph, ontology: Graph) -> None:
    cut = validation_parts.split(text, recs, shapes, 2)
    assert cut is not None and all(len(part) < len(text) for part in cut[0])
    whole = read_results(turbo_results(text, shapes, ontology))
    parts = validation_parts.validate_parts(text, recs, shapes, ontology)
    assert whole.violations, "the extra shapes must fail somewhere for the test to mean much"
    assert parts.results == whole.results


def test_parts_report_what_one_run_reports(parallel, tmp_path):
    path = tmp_path / "reviews.csv"
    states = ["Cambodia", "Germany", "Brazil", "France", "Peru", "Zambia"]
    rows = [[state, "Asia", "", f"Recommendation {i} " + "x" * (250 if i % 7 == 0 else 5),
             "Germany", "WEOG", "", "Accepted", "3", "Women's rights", str(2 + i % 3)]
            for state in states for i in range(30 + 5 * len(state))]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(upr_info.COLUMNS), *rows])
    text, recs, shapes, ontology = imported(tmp_path, path)
    assert_same_as_one_run(text, recs, shapes, ontology)
    whole = read_results(turbo_results(text, shapes, ontology))
    assert {"text", "iso3", "review"} <= {r.path.rsplit("#", 1)[-1] for r in whole.violations}


def test_parts_on_real_data(parallel, tmp_path, shared_data):
    source = shared_data / "upr-info" / "upr-info-sessions-01-05.csv"
    if not source.exists():
        pytest.skip(f"{source} is absent")
    assert_same_as_one_run(*imported(tmp_path, source))


def recommendation_class(text: str) -> str:
    return next(line.split(" ")[2][1:-1] for line in text.splitlines()
                if line.endswith("/def/upr#Recommendation> ."))


def in_turns(text: str, shapes: Graph, ontology: Graph, parts: int, folder: Path) -> list:
    """The results of ``text`` validated in ``parts`` parts one after another, from two
    chunks, one in memory and one in a file (as a build hands over its files)."""
    lines = text.splitlines(keepends=True)
    second = folder / "second.nt"
    second.write_text("".join(lines[len(lines) // 2:]), encoding="utf-8")
    chunks: list = ["".join(lines[:len(lines) // 2]).encode(), second]
    spill = folder / "spill" if parts == 3 else None
    if spill:
        spill.mkdir()
    cut = validation_parts.cut(chunks, recommendation_class(text), shapes,
                               size=len(lines) // parts + 1, spill=spill)
    assert cut is not None and len(cut.own) == parts and not chunks
    found = cut.union(_records(turbo_results(part, shapes, ontology)) for part in cut.texts())
    assert not spill or not any(spill.iterdir()), "the parts waiting on disk are removed"
    return found


def ordered(records: list) -> list:
    return sort_results(Report([r for _n3, r in records])).results


@pytest.mark.parametrize("parts", [2, 3])
def test_parts_in_turn_report_what_one_run_reports(tmp_path, parts):
    """Some reviews list more than 40 recommendations, the others fewer: a part without a
    review's recommendations would report it, the one holding them must not."""
    path = tmp_path / "reviews.csv"
    states = ["Cambodia", "Germany", "Brazil", "France", "Peru", "Zambia"]
    rows = [[state, "Asia", "", f"Recommendation {i} " + "x" * (250 if i % 7 == 0 else 5),
             "Germany", "WEOG", "", "Accepted", "3", "Women's rights", str(2 + i % 3)]
            for state in states for i in range(10 + 5 * len(state))]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(upr_info.COLUMNS), *rows])
    text, _recs, shapes, ontology = imported(tmp_path, path)
    whole = _records(turbo_results(text, shapes, ontology))
    assert {"text", "iso3", "review"} <= {r.path.rsplit("#", 1)[-1] for _n3, r in whole
                                          if r.severity == "Violation" and r.path}
    turns = in_turns(text, shapes, ontology, parts, tmp_path)
    assert sorted(n3 for n3, _r in turns) == sorted(n3 for n3, _r in whole)
    assert ordered(turns) == ordered(whole)


def test_parts_in_turn_on_real_data(tmp_path, shared_data):
    source = shared_data / "upr-info" / "upr-info-sessions-01-05.csv"
    if not source.exists():
        pytest.skip(f"{source} is absent")
    text, _recs, shapes, ontology = imported(tmp_path, source)
    whole = _records(turbo_results(text, shapes, ontology))
    assert whole, "the extra shapes must fail somewhere for the test to mean much"
    assert ordered(in_turns(text, shapes, ontology, 3, tmp_path)) == ordered(whole)


def test_a_build_validates_everything_in_turn(tmp_path, monkeypatch):
    """The build's validation of everything (no cache yet) in parts: the report of one run,
    and the log says it was cut."""
    path = tmp_path / "reviews.csv"
    rows = [[state, "Asia", "", f"Recommendation {i} " + "x" * (250 if i % 9 == 0 else 5),
             "Germany", "WEOG", "", "Accepted", "3", "Women's rights", "2"]
            for state in ("Cambodia", "Peru", "Zambia") for i in range(40)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(upr_info.COLUMNS), *rows])
    text, _recs, shapes, ontology = imported(tmp_path, path)
    data = tmp_path / "data.nt"
    data.write_text(text, encoding="utf-8")
    item = Input(data, URIRef("http://x.test/graph/data"), "data")
    work = WorkingSet([item])
    work.parse(item, "http://localhost:8080/")
    monkeypatch.setattr(validation_parts, "PART_TRIPLES", text.count("\n") // 3)
    log: list[str] = []
    ours = validate_data(work, [item], shapes, ontology, folder=tmp_path / "cache",
                         log=log.append, divide=recommendation_class(text))
    assert any("parts validated one after another" in line for line in log), log
    assert ours.violations
    assert ours.results == read_results(turbo_results(text, shapes, ontology)).results


def test_a_recommendation_pointing_at_another_is_validated_in_one_run(tmp_path):
    shapes = Graph().parse(data=EXTRA_SHAPES, format="turtle", publicID="http://x.test/")
    a, b = "<http://x.test/id/recommendation/a>", "<http://x.test/id/recommendation/b>"
    text = f'{a} <http://x.test/def/upr#text> "a"@en .\n{a} <http://x.test/p> {b} .\n'
    assert validation_parts.split(text, {a, b}, shapes, 2) is None
    typed = "".join(f"{r} <{RDF.type}> <http://x.test/def/upr#Recommendation> .\n" for r in (a, b))
    assert validation_parts.cut([(text + typed).encode()], "http://x.test/def/upr#Recommendation",
                                shapes, size=1) is None


def test_non_ascii_text_reaches_the_engine_unchanged():
    """The engine is handed ASCII (non-ASCII written as escapes): the values it reports are
    the data's own characters, as when it reads an rdflib graph."""
    shapes = Graph().parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <http://x.test/S> a sh:NodeShape ; sh:targetSubjectsOf <http://x.test/name> ;
            sh:property [ sh:path <http://x.test/name> ; sh:maxLength 3 ] .""",
                           format="turtle")
    text = ('<http://x.test/id/Zoë> <http://x.test/name> "Ségolène 😀 €"@fr .\n'
            '<http://x.test/id/a> <http://x.test/name> "ok" .\n')
    reference = validate(Graph().parse(data=text, format="nt"), shapes)
    for given in (text, [text.encode("utf-8")], [b"", *(line.encode() + b"\n" for line in
                                                         text.splitlines())]):
        report = read_results(turbo_results(given, shapes))
        assert report.results == reference.results
    (result,) = reference.results
    assert result.focus == "http://x.test/id/Zoë" and "Ségolène 😀 €" in result.value
