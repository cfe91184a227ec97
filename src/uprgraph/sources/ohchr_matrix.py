"""OHCHR "thematic list of recommendations" matrices (.docx) -> recommendation records.

Three layouts, told apart by the header row and the theme cells:

- ``2014``: Recommendation | Position | Full list of themes | Assessment...;
  themes with UHRI codes ("A12 Acceptance of international norms");
- ``2019``: the same header, themes by label ("- Acceptance of ..."), "SDGs:";
- ``cycle4``: Recommendation and recommending State | Position of the State
  under review | Human rights themes and groups of persons | Relevant SDGs.

Rows "Theme: ..." open a cluster. A recommendation row starts with its
paragraph number and ends with the recommending state(s) in parentheses;
"Source of position: A/HRC/43/15/Add.1 - Para.3" gives where the position is.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError

from ..records import (
    NOTED,
    SUPPORTED,
    Concept,
    ParsedSource,
    Problem,
    Recommendation,
    Review,
    SourceError,
)
from ..states import State, UnknownState, resolve
from . import themes
from .common import ReviewOptions, agree, cycle_of_session

FORMAT = "ohchr-matrix"
HEADERS = {
    ("recommendation", "position", "full list of themes"): "2014/2019",
    ("recommendation and recommending state", "position of the state under review",
     "human rights themes and groups of persons", "relevant sdgs"): "cycle4",
}
POSITIONS = {"supported": SUPPORTED, "accepted": SUPPORTED, "noted": NOTED}

_TITLE = re.compile(
    r"UPR of (?P<state>.+?)\s*\(\s*(?P<cycle>\d+)\w*\s+Cycle\s*[-–—]\s*"
    r"(?P<session>\d+)\w*\s+Session",
    re.IGNORECASE,
)
_PARAGRAPH = re.compile(r"^\s*(\d{2,3}\.\d{1,3})\.?\s+(.*)$", re.DOTALL)
_SOURCE = re.compile(r"^\s*source of position\s*:\s*(.*)$", re.IGNORECASE)
_SYMBOL = re.compile(r"A/HRC/\d+/\d+(?:/Add\.\d+)?", re.IGNORECASE)
_PARA_REF = re.compile(r"para\.?\s*(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
_CODED = re.compile(r"^([A-H]\d{1,2})\s+(.+)$")
_SDG = re.compile(r"^(\d{1,2}(?:\.(?:\d{1,2}|[a-z]))?)(?:\s*[-–:]|\s|$)")
_HEADINGS = {"sdgs": "sdgs", "relevant sdgs": "sdgs", "affected persons": "persons",
             "groups of persons": "persons", "persons": "persons"}


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split()).strip().lower()


def _cell_lines(cell) -> list[str]:
    return [p.text.replace("\u00a0", " ").strip() for p in cell.paragraphs if p.text.strip()]


def layout_of(header: list[str]) -> str | None:
    cells = tuple(_norm(h) for h in header)
    for known, layout in HEADERS.items():
        if cells[: len(known)] == known:
            return layout
    return None


# -- recommending states ------------------------------------------------------

def _trailing_groups(segment: str) -> tuple[str, list[str]]:
    """Split balanced parenthesised groups off the end: ("text", ["France", "Lithuania"])."""
    rest, groups = segment.rstrip(" ;,.\t"), []
    while rest.endswith(")"):
        depth = 0
        for i in range(len(rest) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(rest[i], 0)
            if depth == 0:
                break
        else:
            break
        groups.insert(0, rest[i + 1 : -1])
        rest = rest[:i].rstrip()
    return rest, groups


def _names(group: str) -> list[str]:
    names, depth, current = [], 0, ""
    for ch in group:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            names.append(current.strip())
            current = ""
        else:
            current += ch
    names.append(current.strip())
    return [n for n in names if n]


def _segments(text: str) -> list[str]:
    segments, depth, current = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ";" and depth == 0:
            segments.append(current)
            current = ""
        else:
            current += ch
    segments.append(current)
    return [s for s in segments if s.strip()]


def split_states(text: str) -> tuple[str, list[State]]:
    """The text without its recommending states, and those states in order.

    Every ";"-separated part may end with its own states ("... (Ukraine); ...
    (Slovakia)"); groups that are not all state names ("(ICRMW)", "(No. 29)")
    stay in the text. The last part must end with states: an unknown name
    there raises :class:`UnknownState`, no group at all raises ValueError.
    """
    parts, found = [], []
    segments = _segments(text)
    for index, segment in enumerate(segments):
        rest, groups = _trailing_groups(segment)
        last = index == len(segments) - 1
        taken: list[list[State]] = []
        while groups:
            names = _names(groups[-1])
            try:
                taken.insert(0, [resolve(n) for n in names])
            except UnknownState:
                if last and not taken:
                    raise
                break
            groups.pop()
        if last and not taken:
            raise ValueError("no recommending state in parentheses at the end of the text")
        if taken:
            rest = rest if not groups else rest + " " + " ".join(f"({g})" for g in groups)
            parts.append(rest)
            found.extend(s for states in taken for s in states)
        else:
            parts.append(segment.strip())
    return "; ".join(p.strip() for p in parts).strip(" ;,"), found


# -- the file ---------------------------------------------------------------

def _title(document) -> re.Match | None:
    texts = [p.text for s in document.sections for p in s.header.paragraphs]
    texts += [p.text for p in document.paragraphs[:20]]
    for text in texts:
        match = _TITLE.search(text)
        if match:
            return match
    return None


def _review(document, parsed: ParsedSource, options: ReviewOptions, symbols: list[str]) -> Review:
    name = Path(parsed.path).name
    title = _title(document)
    file_state = file_cycle = file_session = None
    if title:
        try:
            file_state = resolve(title["state"])
        except UnknownState as exc:
            raise SourceError(f"{name}: page header: {exc}") from None
        file_cycle, file_session = int(title["cycle"]), int(title["session"])
    state = agree("state under review", file_state, options.state_ref(), name)
    session = agree("session", file_session, options.session, name)
    cycle = agree("cycle", file_cycle, options.cycle, name)
    if cycle is None and session is not None:
        cycle = cycle_of_session(session)
    if session is not None and cycle != cycle_of_session(session):
        raise SourceError(f"{name}: conflicting cycle {cycle} and session {session}")
    bases = {re.sub(r"/Add\.\d+$", "", s, flags=re.IGNORECASE) for s in symbols}
    report = agree("report symbol", bases.pop() if len(bases) == 1 else None, options.report, name)
    if state is None:
        raise SourceError(f"{name}: the file does not name the state under review: give --state")
    if cycle is None:
        raise SourceError(f"{name}: the file gives no cycle or session: give --cycle or --session")
    return Review(state, cycle, session, report)


def parse(path: Path, options: ReviewOptions | None = None) -> ParsedSource:
    options = options or ReviewOptions()
    name = path.name
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError) as exc:
        raise SourceError(f"{name}: not a readable Word (.docx) file: {exc}") from None
    table, family = None, None
    for candidate in document.tables:
        if candidate.rows:
            family = layout_of([c.text for c in candidate.rows[0].cells])
            if family:
                table = candidate
                break
    if table is None:
        headers = [[c.text.strip() for c in t.rows[0].cells] for t in document.tables if t.rows]
        raise SourceError(
            f"{name}: unknown layout: no table has a known header row (found {headers!r}); "
            "expected 'Recommendation | Position | Full list of themes' (2014, 2019) or "
            "'Recommendation and recommending State | Position of the State under review | "
            "Human rights themes and groups of persons | Relevant SDGs' (fourth cycle)"
        )
    rows = [[_cell_lines(c) for c in row.cells] for row in table.rows[1:]]
    if family == "cycle4":
        layout = "cycle4"
    else:
        coded = any(
            _CODED.match(line.removeprefix("Theme:").strip())
            for row in rows for cell in row[:3] for line in cell
        )
        layout = "2014" if coded else "2019"
    scheme = f"uhri-{layout}"
    parsed = ParsedSource(str(path), FORMAT, layout)
    symbols = [
        m.group(0) for row in rows for cell in row[:2] for line in cell
        if _SOURCE.match(line) and (m := _SYMBOL.search(line))
    ]
    review = _review(document, parsed, options, symbols)

    def theme(label: str) -> Concept:
        label = label.lstrip("-–• ").strip()
        coded = _CODED.match(label)
        if coded and layout == "2014":
            return themes.uhri(coded.group(1), coded.group(2).strip())
        return themes.labelled(scheme, label)

    cluster: Concept | None = None
    first_row: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        parsed.rows += 1
        where = f"table row {number}"
        flat = [line for cell in cells for line in cell]
        if not flat:
            parsed.rows -= 1
            continue
        if cells[0] and cells[0][0].lower().startswith("theme:"):
            cluster = theme(cells[0][0].split(":", 1)[1])
            parsed.rows -= 1
            continue
        if len(cells) < 3:
            parsed.problems.append(Problem(name, where, f"{len(cells)} cells, expected 4"))
            continue
        record, reason = _recommendation(cells, review, cluster, theme, layout, where)
        if record is None:
            parsed.problems.append(Problem(name, where, reason))
            continue
        if record.paragraph in first_row:
            parsed.problems.append(Problem(
                name, record.location,
                f"paragraph {record.paragraph} already listed in table row "
                f"{first_row[record.paragraph]}"))
            continue
        first_row[record.paragraph] = number
        parsed.recommendations.append(record)
    concepts = {c for r in parsed.recommendations for c in r.themes}
    parsed.mappings = themes.mappings_for(concepts)
    return parsed


def _recommendation(cells, review, cluster, theme, layout, where):
    source = None
    for line in cells[0] + cells[1]:
        match = _SOURCE.match(line)
        if match:
            source = match.group(1).strip()
    text_lines = [line for line in cells[0] if not _SOURCE.match(line)]
    match = _PARAGRAPH.match(" ".join(text_lines))
    if not match:
        return None, "no paragraph number (e.g. '115.3') at the start of the recommendation"
    paragraph, body = match.groups()
    where = f"paragraph {paragraph} ({where})"
    try:
        text, states = split_states(body)
    except UnknownState as exc:
        return None, f"paragraph {paragraph}: recommending state: {exc}"
    except ValueError as exc:
        return None, f"paragraph {paragraph}: {exc}"
    if not text:
        return None, f"paragraph {paragraph}: empty recommendation text"
    positions = [line for line in cells[1] if not _SOURCE.match(line)]
    if not positions:
        return None, f"paragraph {paragraph}: missing position (Supported or Noted)"
    response = POSITIONS.get(_norm(positions[0]).rstrip("."))
    if response is None:
        return None, f"paragraph {paragraph}: unknown position {positions[0]!r}"
    record = Recommendation(
        review=review, local_id=paragraph, text=text, location=where, paragraph=paragraph,
        recommending_states=states, response=response, cluster=cluster,
    )
    if source:
        symbol = _SYMBOL.search(source)
        record.position_source = symbol.group(0) if symbol else None
        para = _PARA_REF.search(source)
        record.position_paragraph = para.group(1) if para else None
    mode = "themes"
    theme_lines = cells[2]
    if layout == "cycle4" and len(cells) > 3:
        theme_lines = cells[2] + ["SDGs:"] + cells[3]
    for line in theme_lines:
        heading = _norm(line).rstrip(":").strip()
        if line.rstrip().endswith(":") and heading in _HEADINGS:
            mode = _HEADINGS[heading]
            continue
        item = line.lstrip("-–• ").strip()
        if not item:
            continue
        if mode == "themes":
            record.themes.append(theme(item))
        elif mode == "persons":
            record.affected_groups.append(themes.person_group(item))
        else:
            sdg = _SDG.match(item)
            if not sdg:
                return None, f"paragraph {paragraph}: not an SDG goal or target: {item!r}"
            record.sdgs.append(sdg.group(1))
    record.themes = list(dict.fromkeys(record.themes))
    record.affected_groups = list(dict.fromkeys(record.affected_groups))
    record.sdgs = list(dict.fromkeys(record.sdgs))
    return record, ""


def counts(parsed: ParsedSource) -> Counter:
    return Counter(r.response for r in parsed.recommendations)
