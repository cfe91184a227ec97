"""The linking methods on small hand-made cases: what they link, what they refuse, and why."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import (
    CountVectorizer,
    HashingVectorizer,
    TfidfTransformer,
)

from uprgraph.iris import IRIs
from uprgraph.linking import link_recs, recurrence, similarity
from uprgraph.linking.corpus import Rec
from uprgraph.linking.matching import match
from uprgraph.linking.recurrence import PER_REVIEW, THRESHOLD, find
from uprgraph.linking.similarity import (
    WORD_BUCKETS,
    analyse,
    char_counts,
    counts,
    tfidf,
    word_counts,
)
from uprgraph.linking.text import instruments, normalise

BASE = "http://localhost:8080/id/recommendation/"


def rec(local: str, text: str, cycle: int = 1, state: str = "SVN", fmt: str = "upr-info",
        by: tuple[str, ...] = ("FRA",)) -> Rec:
    return Rec(iri=f"{BASE}{state}/{cycle}/{local}", state=state, cycle=cycle, session=None,
               text=text, recommending=by, response="Supported", format=fmt,
               source=f"http://localhost:8080/id/import/{fmt}-{cycle}")


FILLER = [rec(f"f{i}", t) for i, t in enumerate([
    "Strengthen the independence of the judiciary",
    "Combat trafficking in persons, especially women and children",
    "Improve prison conditions and reduce overcrowding",
    "Guarantee freedom of expression for journalists",
])]


def test_acronyms_spelt_out_and_softeners_dropped():
    assert normalise("Consider ratifying OPCAT") == (
        "ratifying optional protocol to the convention against torture")
    assert instruments("Ratify ICRMW") == {"migrant"}
    assert instruments("Combat trafficking in persons") == frozenset()


def test_reworded_repeat_is_linked_and_another_treaty_is_not():
    earlier = [rec("a", "Ratify the Optional Protocol to the Convention against Torture"),
               rec("b", "Ratify the International Convention for the Protection of All "
                        "Persons from Enforced Disappearance"), *FILLER]
    later = [rec("x", "Consider ratifying OPCAT", cycle=3),
             rec("y", "Ratify ICRMW", cycle=3)]
    links = {(link.later.rsplit("/", 1)[1], link.earlier.rsplit("/", 1)[1])
             for link in find(earlier + later)}
    assert ("x", "a") in links
    assert not any(later_id == "y" for later_id, _ in links)


def test_links_stay_within_one_state_and_point_back_in_time():
    recs = [rec("a", "Establish a national human rights institution", cycle=1),
            rec("b", "Establish a national human rights institution", cycle=2),
            rec("c", "Establish a national human rights institution", cycle=2, state="KHM"),
            rec("d", "Establish a national human rights institution", cycle=1, state="KHM")]
    links = find(recs)
    assert {(link.later[len(BASE):], link.earlier[len(BASE):]) for link in links} == {
        ("SVN/2/b", "SVN/1/a"), ("KHM/2/c", "KHM/1/d")}


def test_rows_match_one_matrix_recommendation_per_state_or_say_why():
    matrix = [rec("115.1", "Ratify the Istanbul Convention; ratify the Council of Europe "
                           "Convention on violence against women", cycle=2,
                  fmt="ohchr-matrix", by=("FRA", "PRT")),
              rec("115.2", "Adopt a national strategy on Roma inclusion", cycle=2,
                  fmt="ohchr-matrix", by=("FRA",))]
    rows = [rec("r1", "Ratify the Istanbul Convention", cycle=2, by=("FRA",)),
            rec("r2", "Ratify the Council of Europe Convention on violence against women",
                cycle=2, by=("PRT",)),
            rec("r3", "Adopt a national strategy on Roma inclusion", cycle=2, by=("FRA",)),
            rec("r4", "Abolish the death penalty", cycle=2, by=("ESP",)),
            rec("r5", "Protect whistle-blowers in the public service", cycle=2, by=("FRA",))]
    [review] = match(matrix + rows)
    pairs = {(m.row.rsplit("/", 1)[1], m.recommendation.rsplit("/", 1)[1])
             for m in review.matches}
    assert pairs == {("r1", "115.1"), ("r2", "115.1"), ("r3", "115.2")}
    reasons = {u.row.rsplit("/", 1)[1]: u.reason for u in review.unmatched}
    assert "names ESP" in reasons["r4"]
    assert set(reasons) == {"r4", "r5"}  # FRA's two matrix recommendations are taken
    assert (review.rows, review.recommendations) == (5, 2)


def test_same_input_same_graph_and_suggestions_are_not_tags():
    matrix = [Rec(iri=f"{BASE}SVN/3/{i}", state="SVN", cycle=3, session=34, text=text,
                  recommending=("FRA",), response="Supported", format="ohchr-matrix",
                  source="http://localhost:8080/id/import/m", sdg_goals=(goal,))
              for i, (text, goal) in enumerate(
                  [("Combat violence against women and girls", "http://metadata.un.org/sdg/5"),
                   ("Ensure access to quality education for Roma children",
                    "http://metadata.un.org/sdg/4")] * 12)]
    untagged = [rec("u1", "Improve education for Roma children", cycle=2)]
    iris = IRIs()
    first = link_recs(matrix + untagged, iris).graph
    second = link_recs(list(reversed(matrix + untagged)), iris).graph
    assert set(first) == set(second)
    upr = iris.upr
    suggested = set(first.objects(None, upr.suggestedConcept))
    assert any(str(c).endswith("/sdg/4") for c in suggested)
    assert not list(first.triples((None, upr.sdg, None)))
    assert not list(first.triples((None, upr.theme, None)))


TEXTS = ["", "a b c", "x", "ab cd e fgh ijklm", "ratify the optional protocol to the convention "
         "against torture", "ratify the convention against torture", "of the and"]


def test_char_counts_are_scikit_learns_char_wb_4_grams():
    """The numpy counting of character 4-grams counts what scikit-learn's analyser does."""
    reference = CountVectorizer(analyzer="char_wb", ngram_range=(4, 4))
    expected = reference.fit_transform(TEXTS)

    def code(gram: str) -> int:
        padded = gram.encode("ascii") + b"\0" * (4 - len(gram))
        return int.from_bytes(padded, "big")

    order = [c for _, c in sorted(reference.vocabulary_.items(), key=lambda kv: code(kv[0]))]
    assert (char_counts(TEXTS) != expected[:, order]).nnz == 0


def test_word_counts_are_scikit_learns_hashed_words():
    """Words and word pairs hashed as scikit-learn's ``HashingVectorizer`` hashes them: same
    buckets, counts and order, so the scores are the same to the last bit."""
    texts = [*TEXTS, "ratify ratify the convention convention ratify"]
    expected = HashingVectorizer(analyzer=analyse, n_features=WORD_BUCKETS,
                                 alternate_sign=False, norm=None).transform(texts)
    found = word_counts(texts)
    assert found.shape == expected.shape and found.dtype == expected.dtype
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(found, part), getattr(expected, part))


def test_per_state_weights_are_scikit_learns_tfidf():
    counted = counts(TEXTS)
    # the character columns are 4-gram codes (2**32 of them): scikit-learn's transformer
    # weighs every column, so it gets the columns used, in the same order
    for matrix in (counted.words, char_counts(TEXTS)):
        assert (tfidf(matrix) != tfidf(counted.chars if matrix.shape[1] != WORD_BUCKETS
                                       else matrix)).nnz == 0
        used = np.unique(matrix.indices)
        expected = TfidfTransformer(sublinear_tf=True).fit_transform(matrix)[:, used]
        assert np.allclose(tfidf(matrix).toarray(), expected.toarray(), rtol=0, atol=1e-12)


def test_repeated_texts_give_at_most_per_review_links_each():
    """A text repeated by forty recommending states in each of two cycles links each later
    row to ten earlier ones (the first by IRI), not to all forty: the links grow with the
    rows, not with their square."""
    text = "Ratify the Optional Protocol to the Convention against Torture"
    recs = [rec(f"{cycle}-{i:02d}", text, cycle=cycle) for cycle in (1, 2) for i in range(40)]
    links = find(recs)
    assert len(links) == 40 * PER_REVIEW
    first = sorted(r.iri for r in recs if r.cycle == 1)[:PER_REVIEW]
    assert {link.earlier for link in links} == set(first)
    assert all(link.score == 1.0 for link in links)


def test_links_do_not_depend_on_how_the_scores_are_chunked(monkeypatch):
    """Later rows are scored against earlier cycles in blocks bounded by CELLS: any bound
    gives the same links, scores and instrument penalties as one block."""
    texts = ["Ratify the Optional Protocol to the Convention against Torture",
             "Consider ratifying OPCAT", "Ratify ICRMW",
             "Ratify the Convention on the Rights of Persons with Disabilities",
             *(f.text for f in FILLER), "Establish a national human rights institution"]
    recs = [rec(f"{cycle}-{i}", f"{text} {'again' * (i % 3)}", cycle=cycle, state=state)
            for state in ("SVN", "KHM") for cycle in (1, 2, 4)
            for i, text in enumerate(texts[cycle % 3:] + texts[:cycle % 3])]
    whole = find(recs)
    assert len(whole) > 20 and any(link.score < 1 for link in whole)
    for cells in (1, 7, 50):
        monkeypatch.setattr(recurrence, "CELLS", cells)
        assert find(recs) == whole


def _csv_texts(path: Path) -> dict[str, list[str]]:
    """The recommendation texts of a UPR Info export, by state under review."""
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        by_state: dict[str, list[str]] = {}
        for row in csv.DictReader(handle):
            by_state.setdefault(row["To"], []).append(row["Text"])
    return by_state


@pytest.mark.parametrize("threshold", [0.3, THRESHOLD, 0.7])
def test_pruned_scores_are_the_scores_to_the_last_bit(shared_data: Path, threshold: float,
                                                     monkeypatch: pytest.MonkeyPatch):
    """On real recommendations (six states' of two cycles, with a text repeated and one
    reworded), every score that reaches the threshold is the full product's, bit for bit,
    and every other is below it: the pruning changes no link and no published score."""
    pruned_pairs: list[int] = []
    row_dots = similarity._row_dots

    def counted(here: sparse.csr_matrix, there: sparse.csr_matrix) -> np.ndarray:
        pruned_pairs.append(here.shape[0])
        return row_dots(here, there)

    monkeypatch.setattr(similarity, "_row_dots", counted)
    first = _csv_texts(shared_data / "upr-info" / "upr-info-sessions-06-09.csv")
    second = _csv_texts(shared_data / "upr-info" / "upr-info-sessions-18-20.csv")
    checked = 0
    for state in sorted(first.keys() & second.keys())[:6]:
        earlier, later = first[state], second[state]
        later = [*later, earlier[0], earlier[1].replace("the", "its")]
        texts = [normalise(t) for t in earlier + later]
        fitted = counts(texts).vectors(list(range(len(texts))))
        here = fitted.part(slice(len(earlier), len(texts)))
        there = fitted.part(slice(0, len(earlier)))
        full, pruned = here.scores(there), here.scores_from(there, threshold)
        reached = (full >= threshold) | (pruned >= threshold)
        assert np.array_equal(full[reached], pruned[reached])
        assert (pruned[~reached] < threshold).all()
        assert reached[-2:].any(axis=1).all()  # the repeated and the reworded text
        checked += int(reached.sum())
    assert checked > 10
    assert pruned_pairs  # the pairs were scored one by one, not all at once

