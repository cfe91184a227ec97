"""Suggested UHRI themes and SDG goals for recommendations their source did not tag.

Two methods, each stated with its own PROV activity:

- ``scheme-mapping``: a concept the recommendation is tagged with (a UPR Info
  issue) is ``skos:closeMatch`` to a UHRI theme; score 1.
- ``tfidf-logistic-regression``: a one-vs-rest logistic regression
  (scikit-learn) over TF-IDF word features, trained on the recommendations of
  the build's OHCHR matrices that carry UHRI themes or SDG goals; its
  probability, to two decimals, is the score. At most ``top`` suggestions of at
  least ``minimum`` per recommendation and kind (one, by default: what is
  likely enough to be worth a reader's look).

A suggestion is never a ``upr:theme`` or ``upr:sdg``: queries choose whether
to count them. :func:`held_out_accuracy` measures the classifier on the tagged
recommendations themselves (k-fold, folds by IRI order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from .corpus import MATRIX_FORMATS, Rec
from .similarity import analyse
from .text import normalise, normalised

CLASSIFIER = "tfidf-logistic-regression"
MAPPING = "scheme-mapping"
VERSION = "1"
TOP = 1
MINIMUM = 0.5
#: a kind needs at least this many tagged recommendations (and two labels) to train on
MIN_TRAINING = 20
C = 10.0
FOLDS = 5
#: a classifier's probability is published to two decimals: suggestions of one concept
#: with one score share one node (see :mod:`.publish`)
SCORE_DIGITS = 2

KINDS: dict[str, Callable[[Rec], tuple[str, ...]]] = {
    "theme": lambda r: r.themes,
    "sdg": lambda r: r.sdg_goals,
}


def parameters(top: int = TOP, minimum: float = MINIMUM) -> dict:
    return {"top": top, "minimum": minimum, "C": C, "features": "TF-IDF words (stem 5, 1-2)",
            "score_digits": SCORE_DIGITS,
            "trained_on": "tagged recommendations of OHCHR matrices in the build"}


@dataclass(frozen=True)
class Suggestion:
    recommendation: str
    kind: str  # "theme" or "sdg"
    concept: str
    score: float
    method: str
    rank: int


class Classifier:
    """Labels of one kind (themes or SDG goals) from normalised text."""

    def __init__(self, texts: list[str], labels: list[tuple[str, ...]]) -> None:
        self.binarizer = MultiLabelBinarizer()
        y = self.binarizer.fit_transform(labels)
        self.vectoriser = TfidfVectorizer(analyzer=analyse, sublinear_tf=True, dtype=np.float64)
        x = self.vectoriser.fit_transform(texts)
        self.model = OneVsRestClassifier(LogisticRegression(
            C=C, max_iter=1000, solver="liblinear", random_state=0))
        self.model.fit(x, y)

    def rank(self, texts: list[str], top: int) -> list[list[tuple[str, float]]]:
        """The ``top`` labels of each text, most probable first (ties: by label)."""
        probabilities = self.model.predict_proba(self.vectoriser.transform(texts))
        classes = self.binarizer.classes_  # sorted, so a stable sort breaks ties by label
        order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top]
        best = np.take_along_axis(probabilities, order, axis=1)
        return [[(str(classes[j]), p) for j, p in zip(js, ps, strict=True)]
                for js, ps in zip(order.tolist(), best.tolist(), strict=True)]


def training_set(recs: list[Rec], kind: str) -> list[Rec]:
    labels = KINDS[kind]
    return [r for r in recs if r.format in MATRIX_FORMATS and labels(r)]


def _trainable(tagged: list[Rec], kind: str) -> bool:
    return (len(tagged) >= MIN_TRAINING
            and len({label for r in tagged for label in KINDS[kind](r)}) >= 2)


def suggest(recs: list[Rec], top: int = TOP, minimum: float = MINIMUM,
            norms: dict[str, str] | None = None) -> list[Suggestion]:
    """Suggestions for every recommendation without a tag of that kind, sorted.
    ``norms``: text -> normalised text, where the caller has them already."""
    found: list[Suggestion] = []
    for rec in recs:
        if not rec.themes:
            for rank, concept in enumerate(rec.mapped_themes, start=1):
                found.append(Suggestion(rec.iri, "theme", concept, 1.0, MAPPING, rank))
    for kind, labels in KINDS.items():
        tagged = training_set(recs, kind)
        if not _trainable(tagged, kind):
            continue
        untagged = [r for r in recs if not labels(r)
                    and not (kind == "theme" and r.mapped_themes)]
        if not untagged:
            continue
        if norms is None:
            norms = normalised(r.text for r in recs)
        classifier = Classifier([norms[r.text] for r in tagged], [labels(r) for r in tagged])
        for rec, ranked in zip(untagged, classifier.rank([norms[r.text] for r in untagged], top),
                               strict=True):
            for rank, (concept, score) in enumerate(ranked, start=1):
                if score >= minimum:
                    found.append(Suggestion(rec.iri, kind, concept, round(score, SCORE_DIGITS),
                                            CLASSIFIER, rank))
    found.sort(key=lambda s: (s.recommendation, s.kind, s.rank))
    return found


@dataclass(frozen=True)
class Accuracy:
    kind: str
    held_out: int
    top1: float
    top3: float
    labels: int

    def as_dict(self) -> dict:
        return {"kind": self.kind, "held_out": self.held_out, "labels": self.labels,
                "top1": round(self.top1, 4), "top3": round(self.top3, 4)}


def held_out_accuracy(recs: list[Rec], kind: str, folds: int = FOLDS) -> Accuracy | None:
    """Top-1 and top-3 accuracy of the classifier on tagged matrix recommendations it did
    not see: each fold (every ``folds``-th recommendation by IRI) predicted by a model
    trained on the others. A hit is a suggestion among the matrix's own tags."""
    tagged = training_set(recs, kind)
    if not _trainable(tagged, kind):
        return None
    labels = KINDS[kind]
    hits1 = hits3 = total = 0
    for fold in range(folds):
        test = [r for i, r in enumerate(tagged) if i % folds == fold]
        train = [r for i, r in enumerate(tagged) if i % folds != fold]
        if not test or not _trainable(train, kind):
            continue
        classifier = Classifier([normalise(r.text) for r in train], [labels(r) for r in train])
        for rec, ranked in zip(test, classifier.rank([normalise(r.text) for r in test], 3),
                               strict=True):
            truth = set(labels(rec))
            total += 1
            hits1 += ranked[0][0] in truth
            hits3 += any(c in truth for c, _ in ranked)
    if not total:
        return None
    count = len({label for r in tagged for label in labels(r)})
    return Accuracy(kind, total, hits1 / total, hits3 / total, count)
