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
import unicodedata
from functools import lru_cache
from pathlib import Path

from ..records import (
    NOTED,
    SUPPORTED,
    Concept,
    Organisation,
    ParsedSource,
    Problem,
    Recommendation,
    Review,
    SourceError,
)
from ..states import State, UnknownState, is_unknown, resolve
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


ACTIONS = frozenset("12345")


def parse(path: Path, options: ReviewOptions | None = None,
          data: bytes | None = None) -> ParsedSource:
    """Read an export (``data``: its bytes, when the caller has read them already)."""
    options = options or ReviewOptions()
    name = path.name
    text, encoding = decode(path.read_bytes() if data is None else data)
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
    problems = parsed.problems

    def problem(where: str, reason: str, level: str = "error") -> None:
        problems.append(Problem(name, where, reason, level))

    seen: dict[str, tuple[int, list[str]]] = {}
    repeats: dict[str, int] = {}  # stable id -> rows that had it so far, when more than one
    reviews: dict[tuple[str, int, int], Review] = {}
    for number, row in enumerate(reader, start=2):
        where = f"row {number}"
        if not "".join(row).strip():
            continue
        parsed.rows += 1
        if len(row) != len(COLUMNS):
            problem(where, f"{len(row)} cells, expected {len(COLUMNS)} "
                    "(truncated or malformed row)")
            continue
        (to, _to_group, to_org, rec_text, from_cell, _from_group, from_org, response_cell,
         action, issue, session_cell) = (c.strip() for c in row)
        try:
            to_state = resolve(to)
        except UnknownState as exc:
            problem(where, f"To: {exc}")
            continue
        if not from_cell:
            problem(where, "From: no recommending state")
            continue
        states, unknown, error = _recommending(from_cell)
        if error:
            problem(where, error)
            continue
        if unknown and not states:
            problem(where, "From: the export records no recommending state ('(Unknown)'); "
                    "imported without one", "warning")
        if not rec_text:
            problem(where, "Text: empty recommendation")
            continue
        response = RESPONSES.get(response_cell.lower())
        if response is None:
            problem(where, "Response: missing position" if not response_cell
                    else f"Response: unknown position {response_cell!r} "
                         "(expected Accepted or Noted)")
            continue
        if action not in ACTIONS:
            problem(where, f"Action: {action!r} is not an action category 1-5")
            continue
        try:
            session = int(session_cell)
            cycle = cycle_of_session(session)
        except ValueError:
            problem(where, f"Session: {session_cell!r} is not a session number 1-54")
            continue
        try:
            agree("state under review", to_state, opt_state, name)
            agree("session", session, options.session, name)
            agree("cycle", cycle, options.cycle, name)
        except SourceError as exc:
            problem(where, str(exc).split(": ", 1)[1])
            continue
        local_id = stable_id(session, to_state.iso3, [s.iso3 for s in states], rec_text)
        if local_id in seen:
            first, first_row = seen[local_id]
            differs = [c for c, a, b in zip(COLUMNS, first_row, row, strict=True) if a != b]
            occurrence = repeats[local_id] = repeats.get(local_id, 1) + 1
            problem(where, f"same state, session, recommending states and text as row {first}"
                    + (f" (differs in {', '.join(differs)})" if differs else " (identical)")
                    + f"; kept as occurrence {occurrence}", "warning")
            local_id = f"{local_id}-{occurrence}"
            seen[local_id] = (number, row)
        else:
            seen[local_id] = (number, row)
        review = reviews.get((to_state.iso3, cycle, session))
        if review is None:
            review = reviews[to_state.iso3, cycle, session] = Review(to_state, cycle, session)
        parsed.recommendations.append(Recommendation(
            review=review,
            local_id=local_id,
            text=rec_text,
            location=where,
            recommending_states=list(states),
            response=response,
            themes=list(_issues(issue)),
            action_category=int(action),
            organisations=list(_organisations(from_org)) if len(states) == 1 else [],
            state_organisations=list(_organisations(to_org)),
        ))
    concepts = {c for r in parsed.recommendations for c in r.themes}
    parsed.mappings = themes.mappings_for(concepts)
    return parsed


@lru_cache(maxsize=8192)
def _recommending(cell: str) -> tuple[tuple[State, ...], bool, str | None]:
    """The states of a From cell, whether it holds "(Unknown)", and the error if any."""
    names = [cell] if _resolves(cell) else _split(cell)
    states, unknown = [], False
    for from_name in names:
        if is_unknown(from_name):
            unknown = True
            continue
        try:
            states.append(resolve(from_name))
        except UnknownState as exc:
            return (), unknown, f"From: {exc}"
    return tuple(states), unknown, None


@lru_cache(maxsize=8192)
def _issues(cell: str) -> tuple[Concept, ...]:
    return tuple(themes.upr_info_issue(i) for i in _split(cell))


@lru_cache(maxsize=1024)
def _organisations(cell: str) -> tuple[Organisation, ...]:
    """The organisations of a To-Org / From-Org cell; unknown codes keep their code as name."""
    return tuple(Organisation(code, ORGANISATIONS.get(code, code))
                 for code in _split(cell) if not is_unknown(code))


def _resolves(name: str) -> bool:
    try:
        resolve(name)
    except UnknownState:
        return False
    return True
