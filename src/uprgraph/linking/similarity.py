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

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    CountVectorizer,
    TfidfTransformer,
)

from .text import normalise

STEM = 5
#: weight of the word score; the character score gets the rest
WORD_WEIGHT = 0.5


def analyse(text: str) -> list[str]:
    words = [w[:STEM] for w in text.split() if w not in ENGLISH_STOP_WORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def char_grams(text: str) -> list[str]:
    """Character 4-grams within words padded by a space: scikit-learn's ``char_wb``
    analyser for texts already normalised (a word shorter than 4 with its padding
    counts once, whole), as one comprehension instead of a loop per word."""
    return [w[i:i + 4] for w in (f" {word} " for word in text.split())
            for i in range(max(len(w) - 3, 1))]


@dataclass
class Vectors:
    """L2-normalised TF-IDF rows of some texts, one per text, in both representations."""

    words: sparse.csr_matrix
    chars: sparse.csr_matrix

    def scores(self, rows: Sequence[int], cols: Sequence[int]) -> np.ndarray:
        """Similarity of every text in ``rows`` to every text in ``cols`` (0 to 1)."""
        word = (self.words[rows] @ self.words[cols].T).toarray()
        char = (self.chars[rows] @ self.chars[cols].T).toarray()
        return WORD_WEIGHT * word + (1 - WORD_WEIGHT) * char


@dataclass
class Counts:
    """Term counts of many normalised texts in both representations, tokenised once.

    :meth:`vectors` weights a block of them (one state's recommendations) by the
    block's own document frequencies: the same TF-IDF as a vectoriser fitted on
    that block alone, without tokenising every block again.
    """

    words: sparse.csr_matrix
    chars: sparse.csr_matrix

    def vectors(self, rows: Sequence[int]) -> Vectors:
        """TF-IDF of the texts ``rows`` (repeats count as documents), fitted on them."""
        return Vectors(*(TfidfTransformer(sublinear_tf=True).fit_transform(m[rows]).tocsr()
                         for m in (self.words, self.chars)))


def counts(normalised: Sequence[str]) -> Counts:
    """:class:`Counts` of texts already normalised (:func:`.text.normalise`)."""
    words = CountVectorizer(analyzer=analyse, dtype=np.float64)
    chars = CountVectorizer(analyzer=char_grams, dtype=np.float64)
    return Counts(words.fit_transform(normalised).tocsr(), chars.fit_transform(normalised).tocsr())


def vectors(texts: Sequence[str]) -> Vectors:
    """TF-IDF vectors of raw texts, fitted on them."""
    return counts([normalise(t) for t in texts]).vectors(list(range(len(texts))))
