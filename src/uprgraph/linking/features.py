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


@dataclass
class TextFeatures:
    """Of some texts: each one's normalised form and, for the distinct normalised forms
    (sorted), their word and character counts (a row each) and the instruments named."""

    norms: dict[str, str]
    distinct: list[str]
    words: sparse.csr_matrix
    chars: sparse.csr_matrix
    instruments: list[frozenset[str]]

    def __getstate__(self) -> dict:
        """Counts kept in the cache as 16-bit numbers and codes as 32-bit ones (half the
        bytes to write and read back; the same values, checked)."""
        state = dict(self.__dict__)
        for name, index in (("words", np.int32), ("chars", np.uint32)):
            matrix = state[name]
            if matrix.nnz and matrix.data.max() > np.iinfo(np.uint16).max:
                continue  # a text repeating one word 65,536 times: kept as it is
            state[name] = (matrix.shape, matrix.data.astype(np.uint16),
                           matrix.indices.astype(index), matrix.indptr.astype(np.int64))
        return state

    def __setstate__(self, state: dict) -> None:
        for name, data, index in (("words", np.float64, np.int32),
                                  ("chars", np.int32, np.int64)):
            if isinstance(state[name], tuple):
                shape, values, indices, indptr = state[name]
                state[name] = sparse.csr_matrix(
                    (values.astype(data), indices.astype(index), indptr), shape=shape)
        self.__dict__.update(state)


def compute(texts: Iterable[str], norms: dict[str, str] | None = None) -> TextFeatures:
    """The features of ``texts`` (``norms``: normalised forms known already)."""
    texts = set(texts)
    known = norms or {}
    missing = normalised(t for t in texts if t not in known)
    mine = {t: known.get(t) or missing[t] for t in texts}
    return of_normalised(sorted(set(mine.values())), mine)


def of_normalised(distinct: list[str], norms: dict[str, str]) -> TextFeatures:
    counted = similarity.counts(distinct)
    return TextFeatures(norms, distinct, counted.words, counted.chars,
                        [named_instruments(t) for t in distinct])


class Texts:
    """The features of a build's texts, from the parts of its inputs; what no part holds
    is computed on demand."""

    def __init__(self, parts: Sequence[TextFeatures] = ()) -> None:
        self.parts = list(parts)

    def normalised(self, texts: Iterable[str]) -> dict[str, str]:
        """Each distinct text -> its normalised form."""
        known: dict[str, str] = {}
        for part in self.parts:
            known.update(part.norms)
        wanted = set(texts)
        missing = normalised(t for t in wanted if t not in known)
        return {t: known[t] if t in known else missing[t] for t in wanted}

    def features(self, distinct: list[str]) -> tuple[similarity.Counts, list[frozenset[str]]]:
        """The counts (a row per text of ``distinct``, normalised already) and the
        instruments each names."""
        where: dict[str, tuple[int, int]] = {}
        for index, part in enumerate(self.parts):
            for i, text in enumerate(part.distinct):
                where.setdefault(text, (index, i))
        parts = self.parts
        missing = sorted({t for t in distinct if t not in where})
        if missing:
            parts = [*parts, of_normalised(missing, {})]
            where.update((t, (len(parts) - 1, i)) for i, t in enumerate(missing))
        # the rows wanted of each part, taken from it alone (a rebuild that scores one
        # state wants a few hundred of a hundred thousand), then put in ``distinct`` order
        wanted: list[list[int]] = [[] for _ in parts]
        slot: list[tuple[int, int]] = []
        for text in distinct:
            index, i = where[text]
            slot.append((index, len(wanted[index])))
            wanted[index].append(i)
        used = [k for k, rows in enumerate(wanted) if rows]
        start = dict(zip(used, np.cumsum([0] + [len(wanted[k]) for k in used]).tolist(),
                         strict=False))
        order = [start[index] + j for index, j in slot]
        matrices = []
        for name in ("words", "chars"):
            pieces = [getattr(parts[k], name)[wanted[k]] for k in used]
            stacked = (sparse.vstack(pieces, format="csr") if pieces
                       else getattr(parts[0] if parts else of_normalised([], {}), name)[[]])
            matrices.append(stacked[order])
        named = [parts[index].instruments[i] for index, i in (where[t] for t in distinct)]
        return similarity.Counts(*matrices), named
