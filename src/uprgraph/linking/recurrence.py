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
from .text import instruments

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
            "char_ngrams": "3-5", "word_weight": 0.5,
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
        named = [instruments(r.text) for r in mine]
        index = {c: [i for i, r in enumerate(mine) if r.cycle == c] for c in cycles}
        for pos, later_cycle in enumerate(cycles[1:], start=1):
            later = index[later_cycle]
            for earlier_cycle in cycles[:pos]:
                earlier = index[earlier_cycle]
                scores = matrix.scores(later, earlier)
                _penalise(scores, [named[i] for i in later], [named[j] for j in earlier])
                for row, i in enumerate(later):
                    hits = np.flatnonzero(scores[row] >= threshold)
                    ranked = sorted(hits, key=lambda j, r=row: (-scores[r, j], mine[earlier[j]].iri))
                    for j in ranked[:per_review]:
                        found.append(Recurrence(mine[i].iri, mine[earlier[j]].iri,
                                                round(float(scores[row, j]), 4)))
    found.sort(key=lambda r: (r.later, -r.score, r.earlier))
    return found


def _penalise(scores: np.ndarray, later: list[frozenset[str]],
              earlier: list[frozenset[str]]) -> None:
    """"Ratify ICRMW" is not "ratify CED": lower the score where the instruments differ."""
    for row, a in enumerate(later):
        if not a:
            continue
        for col, b in enumerate(earlier):
            if b and not a & b:
                scores[row, col] *= OTHER_INSTRUMENT
