"""Text similarity of recommendations: the mean of two TF-IDF cosines.

scikit-learn's ``TfidfVectorizer`` does the weighting, twice over the text of
:func:`uprgraph.linking.text.normalise`:

- words without English stop words, cut to their first five letters (a crude
  stemmer: "ratify", "ratifying" and "ratification" meet as "ratif"), plus
  adjacent pairs of those stems: what is asked, in which order;
- character 3- to 5-grams within words: spelling variants and inflections.

The texts are tokenised once (:func:`counts`); the weights are fitted on one
state's recommendations only (:meth:`Counts.vectors`), so a score depends on
that state's data and on nothing else in the build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .text import normalise

STEM = 5
#: hash buckets of the word features: two of one state's 50,000-odd words and pairs share
#: a bucket about once in a thousand (a slightly higher score, never a lower one)
WORD_BUCKETS = 2**26
#: weight of the word score; the character score gets the rest
WORD_WEIGHT = 0.5


def analyse(text: str) -> list[str]:
    words = [w[:STEM] for w in text.split() if w not in ENGLISH_STOP_WORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def char_grams(text: str) -> list[str]:
    """Character 4-grams within words padded by a space: scikit-learn's ``char_wb``
    analyser for texts already normalised (a word shorter than 4 with its padding
    counts once, whole). :func:`char_counts` counts the same, faster."""
    return [w[i:i + 4] for w in (f" {word} " for word in text.split())
            for i in range(max(len(w) - 3, 1))]


_SPACE = ord(" ")
#: texts whose windows are sorted at once (bounds the memory of the sort)
_BATCH = 1024


#: the columns of :func:`char_codes`: every 4-gram of ASCII as a 32-bit number
CODES = 2**32


def char_counts(normalised: Sequence[str]) -> sparse.csr_matrix:
    """:func:`char_grams` counts of each text, one row per text, a column per 4-gram used
    (in the order of their codes, :func:`char_codes`)."""
    coded = char_codes(normalised)
    grams, columns = np.unique(coded.indices, return_inverse=True)
    return sparse.csr_matrix((coded.data, columns.astype(np.int32), coded.indptr),
                             shape=(coded.shape[0], len(grams)))


def char_codes(normalised: Sequence[str]) -> sparse.csr_matrix:
    """:func:`char_grams` counts of each text, one row per text, with numpy: each 4-gram
    of ASCII is a 32-bit number, its column (of :data:`CODES`), so the texts are counted
    by one sort of their windows rather than a dictionary lookup per gram (five times
    faster on 30,000 texts). A text's row does not depend on the other texts, and one
    state's columns are in the same order as in any other selection of texts."""
    codes, counts, lengths = [], [], []
    for first in range(0, len(normalised), _BATCH):
        batch = normalised[first:first + _BATCH]
        # every word padded by a space: " w1  w2 " (two spaces between words)
        padded = [f" {t.replace(' ', '  ')} " for t in batch]
        # the text of each character
        owner = np.repeat(np.arange(len(batch)), [len(p) for p in padded])
        a = np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8).astype(np.uint32)
        window = (a[:-3] << 24) | (a[1:-2] << 16) | (a[2:-1] << 8) | a[3:]
        # a window within one padded word has no space in its middle
        whole = np.flatnonzero((a[1:-2] != _SPACE) & (a[2:-1] != _SPACE))
        # a one-letter word is its padded self, " a ", once
        single = np.flatnonzero((a[:-2] == _SPACE) & (a[1:-1] != _SPACE) & (a[2:] == _SPACE))
        position = np.concatenate([whole, single])
        code = np.concatenate([window[whole], (a[single] << 24) | (a[single + 1] << 16)
                               | (a[single + 2] << 8)])
        doc = owner[position + 1]
        key, count = np.unique((doc.astype(np.int64) << 32) | code, return_counts=True)
        codes.append((key & 0xFFFFFFFF).astype(np.uint32))
        counts.append(count.astype(np.int32))
        lengths.append(np.bincount(key >> 32, minlength=len(batch)))
    if not codes:
        return sparse.csr_matrix((0, CODES), dtype=np.int32)
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))]).astype(np.int64)
    return sparse.csr_matrix((np.concatenate(counts), np.concatenate(codes).astype(np.int64),
                              indptr), shape=(len(normalised), CODES))


@dataclass
class Vectors:
    """L2-normalised TF-IDF rows of some texts, one per text, in both representations."""

    words: sparse.csr_matrix
    chars: sparse.csr_matrix

    def part(self, rows: Sequence[int] | slice) -> Vectors:
        return Vectors(self.words[rows], self.chars[rows])

    def __len__(self) -> int:
        return self.words.shape[0]

    def scores(self, other: Vectors) -> np.ndarray:
        """Similarity of every text here to every text of ``other`` (0 to 1)."""
        word = (self.words @ other.words.T).toarray()
        char = (self.chars @ other.chars.T).toarray()
        return WORD_WEIGHT * word + (1 - WORD_WEIGHT) * char

    def scores_from(self, other: Vectors, threshold: float) -> np.ndarray:
        """:meth:`scores`, to the last bit, wherever a score reaches ``threshold``;
        elsewhere 0 or the score (below ``threshold`` either way).

        Most of the work of :meth:`scores` is the character 4-grams most texts share
        (" the", "tion"): each costs later rows x earlier rows. Their part of a character
        score is at most the product of the two rows' norms over them (Cauchy-Schwarz), so
        the rare grams' products plus that bound rule out the pairs that cannot reach
        ``threshold``. The pairs left are scored one by one as scipy's product scores them:
        the products of the grams both have, summed in column order from 0 (row sums of
        the elementwise products, :func:`_row_dots`), the same sum of the same terms."""
        word = (self.words @ other.words.T).toarray()
        common = _common(other.chars)
        if (threshold <= BOUND_MARGIN or not common.any()
                or not (self.chars.has_canonical_format and other.chars.has_canonical_format)):
            return self.scores(other)  # (rows out of column order: summed in another order)
        rare_here, norms_here = _split(self.chars, common)
        rare_there, norms_there = _split(other.chars, common)
        bound = (rare_here @ rare_there.T).toarray()
        bound += np.outer(norms_here, norms_there)
        bound *= 1 - WORD_WEIGHT
        bound += WORD_WEIGHT * word
        rows, columns = np.nonzero(bound >= threshold - BOUND_MARGIN)
        if len(rows) * 4 > bound.size:  # most pairs: all of them at once
            return self.scores(other)
        found = np.zeros(bound.shape)
        char = _row_dots(self.chars[rows], other.chars[columns])
        found[rows, columns] = WORD_WEIGHT * word[rows, columns] + (1 - WORD_WEIGHT) * char
        return found


def _row_dots(here: sparse.csr_matrix, there: sparse.csr_matrix) -> np.ndarray:
    """The dot product of each row of ``here`` with the same row of ``there`` (both in
    column order), summed as scipy's matrix product sums it: the products in column
    order, one after the other from 0 (``csr_matvec``'s loop)."""
    return here.multiply(there).tocsr() @ np.ones(here.shape[1])


#: added to the bound of :meth:`Vectors.scores_from` (far above its rounding error)
BOUND_MARGIN = 1e-6
#: a 4-gram is common in a block of rows when more than this share of them have it
COMMON_SHARE = 1 / 64


def _common(chars: sparse.csr_matrix) -> np.ndarray:
    """The columns of ``chars`` that more than COMMON_SHARE of its rows have (a mask)."""
    frequency = np.bincount(chars.indices, minlength=chars.shape[1])
    return frequency > max(chars.shape[0] * COMMON_SHARE, 4)


def _split(chars: sparse.csr_matrix, common: np.ndarray) -> tuple[sparse.csr_matrix,
                                                                   np.ndarray]:
    """The rows of ``chars`` without the ``common`` columns, and each row's norm over those."""
    shared = common[chars.indices]
    rows = np.repeat(np.arange(chars.shape[0]), np.diff(chars.indptr))
    norms = np.sqrt(np.bincount(rows[shared], weights=chars.data[shared] ** 2,
                                minlength=chars.shape[0]))
    kept = ~shared
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[kept], minlength=chars.shape[0]))])
    return sparse.csr_matrix((chars.data[kept], chars.indices[kept], indptr),
                             shape=chars.shape), norms


@dataclass
class Counts:
    """Term counts of many normalised texts in both representations, tokenised once.

    :meth:`vectors` weights a block of them (one state's recommendations) by the
    block's own document frequencies: the same TF-IDF as a vectoriser fitted on
    that block alone, without tokenising every block again.
    """

    words: sparse.csr_matrix
    chars: sparse.csr_matrix

    def vectors(self, rows: Sequence[int] | slice) -> Vectors:
        """TF-IDF of the texts ``rows`` (repeats count as documents), fitted on them; a
        slice of rows is read in place, not copied."""
        if isinstance(rows, slice):
            return Vectors(*(tfidf(_row_range(m, rows)) for m in (self.words, self.chars)))
        return Vectors(*(tfidf(m[rows]) for m in (self.words, self.chars)))


def _row_range(matrix: sparse.csr_matrix, rows: slice) -> sparse.csr_matrix:
    """The rows ``rows`` (a slice with step 1) of ``matrix``, sharing its arrays."""
    start, stop, _step = rows.indices(matrix.shape[0])
    first, last = matrix.indptr[start], matrix.indptr[stop]
    return sparse.csr_matrix((matrix.data[first:last], matrix.indices[first:last],
                              matrix.indptr[start:stop + 1] - first),
                             shape=(stop - start, matrix.shape[1]), copy=False)


def tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """scikit-learn's ``TfidfTransformer(sublinear_tf=True)`` (smooth idf, L2 rows), over
    the terms ``counts`` use, in a few array operations: the transformer's checks cost
    more than the arithmetic on one state's rows, and a build has two hundred states."""
    used, column = np.unique(counts.indices, return_inverse=True)
    n = counts.shape[0]
    df = np.bincount(column, minlength=len(used))
    idf = np.log((1 + n) / (1 + df)) + 1
    data = (np.log(counts.data.astype(np.float64)) + 1) * idf[column]  # counts: any type
    rows = np.repeat(np.arange(n), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
    data /= norms[rows]  # a row without terms has no data to divide
    return sparse.csr_matrix((data, column, counts.indptr.copy()), shape=(n, len(used)))


def counts(normalised: Sequence[str]) -> Counts:
    """:class:`Counts` of texts already normalised (:func:`.text.normalise`)."""
    return Counts(word_counts(normalised), char_codes(normalised))


def word_counts(normalised: Sequence[str]) -> sparse.csr_matrix:
    """:func:`analyse` features of each text, hashed into WORD_BUCKETS: what scikit-learn's
    ``HashingVectorizer(analyzer=analyse, alternate_sign=False, norm=None)`` counts, from
    its own hasher given (feature, 1) pairs, which it takes without a generator per text."""
    # hashed, not a vocabulary: the word pairs of 100,000 texts are millions of strings
    if not normalised:
        return sparse.csr_matrix((0, WORD_BUCKETS), dtype=np.float64)
    hasher = FeatureHasher(n_features=WORD_BUCKETS, input_type="pair", alternate_sign=False,
                           dtype=np.float64)
    return hasher.transform(zip(analyse(text), repeat(1)) for text in normalised).tocsr()


def vectors(texts: Sequence[str]) -> Vectors:
    """TF-IDF vectors of raw texts, fitted on them."""
    return counts([normalise(t) for t in texts]).vectors(list(range(len(texts))))
