"""What linking derives from a text alone, kept per input so that a rebuild reuses it.

A text's normalised form (:func:`.text.normalise`), its word and character
counts (:func:`.similarity.word_counts`, :func:`.similarity.char_codes`) and the
instruments it names (:func:`.text.named_instruments`) depend on that text and
nothing else: a count row is the same whichever texts are counted with it, and
the character columns are the 4-gram codes themselves. So the parts of several
inputs, each made (or cached) alone, give the same rows as one pass over all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from . import similarity
from .text import named_instruments, normalised

#: the column numbers of the character counts: 4-gram codes of ASCII text (each byte below
#: 128) are below 2**31, so they fit the 32-bit column numbers scipy indexes fastest
CHAR_COLUMNS = 2**31 - 1


def narrow(matrix: sparse.csr_matrix, columns: int) -> sparse.csr_matrix:
    """``matrix`` with counts as 16-bit numbers and 32-bit column numbers (the same values,
    checked): a third of the bytes of scipy's types to keep, write, read back and pick
    rows from (scipy's row indexing is fastest on these). Widened per state by
    :func:`.similarity.tfidf`."""
    data = matrix.data
    if not data.size or data.max() <= np.iinfo(np.uint16).max:
        data = data.astype(np.uint16)  # else a text repeating a word 65,536 times
    indices = matrix.indices
    if not indices.size or indices.max() < columns:
        indices = indices.astype(np.int32)
    else:  # not ASCII: not what char_codes makes
        columns = matrix.shape[1]
    return sparse.csr_matrix((data, indices, matrix.indptr), shape=(matrix.shape[0], columns))


@dataclass
class TextFeatures:
    """Of some texts: each one's normalised form and, for the distinct normalised forms
    (sorted), their word and character counts (a row each) and the instruments named."""

    norms: dict[str, str]
    distinct: list[str]
    words: sparse.csr_matrix
    chars: sparse.csr_matrix
    instruments: list[frozenset[str]]


def compute(texts: Iterable[str], norms: dict[str, str] | None = None) -> TextFeatures:
    """The features of ``texts`` (``norms``: normalised forms known already)."""
    texts = set(texts)
    known = norms or {}
    missing = normalised(t for t in texts if t not in known)
    mine = {t: known.get(t) or missing[t] for t in texts}
    return of_normalised(sorted(set(mine.values())), mine)


def of_normalised(distinct: list[str], norms: dict[str, str]) -> TextFeatures:
    counted = similarity.counts(distinct)
    return TextFeatures(norms, distinct, narrow(counted.words, similarity.WORD_BUCKETS),
                        narrow(counted.chars, CHAR_COLUMNS),
                        [named_instruments(t) for t in distinct])


class Texts:
    """The features of a build's texts, from the parts of its inputs; what no part holds
    is computed on demand."""

    def __init__(self, parts: Sequence[TextFeatures] = ()) -> None:
        self.parts = list(parts)

    def normalised(self, texts: Iterable[str]) -> dict[str, str]:
        """Each distinct text -> its normalised form."""
        wanted = set(texts)
        found: dict[str, str] = {}
        for part in self.parts:  # a lookup per part, not one merged dictionary
            norms = part.norms
            found.update((t, norms[t]) for t in wanted.intersection(norms) - found.keys())
        missing = normalised(wanted - found.keys())
        return found | missing

    def features(self, texts: list[str]) -> tuple[Gathered, list[frozenset[str]]]:
        """The counts (a row per text of ``texts``, normalised already; repeats allowed),
        picked from the parts block by block when asked, and the instruments each names."""
        where: dict[str, tuple[int, int]] = {}
        for index, part in enumerate(self.parts):
            for i, text in enumerate(part.distinct):
                where.setdefault(text, (index, i))
        parts = self.parts
        missing = sorted({t for t in texts if t not in where})
        if missing:
            parts = [*parts, of_normalised(missing, {})]
            where.update((t, (len(parts) - 1, i)) for i, t in enumerate(missing))
        located = np.array([where[t] for t in texts], dtype=np.int64).reshape(-1, 2)
        named = [parts[index].instruments[i] for index, i in located.tolist()]
        return Gathered(parts, located), named


class Gathered:
    """Count rows held by several parts, ``located`` (part, row) each: a block of them
    (one state's recommendations) is picked from the parts when its vectors are asked
    for, so that the rows of every state are not first copied into one matrix (and a
    forked process picks those of its own states)."""

    def __init__(self, parts: Sequence[TextFeatures], located: np.ndarray) -> None:
        self.parts = parts
        self.located = located

    def counts(self, rows: slice) -> similarity.Counts:
        """The counts of the rows ``rows``, in order."""
        located = self.located[rows]
        # the rows wanted of each part, taken from it alone, then put in order
        taken = [(part, np.flatnonzero(located[:, 0] == index))
                 for index, part in enumerate(self.parts)]
        taken = [(part, rows) for part, rows in taken if len(rows)]
        order = np.empty(len(located), dtype=np.int64)
        order[np.concatenate([rows for _, rows in taken] or [order[:0]])] = np.arange(
            len(located))
        matrices = []
        for name in ("words", "chars"):
            pieces = [getattr(part, name)[located[rows, 1]] for part, rows in taken]
            stacked = (sparse.vstack(pieces, format="csr") if pieces
                       else getattr(of_normalised([], {}), name))
            matrices.append(stacked[order] if len(pieces) > 1 else stacked)
        return similarity.Counts(*matrices)

    def vectors(self, rows: slice) -> similarity.Vectors:
        """TF-IDF of the rows ``rows``, fitted on them (:meth:`.similarity.Counts.vectors`)."""
        return self.counts(rows).vectors(slice(None))
