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

from .corpus import Rec
from .similarity import vectors
from .text import TREATIES, instruments

METHOD = "tfidf-words-chars-cosine"
VERSION = "1"
#: chosen on the labelled pairs in tests/fixtures/linking/recurrence-pairs.csv
THRESHOLD = 0.42
PER_REVIEW = 10
#: factor on the score of two recommendations that name different instruments to ratify
OTHER_INSTRUMENT = 0.5


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


def find(recs: list[Rec], threshold: float = THRESHOLD,
         per_review: int = PER_REVIEW) -> list[Recurrence]:
    """Every recurrence link among ``recs``, sorted."""
    by_state: dict[str, list[Rec]] = defaultdict(list)
    for rec in recs:
        by_state[rec.state].append(rec)
    found: list[Recurrence] = []
    for state in sorted(by_state):
        mine = sorted(by_state[state], key=lambda r: r.iri)
        cycles = sorted({r.cycle for r in mine})
        if len(cycles) < 2:
            continue
        matrix = vectors([r.text for r in mine])
        names = [instruments(r.text) for r in mine]
        named = np.array([[n in found for n in TREATIES] for found in names], dtype=np.float64)
        index = {c: [i for i, r in enumerate(mine) if r.cycle == c] for c in cycles}
        for pos, later_cycle in enumerate(cycles[1:], start=1):
            later = index[later_cycle]
            for earlier_cycle in cycles[:pos]:
                earlier = index[earlier_cycle]
                scores = matrix.scores(later, earlier)
                _penalise(scores, named[later], named[earlier])
                rows, cols = np.nonzero(scores >= threshold)
                hits: dict[int, list[int]] = defaultdict(list)
                for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
                    hits[row].append(col)
                for row, cols_hit in hits.items():
                    i = later[row]
                    ranked = sorted(cols_hit, key=lambda j, r=row: (-scores[r, j], earlier[j]))
                    for j in ranked[:per_review]:
                        found.append(Recurrence(mine[i].iri, mine[earlier[j]].iri,
                                                round(float(scores[row, j]), 4)))
    found.sort(key=lambda r: (r.later, -r.score, r.earlier))
    return found


def _penalise(scores: np.ndarray, later: np.ndarray, earlier: np.ndarray) -> None:
    """"Ratify ICRMW" is not "ratify CED": lower the score where both name instruments
    and none in common (rows of ``later``/``earlier``: one 0/1 column per instrument)."""
    if not later.any() or not earlier.any():
        return
    shared = (later @ earlier.T) > 0
    both = later.any(axis=1)[:, None] & earlier.any(axis=1)[None, :]
    scores[both & ~shared] *= OTHER_INSTRUMENT
