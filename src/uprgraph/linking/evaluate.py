"""How good the links are, measured: ``uprgraph links evaluate``.

- Recurrence: precision and recall on a labelled set of pairs (a CSV with
  ``later, earlier, label, reason``; label ``repeat`` or ``different``), at the
  build's threshold and at a few around it. Pairs whose recommendations are not
  in the data are counted apart, never as errors.
- Source matching: per review held by both kinds of source, the rows,
  recommendations, matched, unmatched (with the reason) and ambiguous rows.
- Suggestions: top-1 and top-3 accuracy of the classifier on tagged matrix
  recommendations held out of its training (k-fold).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .. import inputs as inputs_mod
from ..config import Settings
from . import matching, recurrence, suggest
from .corpus import Rec, data_store, read

DEFAULT_PAIRS = Path("tests/fixtures/linking/recurrence-pairs.csv")
SWEEP = (0.34, 0.38, 0.42, 0.46, 0.50)


class EvaluationError(ValueError):
    """The labelled set cannot be read; the message says where and why."""


@dataclass(frozen=True)
class Pair:
    later: str
    earlier: str
    repeat: bool
    reason: str


@dataclass(frozen=True)
class Quality:
    threshold: float
    pairs: int
    positives: int
    true_positives: int
    false_positives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.positives if self.positives else 0.0

    def as_dict(self) -> dict:
        return {"threshold": self.threshold, "pairs": self.pairs, "positives": self.positives,
                "true_positives": self.true_positives, "false_positives": self.false_positives,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


@dataclass
class Evaluation:
    recommendations: int
    chosen: Quality | None = None
    sweep: list[Quality] = field(default_factory=list)
    missing_pairs: int = 0
    matchings: list[matching.ReviewMatching] = field(default_factory=list)
    accuracy: list[suggest.Accuracy] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "recommendations": self.recommendations,
            "recurrence": {"chosen": self.chosen.as_dict() if self.chosen else None,
                           "missing_pairs": self.missing_pairs,
                           "sweep": [q.as_dict() for q in self.sweep]},
            "source_matching": [m.as_dict() for m in self.matchings],
            "suggestions": [a.as_dict() for a in self.accuracy],
        }

    def render(self) -> str:
        lines = [f"Linking evaluation ({self.recommendations} recommendations in the data)", ""]
        lines.append("Recurrence (labelled pairs):")
        if self.chosen is None:
            lines.append("  no labelled pair is in the data")
        else:
            c = self.chosen
            lines.append(f"  {c.pairs} pairs in the data ({c.positives} repeats, "
                         f"{c.pairs - c.positives} different), {self.missing_pairs} not in it")
            for q in self.sweep:
                mark = "  <- build threshold" if q.threshold == c.threshold else ""
                lines.append(f"  threshold {q.threshold:.2f}: precision {q.precision:.3f}  "
                             f"recall {q.recall:.3f}  ({q.true_positives} TP, "
                             f"{q.false_positives} FP){mark}")
        lines += ["", "Source matching (UPR Info rows -> OHCHR matrix recommendations):"]
        if not self.matchings:
            lines.append("  no review is held by both kinds of source")
        for m in self.matchings:
            lines.append(f"  {m.state} cycle {m.cycle}: {m.rows} rows, {m.recommendations} "
                         f"recommendations, {len(m.matches)} matched, {len(m.unmatched)} "
                         f"unmatched, {len(m.ambiguous)} ambiguous")
            lines += [f"    unmatched {u.row}: {u.reason}" for u in m.unmatched]
        lines += ["", "Suggestions (held-out tagged matrix recommendations, "
                      f"{suggest.FOLDS}-fold):"]
        if not self.accuracy:
            lines.append(f"  too few tagged matrix recommendations (fewer than "
                         f"{suggest.MIN_TRAINING})")
        for a in self.accuracy:
            lines.append(f"  {a.kind}: {a.held_out} held out, {a.labels} labels: "
                         f"top-1 {a.top1:.3f}  top-3 {a.top3:.3f}")
        return "\n".join(lines) + "\n"


def read_pairs(path: Path) -> list[Pair]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read: {exc.strerror}") from None
    pairs = []
    for number, row in enumerate(rows, start=2):
        label = (row.get("label") or "").strip()
        if label not in {"repeat", "different"} or not row.get("later") or not row.get("earlier"):
            raise EvaluationError(f"{path}: row {number}: needs later, earlier and a label "
                                  f"'repeat' or 'different' (got {label!r})")
        pairs.append(Pair(row["later"].strip(), row["earlier"].strip(), label == "repeat",
                          (row.get("reason") or "").strip()))
    return pairs


def quality(recs: list[Rec], pairs: list[Pair], base: str,
            thresholds: tuple[float, ...]) -> tuple[list[Quality], int]:
    """Precision and recall per threshold over the pairs present in ``recs``."""
    present = {r.iri for r in recs}
    known = [p for p in pairs if base + p.later in present and base + p.earlier in present]
    links = recurrence.find(recs, threshold=min(thresholds))
    scored = {(link.later, link.earlier): link.score for link in links}
    found = []
    for t in thresholds:
        tp = fp = 0
        for p in known:
            hit = scored.get((base + p.later, base + p.earlier), -1.0) >= t
            tp += hit and p.repeat
            fp += hit and not p.repeat
        found.append(Quality(t, len(known), sum(p.repeat for p in known), tp, fp))
    return found, len(pairs) - len(known)


def project_recs(settings: Settings) -> list[Rec]:
    """The recommendations of the project's data/, as the build reads them."""
    items = [item for item in inputs_mod.collect(settings) if item.role == "data"]
    for item in items:
        inputs_mod.parse(item, settings.iris.base)
    return read(data_store((i.graph_iri, i.graph) for i in items), settings.iris)


def evaluate(settings: Settings, pairs_path: Path) -> Evaluation:
    recs = project_recs(settings)
    result = Evaluation(len(recs))
    thresholds = tuple(sorted({*SWEEP, recurrence.THRESHOLD}))
    sweep, result.missing_pairs = quality(recs, read_pairs(pairs_path), settings.iris.base,
                                          thresholds)
    if sweep and sweep[0].pairs:
        result.sweep = sweep
        result.chosen = next(q for q in sweep if q.threshold == recurrence.THRESHOLD)
    result.matchings = matching.match(recs)
    result.accuracy = [a for a in (suggest.held_out_accuracy(recs, k) for k in suggest.KINDS)
                       if a is not None]
    return result
