"""Evidence kept in a spreadsheet: findings and assessments sheets imported by `uprgraph import`.

The worked example (docs/templates/example-cchr-2021-findings.csv) is the seed's own
findings as rows of the template: importing it gives the bundled Turtle's findings.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF

from uprgraph.cli import main
from uprgraph.config import load_settings
from uprgraph.importing import ImportFailed, import_file
from uprgraph.sources import evidence

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "docs" / "templates"
EXAMPLE = TEMPLATES / "example-cchr-2021-findings.csv"
FINDINGS_TTL = ROOT / "data" / "cambodia" / "findings-cchr-2021.ttl"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_project(dest: Path, *, seed_findings: bool = False, extras: tuple[str, ...] = ()):
    """The bundled project, without the seed's findings unless asked (the sheet restates
    them), with fixtures from tests/fixtures added to data/."""
    for name in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("imported"))
    if not seed_findings:
        (dest / "data" / "cambodia" / "findings-cchr-2021.ttl").unlink()
    for extra in extras:
        shutil.copy(FIXTURES / extra, dest / "data" / extra)
    return load_settings(dest)


def example_rows() -> tuple[list[str], list[dict[str, str]]]:
    with EXAMPLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def some_rows() -> tuple[list[str], list[dict[str, str]]]:
    """Rows of the example with places, one and two figures, a date, a period (quicker to
    import than all 38)."""
    header, rows = example_rows()
    return header, rows[:4] + rows[-2:]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def without_import_node(graph: Graph, settings, name: str) -> tuple[Graph, int]:
    node = settings.iris.imported(name)
    rest = Graph()
    dropped = 0
    for triple in graph:
        if triple[0] == node:
            dropped += 1
        else:
            rest.add(triple)
    return rest, dropped


def test_templates_have_the_columns_the_importer_reads() -> None:
    for kind, stem in ((evidence.FINDINGS, "findings"), (evidence.ASSESSMENTS, "assessments")):
        columns = evidence.template_columns(kind)
        with (TEMPLATES / f"{stem}.csv").open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == columns
        sheet = load_workbook(TEMPLATES / f"{stem}.xlsx", read_only=True).worksheets[0]
        assert [c for c in next(sheet.iter_rows(values_only=True))] == columns
    assert example_rows()[0] == evidence.template_columns(evidence.FINDINGS)


def test_worked_example_gives_the_bundled_findings(tmp_path) -> None:
    settings = make_project(tmp_path)
    result = import_file(settings, EXAMPLE)
    assert result.manifest["findings"] == 38 and result.manifest["rejected"] == []
    imported = Graph().parse(settings.imported_dir / f"{result.name}.nt")
    bundled = Graph().parse(FINDINGS_TTL, publicID=settings.iris.base)
    findings, dropped = without_import_node(imported, settings, result.name)
    # what differs, and why: the import adds one node describing the file it read (name,
    # SHA-256, format, time), as every import does; the findings, their figures, dates,
    # places and sources are the same triples as the hand-written Turtle
    assert dropped == 6
    _both, only_bundled, only_imported = graph_diff(to_isomorphic(bundled),
                                                    to_isomorphic(findings))
    assert not len(only_bundled) and not len(only_imported)
    assert isomorphic(bundled, findings)


def test_xlsx_reads_as_the_csv(tmp_path) -> None:
    settings = make_project(tmp_path / "xlsx")
    header, rows = some_rows()
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:  # numbers and years typed as numbers, as a spreadsheet program keeps them
        sheet.append([int(v) if v.isdigit() else v for v in (row[c] for c in header)])
    book.save(tmp_path / "findings.xlsx")
    from_xlsx = import_file(settings, tmp_path / "findings.xlsx")
    other = make_project(tmp_path / "csv")  # each restates the same findings
    from_csv = import_file(other, write_csv(tmp_path / "from-csv.csv", header, rows))
    assert from_xlsx.manifest["layout"] == "xlsx" and from_xlsx.manifest["findings"] == 6
    assert from_csv.manifest["layout"] == "csv"
    a, _ = without_import_node(Graph().parse(settings.imported_dir / "findings.nt"),
                               settings, "findings")
    b, _ = without_import_node(Graph().parse(other.imported_dir / "from-csv.nt"),
                               other, "from-csv")
    assert isomorphic(a, b)


def _broken(tmp_path: Path, row_index: int, **cells: str) -> Path:
    header, rows = example_rows()
    rows[row_index].update(cells)
    return write_csv(tmp_path / "findings-2021.csv", header, rows)


BAD_CELLS = [
    ({"figure 1 bound": "roughly"}, "figure 1 bound", "'roughly' is not one of: exact"),
    ({"figure 1 value": "35,100"}, "figure 1 value", "not a number"),
    ({"date": "2020-13"}, "date", "not a date"),
    ({"direction": "sideways"}, "direction", "not one of: progress, regression"),
    ({"theme": "Fishing"}, "theme", "no themes called 'Fishing'"),
    ({"cycle": "4"}, "cycle", "no review of Cambodia in cycle 4"),
    ({"source": "rumours"}, "source", "no source report 'rumours'"),
    ({"statement": ""}, "statement", "empty"),
    ({"access level": "secret"}, "access level", "not one of: public, restricted"),
    ({"recommendations": "KHM/3/999.9"}, "recommendations", "no recommendation 'KHM/3/999.9'"),
    ({"id": "cchr-upr-2021/progress-access-to-justice-1"}, "id", "the same as row 2"),
    ({"figure 2 counts": "things", "figure 2 bound": "exact"}, "figure 2 value",
     "figure 2 is given"),
]


@pytest.mark.parametrize(("cells", "column", "reason"), BAD_CELLS,
                         ids=[c for _, c, _ in BAD_CELLS])
def test_one_bad_row_rejects_the_sheet(tmp_path, cells, column, reason) -> None:
    settings = make_project(tmp_path)
    path = _broken(tmp_path, 3, **cells)  # the sheet's row 5
    with pytest.raises(ImportFailed) as caught:
        import_file(settings, path)
    problems = caught.value.problems
    assert [(p.file, p.location) for p in problems] == [
        ("findings-2021.csv", f"row 5, column {column!r}")]
    assert reason in problems[0].reason
    assert not settings.imported_dir.exists(), "nothing of the sheet is written"


def test_command_line_names_file_row_column_and_keeps_the_previous_import(tmp_path) -> None:
    settings = make_project(tmp_path)
    runner = CliRunner()
    header, rows = some_rows()
    sheet = write_csv(tmp_path / "some.csv", header, rows)
    good = runner.invoke(main, ["--project", str(tmp_path), "import", str(sheet),
                                "--name", "cchr"])
    assert good.exit_code == 0, good.output
    assert "6 findings" in good.output
    before = {p.name: p.read_bytes() for p in settings.imported_dir.iterdir()}
    bad = _broken(tmp_path, 10, **{"period end": "last year"})
    result = runner.invoke(main, ["--project", str(tmp_path), "import", str(bad),
                                  "--name", "cchr"])
    assert result.exit_code == 1
    assert ("findings-2021.csv: row 12, column 'period end': 'last year' is not a date"
            in result.output)
    assert "nothing imported" in result.output
    assert {p.name: p.read_bytes() for p in settings.imported_dir.iterdir()} == before


def test_header_problems_are_named(tmp_path) -> None:
    settings = make_project(tmp_path)
    header, rows = example_rows()
    header = [("statment" if c == "statement" else c) for c in header]
    for row in rows:
        row["statment"] = row.pop("statement")
    with pytest.raises(ImportFailed) as caught:
        import_file(settings, write_csv(tmp_path / "typo.csv", header, rows))
    found = {(p.location, p.reason.split(";")[0]) for p in caught.value.problems}
    assert found == {("header, column 'statment'", "unknown column"),
                     ("header, column 'statement'", "missing column")}


def test_the_empty_template_is_refused(tmp_path) -> None:
    settings = make_project(tmp_path)
    with pytest.raises(ImportFailed) as caught:
        import_file(settings, TEMPLATES / "findings.xlsx")
    assert [p.reason for p in caught.value.problems] == [
        "no rows below the header: nothing to import"]


def test_a_finding_already_in_the_data_is_refused(tmp_path) -> None:
    settings = make_project(tmp_path, seed_findings=True)
    header, rows = example_rows()
    with pytest.raises(ImportFailed) as caught:
        import_file(settings, write_csv(tmp_path / "again.csv", header, rows[:1]))
    [problem] = caught.value.problems
    assert problem.location == "row 2, column 'id'" and "already described" in problem.reason


def test_shapes_refuse_a_public_finding_from_a_restricted_source(tmp_path) -> None:
    settings = make_project(tmp_path, extras=("restricted-finding.ttl",))
    header, rows = example_rows()
    rows = rows[:2]
    rows[1]["source"] = "testimony-2020-12"  # restricted in the fixture; the row says public
    with pytest.raises(ImportFailed) as caught:
        import_file(settings, write_csv(tmp_path / "leak.csv", header, rows))
    [problem] = caught.value.problems
    assert problem.location.startswith("row 3")
    assert problem.reason.startswith("SHACL:") and "restricted" in problem.reason.lower()


ASSESSMENTS = """recommendation,status,assessor,date,source,comment,access level
KHM/3/110.1,not implemented,Example assessor,2019-12,cchr-upr-two-years-on-2021,None.,public
KHM/3/110.1,partially implemented,Cambodian Center for Human Rights,2021-01,\
cchr-upr-two-years-on-2021,"Courts established, backlog cleared.",public
KHM/3/110.1,fully implemented,Example assessor,2023-06-30,cchr-upr-two-years-on-2021,,public
KHM/3/110.1,not implemented,RESTRICTED-MARKER witness group,2022,,RESTRICTED-MARKER seen,restricted
"""


def test_public_assessment_without_source(tmp_path) -> None:
    settings = make_project(tmp_path, extras=("valid-extras.ttl",))
    path = tmp_path / "assessments.csv"
    path.write_text(ASSESSMENTS.splitlines()[0] + "\nKHM/3/110.1,not implemented,X,2021,,,public\n")
    with pytest.raises(ImportFailed) as caught:
        import_file(settings, path)
    [problem] = caught.value.problems
    assert problem.location == "row 2, column 'source'" and "cites" in problem.reason


def test_assessments_over_time(tmp_path) -> None:
    settings = make_project(tmp_path, seed_findings=True, extras=("valid-extras.ttl",))
    path = tmp_path / "assessments.csv"
    path.write_text(ASSESSMENTS, encoding="utf-8")
    result = import_file(settings, path)
    assert result.manifest["assessments"] == 4 and result.manifest["restricted"] == 1
    graph = Graph().parse(settings.imported_dir / "assessments.nt")
    upr = settings.iris.upr
    rec = settings.iris.recommendation("KHM", 3, "110.1")
    statuses = sorted(
        (str(graph.value(a, URIRef("http://purl.org/dc/terms/date"))),
         str(graph.value(a, upr.implementationStatus)).rsplit("#")[-1],
         str(graph.value(a, URIRef("http://www.w3.org/ns/prov#wasAttributedTo"))))
        for a in graph.subjects(upr.assesses, rec))
    base = settings.iris.base
    assert statuses == [
        ("2019-12", "NotImplemented", base + "id/organisation/example-assessor"),
        ("2021-01", "PartiallyImplemented", base + "id/organisation/cchr"),
        ("2022", "NotImplemented", base + "id/organisation/restricted-marker-witness-group"),
        ("2023-06-30", "FullyImplemented", base + "id/organisation/example-assessor"),
    ]
    # the assessor only a restricted row names is restricted too: the build withholds it
    witness = URIRef(base + "id/organisation/restricted-marker-witness-group")
    assert (witness, upr.accessLevel, upr.Restricted) in graph
    assert (witness, RDF.type, upr.Organisation) in graph
    # the same sheet again mints the same IRIs: an update, not a duplicate
    again = import_file(settings, path)
    assert again.unchanged


def test_assessment_of_an_unknown_recommendation(tmp_path) -> None:
    settings = make_project(tmp_path)
    path = tmp_path / "assessments.csv"
    path.write_text(ASSESSMENTS.splitlines()[0] + "\nKHM/3/110.1,not implemented,X,2021,,,"
                    "restricted\nKHM/3/110.2,done,X,2021,,,restricted\n")
    with pytest.raises(ImportFailed) as caught:
        import_file(settings, path)
    # every row's problems at once, in row order (a row whose cells do not read is not
    # looked up in the data)
    assert [(p.location, p.reason.split(" (")[0].split(":")[0])
            for p in caught.value.problems] == [
        ("row 2, column 'recommendation'", "no recommendation 'KHM/3/110.1' in the data"),
        ("row 3, column 'status'", "'done' is not one of"),
    ]


def test_semicolon_separated_csv(tmp_path) -> None:
    """Spreadsheet programs where the decimal mark is a comma write ';' between cells."""
    settings = make_project(tmp_path)
    header, rows = some_rows()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "semicolons.csv"
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    assert import_file(settings, path).manifest["findings"] == 6


NEW_FINDINGS = """id,state,cycle,theme,theme scheme,direction,headline,statement,date,places,\
figure 1 value,figure 1 bound,figure 1 counts,source,access level
ngo-2023/progress-land-rights-1,Cambodia,3,Land rights,cchr-upr-2021,progress,\
Land titles for 12 communities,Twelve indigenous communities received collective land titles.,\
2023-03,Mondulkiri,12,exact,communities given collective land titles,\
cchr-upr-two-years-on-2021,public
ngo-2023/regression-civic-space-1,KHM,3,Civic space,cchr-upr-2021,regression,\
RESTRICTED-MARKER headline,RESTRICTED-MARKER testimony of a defender,2023-04,\
RESTRICTED-MARKER village,3,exact,RESTRICTED-MARKER occasions,testimony-2020-12,restricted
"""


@pytest.fixture(scope="module")
def served_evidence(tmp_path_factory):
    """Findings and assessments sheets imported, the release built and served on loopback."""
    from web_fixtures import start_waitress

    from uprgraph.build import build
    from uprgraph.web import create_app

    project = tmp_path_factory.mktemp("evidence-served")
    settings = make_project(project, seed_findings=True,
                            extras=("valid-extras.ttl", "restricted-finding.ttl"))
    (project / "findings-2023.csv").write_text(NEW_FINDINGS, encoding="utf-8")
    (project / "assessments.csv").write_text(ASSESSMENTS, encoding="utf-8")
    import_file(settings, project / "findings-2023.csv")
    import_file(settings, project / "assessments.csv")
    build(settings)
    app = create_app(settings)
    server, handle = start_waitress(app)
    yield settings, server
    handle.close()
    app.extensions["uprgraph"].close()


def test_imported_finding_appears_on_the_review_page(served_evidence) -> None:
    settings, server = served_evidence
    page = server.get("/doc/review/KHM/3", accept="text/html")
    assert page.status == 200
    assert "Land titles for 12 communities" in page.text
    finding = server.get("/doc/finding/ngo-2023/progress-land-rights-1", accept="text/html")
    assert finding.status == 200 and "Mondulkiri" in finding.text


def test_restricted_rows_are_never_published(served_evidence) -> None:
    settings, server = served_evidence
    from uprgraph.release import current

    release = current(settings)
    assert release.manifest["withheld"] > 0
    import gzip

    for dump in release.manifest["dumps"]:
        body = (release.dumps_path / dump["file"]).read_bytes()
        if dump["file"].endswith(".gz"):
            body = gzip.decompress(body)
        assert b"RESTRICTED-MARKER" not in body and b"restricted-marker" not in body, dump
    answer = server.query('SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?o)), '
                          '"restricted-marker") || CONTAINS(LCASE(STR(?s)), "restricted-marker")'
                          ' || CONTAINS(STR(?s), "ngo-2023/regression")) }',
                          "application/sparql-results+json")
    assert answer.status == 200 and b'"bindings":[]' in answer.body.replace(b" ", b"")
    for path in ("/doc/review/KHM/3", "/doc/recommendation/KHM/3/110.1",
                 "/doc/theme/cchr-upr-2021/civic-space", "/doc/state/KHM"):
        for accept in ("text/html", "text/turtle"):
            reply = server.get(path, accept=accept)
            assert reply.status == 200 and b"RESTRICTED-MARKER" not in reply.body
    assert server.get("/doc/finding/ngo-2023/regression-civic-space-1").status == 404
    witness = "/doc/organisation/restricted-marker-witness-group"
    assert server.get(witness).status == 404


def test_assessment_history_is_queryable(served_evidence) -> None:
    settings, server = served_evidence
    answer = server.query(
        "PREFIX upr: <def/upr#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?date ?status WHERE { ?a upr:assesses <id/recommendation/KHM/3/110.1> ; "
        "dcterms:date ?date ; upr:implementationStatus ?status } ORDER BY ?date", "text/csv")
    assert answer.status == 200
    rows = list(csv.reader(io.StringIO(answer.text)))[1:]
    upr = str(settings.iris.upr)
    # the fixture's own assessment (2021-01-15) and the sheet's public ones; not the restricted
    assert [(d, s.removeprefix(upr)) for d, s in rows] == [
        ("2019-12", "NotImplemented"), ("2021-01", "PartiallyImplemented"),
        ("2021-01-15", "PartiallyImplemented"), ("2023-06-30", "FullyImplemented")]


def test_docs_describe_every_column() -> None:
    docs = (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")
    for column in [*evidence.FINDING_COLUMNS, *evidence.ASSESSMENT_COLUMNS]:
        assert f"`{column}`" in docs, f"column {column!r} is missing from docs/evidence.md"
    for part in evidence.FIGURE_PARTS:
        assert f"`figure N {part}`" in docs
    assert "docs/evidence.md" in (ROOT / "README.md").read_text(encoding="utf-8")
