"""Spreadsheets as people keep them: a CSV file or the first sheet of an ``.xlsx`` workbook.

Both give the same thing: the header's column names and every non-empty row
as ``{column: text}``, numbered as a spreadsheet program numbers them (the
header is row 1), so an error can say "row 7, column date" and the person
finds the cell. ``.xlsx`` is read with openpyxl; numbers and dates typed into
cells become the text a person would have typed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..records import SourceError

XLSX_MARKER = "xl/workbook.xml"


def column_key(name: str) -> str:
    """``Figure 1 Value``, ``figure_1_value`` and ``figure-1-value`` are one column."""
    return " ".join(re.sub(r"[_\-\s]+", " ", name.strip().lower()).split())


@dataclass
class Sheet:
    """A header and its rows; ``rows`` holds (spreadsheet row number, {column key: text})."""

    path: Path
    layout: str  # "csv" or "xlsx"
    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    #: rows with text in cells beyond the header's last column (which no column names)
    overflow: list[int] = field(default_factory=list)


def is_xlsx(path: Path) -> bool:
    """A zip file holding a workbook (a .docx is a zip file too, holding a document)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return XLSX_MARKER in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def header_of(path: Path) -> list[str]:
    """The column keys of a sheet's header row (empty when unreadable)."""
    try:
        return read(path, header_only=True).header
    except SourceError:
        return []


def read(path: Path, *, header_only: bool = False) -> Sheet:
    if is_xlsx(path):
        return _read_xlsx(path, header_only)
    return _read_csv(path, header_only)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # spreadsheet programs' plain "CSV" is Windows-1252 where they are not told otherwise
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path, header_only: bool) -> Sheet:
    try:
        text = _decode(path)
    except OSError as exc:
        raise SourceError(f"{path.name}: cannot read: {exc.strerror}") from None
    lines = text.splitlines(keepends=True)
    if header_only:
        lines = lines[:1]
    # spreadsheet programs write "," or, where the decimal mark is a comma, ";" (or tabs);
    # the header row, free of quoted text, tells which
    first = lines[0] if lines else ""
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO("".join(lines)), csv.excel, delimiter=delimiter)
    try:
        table = list(reader)
    except csv.Error as exc:
        raise SourceError(f"{path.name}: row {reader.line_num}: not valid CSV: {exc}") from None
    return _sheet(path, "csv", table)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, header_only: bool) -> Sheet:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SourceError(f"{path.name}: not a readable .xlsx workbook: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_row=1 if header_only else None)
        table = [[_cell_text(v) for v in row] for row in rows]
    finally:
        workbook.close()
    return _sheet(path, "xlsx", table)


def _sheet(path: Path, layout: str, table: list[list[str]]) -> Sheet:
    if not table:
        raise SourceError(f"{path.name}: empty: no header row")
    header = [column_key(c) for c in table[0]]
    while header and not header[-1]:
        header.pop()
    sheet = Sheet(path, layout, header)
    for number, cells in enumerate(table[1:], start=2):
        values = {name: (cells[i] if i < len(cells) else "").strip()
                  for i, name in enumerate(header) if name}
        if any(values.values()):
            sheet.rows.append((number, values))
        if any(c.strip() for c in cells[len(header):]):
            sheet.overflow.append(number)
    return sheet
