"""Recurring recommendations: near-repeats to the same state in earlier cycles.

For each recommendation, the recommendations of every earlier cycle of the same
state under review are compared with it (:mod:`.similarity`); those scoring at
least ``threshold`` are linked, at most ``per_review`` per earlier review, the
best first. Ties are broken by IRI, so the same data always gives the same links.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from . import similarity
from .corpus import Rec
from .text import TREATIES, named_instruments, normalised

METHOD = "tfidf-words-chars-cosine"
VERSION = "1"
#: chosen on the labelled pairs in tests/fixtures/linking/recurrence-pairs.csv
THRESHOLD = 0.42
PER_REVIEW = 10
#: factor on the score of two recommendations that name different instruments to ratify
OTHER_INSTRUMENT = 0.5
#: later recommendations scored at once against an earlier review (bounds the score matrix)
CHUNK = 2048


@dataclass(frozen=True)
class Recurrence:
    later: str
    earlier: str
    score: float


def parameters(threshold: float = THRESHOLD, per_review: int = PER_REVIEW) -> dict:
    return {"threshold": threshold, "per_review": per_review, "word_stem": 5, "word_ngrams": "1-2",
            "char_ngrams": "4", "word_weight": 0.5,
            "other_instrument": OTHER_INSTRUMENT,
            "fitted_on": "recommendations to the same state under review"}


def find(recs: list[Rec], threshold: float = THRESHOLD, per_review: int = PER_REVIEW,
         norms: dict[str, str] | None = None) -> list[Recurrence]:
    """Every recurrence link among ``recs``, sorted. ``norms``: text -> normalised text,
    where the caller has them already."""
    by_state: dict[str, list[Rec]] = defaultdict(list)
    for rec in recs:
        by_state[rec.state].append(rec)
    states = sorted(s for s, mine in by_state.items() if len({r.cycle for r in mine}) > 1)
    if not states:
        return []
    if norms is None:
        norms = normalised(r.text for s in states for r in by_state[s])
    # every distinct text tokenised once, whichever states and cycles repeat it
    distinct = sorted({norms[r.text] for s in states for r in by_state[s]})
    position = {text: i for i, text in enumerate(distinct)}
    counts = similarity.counts(distinct)
    named = np.array([[n in found for n in TREATIES]
                      for found in map(named_instruments, distinct)], dtype=np.float64)
    found: list[Recurrence] = []
    for state in states:
        mine = sorted(by_state[state], key=lambda r: r.iri)
        rows = [position[norms[r.text]] for r in mine]
        matrix = counts.vectors(rows)
        cycles = sorted({r.cycle for r in mine})
        index = {c: [i for i, r in enumerate(mine) if r.cycle == c] for c in cycles}
        parts = {c: matrix.part(index[c]) for c in cycles}
        iris = {c: [mine[i].iri for i in index[c]] for c in cycles}
        treaties = {c: named[[rows[i] for i in index[c]]] for c in cycles}
        for pos, later_cycle in enumerate(cycles[1:], start=1):
            later = parts[later_cycle]
            for earlier_cycle in cycles[:pos]:
                for start in range(0, len(later), CHUNK):
                    block = slice(start, start + CHUNK)
                    chunk = later if len(later) <= CHUNK else later.part(block)
                    scores = chunk.scores(parts[earlier_cycle])
                    _penalise(scores, treaties[later_cycle][block], treaties[earlier_cycle])
                    found += _best(scores, threshold, per_review, iris[later_cycle][block],
                                   iris[earlier_cycle])
    found.sort(key=lambda r: (r.later, -r.score, r.earlier))
    return found


def _best(scores: np.ndarray, threshold: float, per_review: int, later: list[str],
          earlier: list[str]) -> list[Recurrence]:
    """Per row, the ``per_review`` best columns scoring at least ``threshold`` (ties: the
    lower column, i.e. the earlier IRI)."""
    rows, cols = np.nonzero(scores >= threshold)
    if not len(rows):
        return []
    values = scores[rows, cols]
    order = np.lexsort((cols, -values, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = rank < per_review
    return [Recurrence(later[i], earlier[j], round(v, 4)) for i, j, v in
            zip(rows[keep].tolist(), cols[keep].tolist(), values[keep].tolist(), strict=True)]


def _penalise(scores: np.ndarray, later: np.ndarray, earlier: np.ndarray) -> None:
    """"Ratify ICRMW" is not "ratify CED": lower the score where both name instruments
    and none in common (rows of ``later``/``earlier``: one 0/1 column per instrument)."""
    if not later.any() or not earlier.any():
        return
    shared = (later @ earlier.T) > 0
    both = later.any(axis=1)[:, None] & earlier.any(axis=1)[None, :]
    scores[both & ~shared] *= OTHER_INSTRUMENT
