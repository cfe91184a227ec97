"""Evidence kept in a spreadsheet: findings and implementation assessments, row by row.

Two templates (``docs/templates/``; columns below, in the order the templates
list them): a **findings** sheet, one finding of progress or regression per row
with as many figures as it needs (``figure 1 value``, ``figure 1 bound``, ...),
and an **assessments** sheet, one implementation status of one recommendation
per row. This module reads the cells and checks what a cell alone can tell
(a date, a number, a bound, a direction); what a cell names in the data (a
review, a theme, a source, a recommendation) is resolved by
:mod:`uprgraph.graph.evidence`. Every problem names its row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..records import Problem
from ..states import State, UnknownState, resolve
from .sheets import Sheet

FINDINGS = "evidence-findings"
ASSESSMENTS = "evidence-assessments"

#: column -> (required, what the column holds); order is the templates' order
FINDING_COLUMNS: dict[str, tuple[bool, str]] = {
    "id": (True, "{collection}/{name}: the finding's stable name, e.g. cchr-upr-2021/progress-"
                 "access-to-justice-1 (re-importing the same id updates the finding)"),
    "state": (True, "the state under review: ISO 3166 code (KHM) or name (Cambodia)"),
    "cycle": (True, "the review's UPR cycle: 1, 2, 3 or 4"),
    "theme": (True, "the theme: its label or code in the data; several separated by ;"),
    "theme scheme": (False, "the theme's scheme (e.g. cchr-upr-2021) when a label is ambiguous"),
    "direction": (True, "progress or regression"),
    "headline": (False, "the short title, as a reader would scan it"),
    "statement": (True, "the finding's full text"),
    "date": (False, "when: 2020, 2020-08 or 2020-08-15"),
    "period start": (False, "start of the period covered: 2020, 2020-07 or 2020-07-01"),
    "period end": (False, "end of the period covered"),
    "places": (False, "places within the state, separated by ;"),
    "recommendations": (False, "recommendations it bears on: KHM/3/110.1; several by ;"),
    "source": (True, "the source report in the data: its name (cchr-upr-two-years-on-2021) "
                     "or title"),
    "source location": (False, "where in the source: page, section, bullet"),
    "access level": (True, "public or restricted (restricted rows are never published)"),
}
#: figure columns, repeated as ``figure 1 value``, ``figure 2 value``, ...
FIGURE_PARTS: dict[str, tuple[bool, str]] = {
    "value": (True, "the number, without thousands separators: 35100, 89, 2.5"),
    "bound": (True, "exact, at least, more than or approximately"),
    "counts": (True, "what the number counts: court cases cleared"),
    "unit": (False, "a unit when the number has one: percent, years"),
}
TEMPLATE_FIGURES = 3

ASSESSMENT_COLUMNS: dict[str, tuple[bool, str]] = {
    "recommendation": (True, "the recommendation: state/cycle/paragraph as in its IRI "
                             "(KHM/3/110.1) or its full IRI"),
    "status": (True, "fully implemented, partially implemented or not implemented"),
    "assessor": (True, "who judges: an organisation's name (new names are added)"),
    "date": (True, "when it was judged: 2021, 2021-01 or 2021-01-15"),
    "source": (False, "the source report in the data that publishes the judgement "
                      "(required for public rows; a restricted row may have none)"),
    "comment": (False, "the assessor's reasons, as text"),
    "access level": (True, "public or restricted (restricted rows are never published)"),
}

DIRECTIONS = {"progress": "Progress", "regression": "Regression"}
BOUNDS = {"exact": "Exact", "at least": "AtLeast", "more than": "MoreThan",
          "approximately": "Approximately", "about": "Approximately"}
STATUSES = {"fully implemented": "FullyImplemented", "partially implemented":
            "PartiallyImplemented", "not implemented": "NotImplemented"}
ACCESS = {"public": "Public", "restricted": "Restricted"}

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_FIGURE = re.compile(r"^figure (\d+) (value|bound|counts|unit)$")


def figure_columns(n: int) -> list[str]:
    return [f"figure {i} {part}" for i in range(1, n + 1) for part in FIGURE_PARTS]


def template_columns(kind: str) -> list[str]:
    """The header row of a template."""
    if kind == FINDINGS:
        names = list(FINDING_COLUMNS)
        at = names.index("source")
        return names[:at] + figure_columns(TEMPLATE_FIGURES) + names[at:]
    return list(ASSESSMENT_COLUMNS)


def kind_of(header: list[str]) -> str | None:
    """Which template a header row follows, if any."""
    names = set(header)  # loosely: a missing column is then reported by name
    if "direction" in names and names & {"statement", "theme"}:
        return FINDINGS
    if "recommendation" in names and names & {"status", "assessor"}:
        return ASSESSMENTS
    return None


@dataclass(frozen=True)
class Figure:
    n: int
    value: str  # the lexical form: an xsd:integer or xsd:decimal
    bound: str  # local name in the ontology: Exact, AtLeast, ...
    counts: str
    unit: str | None = None


@dataclass
class FindingRow:
    row: int
    collection: str
    name: str
    state: State
    cycle: int
    themes: list[str]
    theme_scheme: str | None
    direction: str
    statement: str
    source: str
    access: str
    headline: str | None = None
    date: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    places: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    source_location: str | None = None


@dataclass
class AssessmentRow:
    row: int
    recommendation: str
    status: str
    assessor: str
    date: str
    access: str
    source: str | None = None
    comment: str | None = None


@dataclass
class ParsedEvidence:
    kind: str
    layout: str
    rows: int
    findings: list[FindingRow] = field(default_factory=list)
    assessments: list[AssessmentRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def where(row: int, column: str) -> str:
    return f"row {row}, column {column!r}"


class _Row:
    """One row's cells, collecting the problems of the row as they are read."""

    def __init__(self, file: str, number: int, cells: dict[str, str],
                 problems: list[Problem]) -> None:
        self.file, self.number, self.cells, self.problems = file, number, cells, problems

    def bad(self, column: str, reason: str) -> None:
        self.problems.append(Problem(self.file, where(self.number, column), reason))

    def text(self, column: str, required: bool = False) -> str | None:
        value = " ".join(self.cells.get(column, "").split())
        if not value:
            if required:
                self.bad(column, "empty; this column must be filled in")
            return None
        return value

    def choice(self, column: str, choices: dict[str, str], required: bool = True) -> str | None:
        value = self.text(column, required)
        if value is None:
            return None
        key = " ".join(value.lower().replace("_", " ").split())
        found = choices.get(key) or next(
            (v for v in choices.values() if v.lower() == key.replace(" ", "")), None)
        if found is None:
            self.bad(column, f"{value!r} is not one of: {', '.join(dict.fromkeys(choices))}")
        return found

    def date(self, column: str, required: bool = False) -> str | None:
        value = self.text(column, required)
        if value is None:
            return None
        match = _DATE.match(value)
        if not match or not _valid_date(*match.groups()):
            self.bad(column, f"{value!r} is not a date: write 2020, 2020-08 or 2020-08-15")
            return None
        return value

    def listing(self, column: str) -> list[str]:
        value = self.text(column)
        return [v.strip() for v in value.split(";") if v.strip()] if value else []


def _valid_date(year: str, month: str | None, day: str | None) -> bool:
    from datetime import date

    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return False
    return True


def _unknown_columns(sheet: Sheet, kind: str) -> list[str]:
    known = set(FINDING_COLUMNS if kind == FINDINGS else ASSESSMENT_COLUMNS)
    return [c for c in sheet.header
            if c and c not in known and not (kind == FINDINGS and _FIGURE.match(c))]


def parse(sheet: Sheet, kind: str) -> ParsedEvidence:
    """Every row of ``sheet`` read as ``kind`` (:data:`FINDINGS` or :data:`ASSESSMENTS`)."""
    name = sheet.path.name
    parsed = ParsedEvidence(kind, sheet.layout, len(sheet.rows))
    problems = parsed.problems
    columns = FINDING_COLUMNS if kind == FINDINGS else ASSESSMENT_COLUMNS
    for column in _unknown_columns(sheet, kind):
        problems.append(Problem(name, f"header, column {column!r}",
                                f"unknown column; the columns are: {', '.join(columns)}"
                                + (", figure N value|bound|counts|unit" if kind == FINDINGS
                                   else "")))
    for column, (required, _what) in columns.items():
        if required and column not in sheet.header:
            problems.append(Problem(name, f"header, column {column!r}", "missing column"))
    if len(set(sheet.header) - {""}) != len([c for c in sheet.header if c]):
        problems.append(Problem(name, "header", "a column name appears twice"))
    for number in sheet.overflow:
        problems.append(Problem(name, f"row {number}", "cells beyond the last named column"))
    if not sheet.rows:
        problems.append(Problem(name, "row 2", "no rows below the header: nothing to import"))
    if problems:
        return parsed
    for number, cells in sheet.rows:
        row = _Row(name, number, cells, problems)
        if kind == FINDINGS:
            finding = _finding(row)
            if finding is not None:
                parsed.findings.append(finding)
        else:
            assessment = _assessment(row)
            if assessment is not None:
                parsed.assessments.append(assessment)
    return parsed


def _finding(row: _Row) -> FindingRow | None:
    before = len(row.problems)
    ident = row.text("id", True)
    collection = local = ""
    if ident is not None:
        collection, _, local = ident.partition("/")
        if not collection.strip() or not local.strip() or "/" in local:
            row.bad("id", f"{ident!r} is not {{collection}}/{{name}} "
                          "(e.g. cchr-upr-2021/progress-civic-space-1)")
    state = _state(row)
    cycle_text = row.text("cycle", True)
    cycle = 0
    if cycle_text is not None:
        if cycle_text.isdigit() and 1 <= int(cycle_text) <= 9:
            cycle = int(cycle_text)
        else:
            row.bad("cycle", f"{cycle_text!r} is not a UPR cycle number (1, 2, 3, 4)")
    themes = row.listing("theme")
    if not themes:
        row.bad("theme", "empty; name at least one theme")
    finding = FindingRow(
        row=row.number, collection=collection.strip(), name=local.strip(),
        state=state, cycle=cycle, themes=themes,  # type: ignore[arg-type]
        theme_scheme=row.text("theme scheme"),
        direction=row.choice("direction", DIRECTIONS) or "",
        statement=row.text("statement", True) or "",
        source=row.text("source", True) or "",
        access=row.choice("access level", ACCESS) or "",
        headline=row.text("headline"),
        date=row.date("date"),
        period_start=row.date("period start"),
        period_end=row.date("period end"),
        places=row.listing("places"),
        recommendations=row.listing("recommendations"),
        figures=_figures(row),
        source_location=row.text("source location"),
    )
    return finding if len(row.problems) == before else None


def _state(row: _Row) -> State | None:
    value = row.text("state", True)
    if value is None:
        return None
    try:
        return resolve(value)
    except UnknownState:
        row.bad("state", f"{value!r} is not a state this tool knows (give its ISO code: KHM)")
        return None


def _figures(row: _Row) -> list[Figure]:
    numbers = sorted({int(m.group(1)) for c in row.cells if (m := _FIGURE.match(c))})
    figures: list[Figure] = []
    for n in numbers:
        cells = {part: row.text(f"figure {n} {part}") for part in FIGURE_PARTS}
        if not any(cells.values()):
            continue
        for part, (required, what) in FIGURE_PARTS.items():
            if required and cells[part] is None:
                row.bad(f"figure {n} {part}", f"empty, but figure {n} is given: {what}")
        value = cells["value"]
        if value is not None and not _NUMBER.match(value):
            row.bad(f"figure {n} value", f"{value!r} is not a number: write 35100 or 2.5 "
                                         "(no thousands separators, no unit)")
        bound = row.choice(f"figure {n} bound", BOUNDS) if cells["bound"] else None
        if value and bound and cells["counts"]:
            figures.append(Figure(len(figures) + 1, value, bound, cells["counts"],
                                  cells["unit"]))
    return figures


def _assessment(row: _Row) -> AssessmentRow | None:
    before = len(row.problems)
    assessment = AssessmentRow(
        row=row.number,
        recommendation=row.text("recommendation", True) or "",
        status=row.choice("status", STATUSES) or "",
        assessor=row.text("assessor", True) or "",
        date=row.date("date", True) or "",
        access=row.choice("access level", ACCESS) or "",
        source=row.text("source"),
        comment=row.text("comment"),
    )
    return assessment if len(row.problems) == before else None
