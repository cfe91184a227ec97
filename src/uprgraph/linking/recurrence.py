"""Recurring recommendations: near-repeats to the same state in earlier cycles.

For each recommendation, the recommendations of every earlier cycle of the same
state under review are compared with it (:mod:`.similarity`); those scoring at
least ``threshold`` are linked, at most ``per_review`` per earlier review, the
best first. Ties are broken by IRI, so the same data always gives the same links.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..forked import Forked
from . import similarity
from .cache import Cache
from .corpus import Rec
from .features import Texts
from .text import TREATIES, normalised

METHOD = "tfidf-words-chars-cosine"
VERSION = "1"
#: chosen on the labelled pairs in tests/fixtures/linking/recurrence-pairs.csv
THRESHOLD = 0.42
PER_REVIEW = 10
#: factor on the score of two recommendations that name different instruments to ratify
OTHER_INSTRUMENT = 0.5
#: score cells computed at once (later rows x earlier columns): bounds the score matrices
CELLS = 2**21
#: recommendations to score from which a second process scores half the states
PARALLEL_MINIMUM = 20_000

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
         norms: dict[str, str] | None = None, texts: Texts | None = None,
         cache: Cache | None = None) -> list[Recurrence]:
    """Every recurrence link among ``recs``, sorted. ``norms``: text -> normalised text,
    where the caller has them already; ``texts``: the features of the texts, where the
    caller has them (:mod:`.features`); ``cache``: where the links of each state are kept,
    by a digest of everything they are computed from (that state's recommendations:
    cycle, IRI and normalised text each; the threshold and per-review cap)."""
    by_state: dict[str, list[Rec]] = defaultdict(list)
    for rec in recs:
        by_state[rec.state].append(rec)
    states = sorted(s for s, mine in by_state.items() if len({r.cycle for r in mine}) > 1)
    if not states:
        return []
    if norms is None:
        norms = normalised(r.text for s in states for r in by_state[s])
    found: list[Recurrence] = []
    todo: dict[str, tuple[list[Rec], str]] = {}
    for state in states:
        # by cycle, then IRI: each cycle a contiguous range of rows
        mine = sorted(by_state[state], key=lambda r: (r.cycle, r.iri))
        digest = _digest(mine, norms, threshold, per_review)
        kept = cache.get("recurrence", digest, list) if cache is not None else None
        if kept is not None:
            found += [Recurrence(*link) for link in kept]
        else:
            todo[state] = (mine, digest)
    if not todo:
        found.sort(key=lambda r: (r.later, -r.score, r.earlier))
        return found
    # the rows of every state to score, one after the other (a state's a contiguous block
    # of rows: read in place, where picking them out of the distinct texts copied them)
    ordered = [norms[r.text] for mine, _ in todo.values() for r in mine]
    counts, instruments = (texts or Texts()).features(ordered)
    named = np.zeros((len(ordered), len(TREATIES)), dtype=np.float64)
    column = {name: j for j, name in enumerate(TREATIES)}
    for i, names in enumerate(instruments):
        for name in names:
            named[i, column[name]] = 1
    block, first = {}, 0
    for state, (mine, _) in todo.items():
        block[state] = slice(first, first + len(mine))
        first += len(mine)

    def links_of(states: list[str]) -> list[list[Recurrence]]:
        """The links of each of ``states`` (each a list of :data:`todo`)."""
        out = []
        for state in states:
            mine = todo[state][0]
            out.append(_state_links(counts.vectors(block[state]), named[block[state]],
                                    [r.cycle for r in mine], [r.iri for r in mine],
                                    threshold, per_review))
        return out

    here, there = _halves(todo)
    # the other half in a forked child (scipy's sparse products hold the GIL: threads
    # would take turns), which sees the counts without a copy and sends its links back
    child = Forked(lambda: links_of(there), "recurrence") if there else None
    computed = dict(zip(here, links_of(here), strict=True))
    if child is not None:
        computed.update(zip(there, child.result(), strict=True))
    for state, links in computed.items():
        if cache is not None:
            cache.put("recurrence", todo[state][1],
                      [(r.later, r.earlier, r.score) for r in links])
        found += links
    found.sort(key=lambda r: (r.later, -r.score, r.earlier))
    return found


def _halves(todo: dict[str, tuple[list[Rec], str]]) -> tuple[list[str], list[str]]:
    """The states to score here and those for a second process: all here unless there
    are PARALLEL_MINIMUM recommendations or more and a second core; else two halves of
    about equal cost (a state's recommendations squared: later rows x earlier ones)."""
    total = sum(len(mine) for mine, _ in todo.values())
    if total < PARALLEL_MINIMUM or (os.cpu_count() or 1) < 2 or len(todo) < 2:
        return sorted(todo), []
    here: list[str] = []
    there: list[str] = []
    loads = [0, 0]
    for state in sorted(todo, key=lambda s: (-len(todo[s][0]), s)):
        side = 0 if loads[0] <= loads[1] else 1
        (here if side == 0 else there).append(state)
        loads[side] += (len(todo[state][0]) + 1) ** 2
    return sorted(here), sorted(there)


def _digest(mine: list[Rec], norms: dict[str, str], threshold: float, per_review: int) -> str:
    """What one state's links are computed from, as a SHA-256."""
    digest = hashlib.sha256(f"{threshold!r} {per_review}\n".encode())
    digest.update("".join([f"{rec.cycle}\t{rec.iri}\t{norms[rec.text]}\n"
                           for rec in mine]).encode())
    return digest.hexdigest()


def _state_links(vectors: similarity.Vectors, treaties: np.ndarray, cycles: list[int],
                 iris: list[str], threshold: float, per_review: int) -> list[Recurrence]:
    """The links of one state's recommendations (rows sorted by cycle): every later row
    scored against every row of the earlier cycles in a few matrix products (a score is
    the same whichever block computes it), then the best per earlier review."""
    starts = {c: cycles.index(c) for c in sorted(set(cycles))}
    bounds = [(c, start, start + cycles.count(c)) for c, start in starts.items()]
    found: list[Recurrence] = []
    first_later = bounds[1][1]
    row = first_later
    while row < len(cycles):
        stop = _chunk_stop(bounds, row)
        # every row of the cycles before the chunk's last row's
        columns = starts[cycles[stop - 1]]
        scores = vectors.part(slice(row, stop)).scores_from(vectors.part(slice(0, columns)),
                                                            threshold)
        _penalise(scores, treaties[row:stop], treaties[:columns])
        for later, l_start, l_stop in bounds:
            a, b = max(l_start, row), min(l_stop, stop)
            if a >= b:
                continue
            for earlier, e_start, e_stop in bounds:
                if earlier >= later:
                    break
                found += _best(scores[a - row:b - row, e_start:e_stop], threshold, per_review,
                               iris[a:b], iris[e_start:e_stop])
        row = stop
    return found


def _chunk_stop(bounds: list[tuple[int, int, int]], row: int) -> int:
    """The end of the chunk of later rows from ``row``: as many as keep rows x earlier
    columns within CELLS (at least one row)."""
    stop = row + 1
    for _cycle, start, end in bounds[1:]:
        if end <= row:
            continue
        # a row of this cycle is scored against the rows before the cycle's start
        fit = row + CELLS // start
        if fit <= max(start, row):
            break
        stop = max(stop, min(end, fit))
        if fit < end:
            break
    return stop


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
    # only the rows and columns that name an instrument: about one text in ten
    rows, cols = np.flatnonzero(later.any(axis=1)), np.flatnonzero(earlier.any(axis=1))
    if not len(rows) or not len(cols):
        return
    block = np.ix_(rows, cols)
    part = scores[block]
    part[(later[rows] @ earlier[cols].T) == 0] *= OTHER_INSTRUMENT
    scores[block] = part
