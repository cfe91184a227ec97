"""Text similarity of recommendations: the mean of two TF-IDF cosines.

scikit-learn's ``TfidfVectorizer`` does the weighting, twice over the text of
:func:`uprgraph.linking.text.normalise`:

- words without English stop words, cut to their first five letters (a crude
  stemmer: "ratify", "ratifying" and "ratification" meet as "ratif"), plus
  adjacent pairs of those stems: what is asked, in which order;
- character 3- to 5-grams within words: spelling variants and inflections.

The vectorisers are fitted on one state's recommendations only, so a score
depends on that state's data and on nothing else in the build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from .text import normalise

STEM = 5
CHAR_NGRAMS = (4, 4)
#: weight of the word score; the character score gets the rest
WORD_WEIGHT = 0.5


def analyse(text: str) -> list[str]:
    words = [w[:STEM] for w in text.split() if w not in ENGLISH_STOP_WORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass
class Vectors:
    """L2-normalised TF-IDF rows of some texts, one per text, in both representations."""

    words: object
    chars: object

    def scores(self, rows: Sequence[int], cols: Sequence[int]) -> np.ndarray:
        """Similarity of every text in ``rows`` to every text in ``cols`` (0 to 1)."""
        word = (self.words[rows] @ self.words[cols].T).toarray()
        char = (self.chars[rows] @ self.chars[cols].T).toarray()
        return WORD_WEIGHT * word + (1 - WORD_WEIGHT) * char


def vectors(texts: Sequence[str]) -> Vectors:
    normalised = [normalise(t) for t in texts]
    words = TfidfVectorizer(analyzer=analyse, sublinear_tf=True, dtype=np.float64)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True,
                            dtype=np.float64)
    return Vectors(words.fit_transform(normalised).tocsr(), chars.fit_transform(normalised).tocsr())
