"""One recommendation, two sources: UPR Info rows matched to OHCHR matrix recommendations.

UPR Info writes one row per recommending state; the matrix writes one
recommendation with all its states, joint texts separated by ";". Within one
review, the rows of recommending state X are assigned one-to-one to the matrix
recommendations that name X (the Hungarian method of
``scipy.optimize.linear_sum_assignment`` on the text scores), so each row
matches at most one recommendation and each recommendation at most one row
per state. A row is unmatched, with the reason, when no recommendation names
its state or its assigned one scores below ``minimum``; it is ambiguous when
its two best candidates score within ``margin`` of each other.

Text score: rapidfuzz's ``ratio`` of the normalised row text against the
recommendation's whole text and each of its ";" parts, the best of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from .corpus import MATRIX_FORMATS, ROW_FORMATS, Rec
from .text import normalise

METHOD = "review-state-text-assignment"
VERSION = "1"
MINIMUM = 0.6
MARGIN = 0.02


def parameters(minimum: float = MINIMUM, margin: float = MARGIN) -> dict:
    return {"minimum": minimum, "ambiguity_margin": margin, "scorer": "rapidfuzz.fuzz.ratio",
            "assignment": "scipy.optimize.linear_sum_assignment per review and state"}


@dataclass(frozen=True)
class Match:
    row: str
    recommendation: str
    score: float


@dataclass(frozen=True)
class Unmatched:
    row: str
    reason: str


@dataclass
class ReviewMatching:
    """The outcome for one review present in both kinds of source."""

    state: str
    cycle: int
    rows: int = 0
    recommendations: int = 0
    matches: list[Match] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"state": self.state, "cycle": self.cycle, "rows": self.rows,
                "recommendations": self.recommendations, "matched": len(self.matches),
                "unmatched": len(self.unmatched), "ambiguous": len(self.ambiguous),
                "unmatched_rows": [{"row": u.row, "reason": u.reason} for u in self.unmatched]}


def text_score(row: str, parts: list[str]) -> float:
    return max(fuzz.ratio(row, part) for part in parts) / 100


def _parts(text: str) -> list[str]:
    whole = normalise(text)
    pieces = [normalise(p) for p in text.split(";") if p.strip()]
    return [whole] + [p for p in pieces if p and p != whole]


def match(recs: list[Rec], minimum: float = MINIMUM, margin: float = MARGIN
          ) -> list[ReviewMatching]:
    """Every review held by both a row source and a matrix source, matched."""
    reviews: dict[tuple[str, int], dict[str, list[Rec]]] = defaultdict(
        lambda: {"rows": [], "matrix": []})
    for rec in recs:
        kind = "rows" if rec.format in ROW_FORMATS else (
            "matrix" if rec.format in MATRIX_FORMATS else None)
        if kind:
            reviews[(rec.state, rec.cycle)][kind].append(rec)
    outcome = []
    for (state, cycle), found in sorted(reviews.items()):
        rows, matrix = found["rows"], found["matrix"]
        if not rows or not matrix:
            continue
        result = ReviewMatching(state, cycle, len(rows), len(matrix))
        _match_review(result, rows, matrix, minimum, margin)
        result.matches.sort(key=lambda m: m.row)
        result.unmatched.sort(key=lambda u: u.row)
        result.ambiguous.sort()
        outcome.append(result)
    return outcome


def _match_review(result: ReviewMatching, rows: list[Rec], matrix: list[Rec],
                  minimum: float, margin: float) -> None:
    parts = {m.iri: _parts(m.text) for m in matrix}
    by_state: dict[str, list[Rec]] = defaultdict(list)
    for row in rows:
        by_state[row.recommending[0] if row.recommending else ""].append(row)
    for state, group in sorted(by_state.items()):
        group = sorted(group, key=lambda r: r.iri)
        candidates = sorted((m for m in matrix if not state or state in m.recommending),
                            key=lambda m: m.iri)
        if not candidates:
            for row in group:
                result.unmatched.append(Unmatched(
                    row.iri, f"no recommendation of the matrix names {state or 'a state'}"))
            continue
        scores = np.array([[text_score(normalise(r.text), parts[m.iri]) for m in candidates]
                           for r in group])
        for i, row in enumerate(group):
            top = np.sort(scores[i])[::-1]
            if len(top) > 1 and top[0] >= minimum and top[0] - top[1] < margin:
                result.ambiguous.append(row.iri)
        assigned = dict(zip(*linear_sum_assignment(scores, maximize=True), strict=True))
        for i, row in enumerate(group):
            j = assigned.get(i)
            if j is None:
                best = int(np.argmax(scores[i]))
                result.unmatched.append(Unmatched(
                    row.iri, f"more rows of {state} than matrix recommendations naming it; "
                             f"best candidate {candidates[best].iri} went to another row"))
            elif scores[i, j] < minimum:
                result.unmatched.append(Unmatched(
                    row.iri, f"best text match by {state}, {candidates[j].iri}, scores "
                             f"{scores[i, j]:.2f} < {minimum}"))
            else:
                result.matches.append(Match(row.iri, candidates[j].iri,
                                            round(float(scores[i, j]), 4)))
