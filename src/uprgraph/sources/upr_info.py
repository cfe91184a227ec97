"""UPR Info database exports (CSV) -> recommendation records.

Columns ``To, To-Rgrp, To-Org, Text, From, From-Rgrp, From-Org, Response,
Action, Issue, Session``. Encoding: UTF-8 (with or without BOM), else
Mac-Roman when lines end in CR only (the classic export), else Windows-1252.

Stable identifier (the export has no paragraph numbers)::

    "ui-" + sha1("{session}|{to ISO3}|{sorted from ISO3s, comma-joined}|{text key}")[:12]

where the text key is the text NFC-normalised, whitespace collapsed, trailing
" .;" removed and case-folded. Response, action and issues are not part of the
key, so a newer export that corrects them updates the same recommendation.
Rows in one file with the same key get "-2", "-3"... in file order and are
reported as warnings (identical duplicates and near-duplicates alike).
Rows are numbered as in a spreadsheet: the header is row 1.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from pathlib import Path

from ..records import (
    NOTED,
    SUPPORTED,
    Organisation,
    ParsedSource,
    Problem,
    Recommendation,
    Review,
    SourceError,
)
from ..states import UnknownState, is_unknown, resolve
from . import themes
from .common import ReviewOptions, agree, cycle_of_session

FORMAT = "upr-info"
COLUMNS = ("To", "To-Rgrp", "To-Org", "Text", "From", "From-Rgrp", "From-Org",
           "Response", "Action", "Issue", "Session")
RESPONSES = {"accepted": SUPPORTED, "supported": SUPPORTED, "noted": NOTED}
#: the organisations of the To-Org and From-Org columns, by the codes UPR Info uses
ORGANISATIONS = {
    "ACS": "Association of Caribbean States",
    "AL": "League of Arab States",
    "ASEAN": "Association of Southeast Asian Nations",
    "AU": "African Union",
    "CIS": "Commonwealth of Independent States",
    "Commonwealth": "Commonwealth of Nations",
    "EU": "European Union",
    "OAS": "Organization of American States",
    "OEI": "Organization of Ibero-American States",
    "OIC": "Organisation of Islamic Cooperation",
    "OIF": "Organisation internationale de la Francophonie",
    "PIF": "Pacific Islands Forum",
}


def decode(data: bytes) -> tuple[str, str]:
    """The text of an export and the encoding it was read with."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\r" in data and b"\n" not in data:
        return data.decode("mac_roman"), "mac_roman"
    return data.decode("cp1252", errors="strict"), "cp1252"


def looks_like(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf")[:200].decode("latin-1")
    return text.replace(" ", "").startswith("To,To-Rgrp,")


def text_key(text: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text.rstrip(" .;").casefold()


def stable_id(session: int, to_iso3: str, from_iso3: list[str], text: str) -> str:
    key = f"{session}|{to_iso3}|{','.join(sorted(from_iso3))}|{text_key(text)}"
    return "ui-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _split(cell: str) -> list[str]:
    return [p.strip() for p in cell.split(",") if p.strip()]


def parse(path: Path, options: ReviewOptions | None = None) -> ParsedSource:
    options = options or ReviewOptions()
    name = path.name
    text, encoding = decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SourceError(f"{name}: empty file") from None
    if tuple(header) != COLUMNS:
        raise SourceError(
            f"{name}: row 1: not a UPR Info export: columns {header!r}, expected {list(COLUMNS)!r}"
        )
    opt_state = options.state_ref()
    parsed = ParsedSource(str(path), FORMAT, f"csv ({encoding})")
    seen: dict[str, tuple[int, tuple[str, ...]]] = {}
    for number, row in enumerate(reader, start=2):
        parsed.rows += 1
        where = f"row {number}"

        def problem(reason: str, level: str = "error", where: str = where) -> None:
            parsed.problems.append(Problem(name, where, reason, level))

        if not any(cell.strip() for cell in row):
            parsed.rows -= 1
            continue
        if len(row) != len(COLUMNS):
            problem(f"{len(row)} cells, expected {len(COLUMNS)} (truncated or malformed row)")
            continue
        cells = dict(zip(COLUMNS, (c.strip() for c in row), strict=True))
        try:
            to_state = resolve(cells["To"])
        except UnknownState as exc:
            problem(f"To: {exc}")
            continue
        if not cells["From"]:
            problem("From: no recommending state")
            continue
        from_names = [cells["From"]] if _resolves(cells["From"]) else _split(cells["From"])
        states, unknown = [], False
        for from_name in from_names:
            if is_unknown(from_name):
                unknown = True
                continue
            try:
                states.append(resolve(from_name))
            except UnknownState as exc:
                problem(f"From: {exc}")
                break
        else:
            from_names = []
        if from_names:
            continue
        if unknown and not states:
            problem("From: the export records no recommending state ('(Unknown)'); "
                    "imported without one", "warning")
        if not cells["Text"]:
            problem("Text: empty recommendation")
            continue
        response = RESPONSES.get(cells["Response"].lower())
        if response is None:
            problem("Response: missing position" if not cells["Response"]
                    else f"Response: unknown position {cells['Response']!r} "
                         "(expected Accepted or Noted)")
            continue
        if not re.fullmatch(r"[1-5]", cells["Action"]):
            problem(f"Action: {cells['Action']!r} is not an action category 1-5")
            continue
        try:
            session = int(cells["Session"])
            cycle = cycle_of_session(session)
        except ValueError:
            problem(f"Session: {cells['Session']!r} is not a session number 1-54")
            continue
        try:
            agree("state under review", to_state, opt_state, name)
            agree("session", session, options.session, name)
            agree("cycle", cycle, options.cycle, name)
        except SourceError as exc:
            problem(str(exc).split(": ", 1)[1])
            continue
        local_id = stable_id(session, to_state.iso3, [s.iso3 for s in states], cells["Text"])
        if local_id in seen:
            first, first_row = seen[local_id]
            differs = [c for c, a, b in zip(COLUMNS, first_row, row, strict=True) if a != b]
            occurrence = sum(1 for k in seen if k == local_id or k.startswith(local_id + "-")) + 1
            problem(f"same state, session, recommending states and text as row {first}"
                    + (f" (differs in {', '.join(differs)})" if differs else " (identical)")
                    + f"; kept as occurrence {occurrence}", "warning")
            seen[f"{local_id}-{occurrence}"] = (number, tuple(row))
            local_id = f"{local_id}-{occurrence}"
        else:
            seen[local_id] = (number, tuple(row))
        issues = [themes.upr_info_issue(i) for i in _split(cells["Issue"])]
        parsed.recommendations.append(Recommendation(
            review=Review(to_state, cycle, session),
            local_id=local_id,
            text=cells["Text"],
            location=where,
            recommending_states=states,
            response=response,
            themes=issues,
            action_category=int(cells["Action"]),
            organisations=_organisations(cells["From-Org"]) if len(states) == 1 else [],
            state_organisations=_organisations(cells["To-Org"]),
        ))
    concepts = {c for r in parsed.recommendations for c in r.themes}
    parsed.mappings = themes.mappings_for(concepts)
    return parsed


def _organisations(cell: str) -> list[Organisation]:
    """The organisations of a To-Org / From-Org cell; unknown codes keep their code as name."""
    return [Organisation(code, ORGANISATIONS.get(code, code))
            for code in _split(cell) if not is_unknown(code)]


def _resolves(name: str) -> bool:
    try:
        resolve(name)
    except UnknownState:
        return False
    return True
