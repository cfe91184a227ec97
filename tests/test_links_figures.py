"""Coverage figures that share a pattern are counted in one pass: the same counts as
each figure's own query, wherever their conditions overlap, differ or fail."""

from __future__ import annotations

import pyoxigraph as ox

from uprgraph.iris import IRIs
from uprgraph.links import report
from uprgraph.store.oxigraph import OxigraphStore

BASE = "https://upr.example/"
SDG = "http://metadata.un.org/sdg/"
WIKIDATA = "http://www.wikidata.org/entity/"
GEONAMES = "https://sws.geonames.org/"


def _store(iris: IRIs) -> OxigraphStore:
    upr = iris.upr
    n = ox.NamedNode
    rec, state = n(str(upr.Recommendation)), n(str(upr.State))
    a, graph = n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), n(BASE + "graph/data/x")
    same = n("http://www.w3.org/2002/07/owl#sameAs")
    theme = BASE + "id/theme/"
    triples = []

    def add(s: str, p: ox.NamedNode, o: ox.NamedNode | ox.BlankNode) -> None:
        triples.append(ox.Quad(n(BASE + s) if "://" not in s else n(s), p, o, graph))

    for r in ("r1", "r2", "r3", "r4", "r5"):
        add(r, a, rec)
    add("r1", n(str(upr.sdg)), n(SDG + "1"))
    add("r1", n(str(upr.sdg)), n(SDG + "1.2"))  # a goal and a target: both figures
    add("r2", n(str(upr.sdg)), n(SDG + "3.1"))  # a target alone
    add("r5", n(str(upr.sdg)), n(SDG + "5"))  # a goal alone
    add("r3", n(str(upr.sdg)), n(BASE + "id/other"))  # not an SDG: neither
    add("r4", n(str(upr.sdg)), ox.BlankNode("b"))  # STR of a blank node fails: neither
    add("not-a-rec", n(str(upr.sdg)), n(SDG + "2.1"))  # not of the class: never counted
    for s in ("FRA", "KHM", "SVN"):
        add(s, a, state)
    add("FRA", same, n(WIKIDATA + "Q142"))
    add("FRA", same, n(GEONAMES + "3017382/"))
    add("KHM", same, n(WIKIDATA + "Q424"))
    add("SVN", same, n("http://dbpedia.org/resource/Slovenia"))
    suggested_for, concept = n(str(upr.suggestedFor)), n(str(upr.suggestedConcept))
    for node, target, recs in (("s1", theme + "t1", ("r1", "r2")), ("s2", SDG + "4", ("r2",)),
                               ("s3", theme + "t2", ("r2", "r3", "not-a-rec")),
                               ("s4", BASE + "id/elsewhere", ("r4",))):
        add(node, concept, n(target))
        for r in recs:
            add(node, suggested_for, n(BASE + r))
    store = ox.Store()
    store.extend(triples)
    return OxigraphStore(store)


def _alone(store: OxigraphStore, cls: str, pattern: str, condition: str | None) -> int:
    """One figure's count by a query of its own (the pattern and its condition)."""
    where = f"{{ {pattern} }} ?x a <{cls}> " + (f"FILTER({condition})" if condition else "")
    query = f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}"
    return int(next(iter(store.query(query).rows()))["n"].value)


def test_shared_patterns_count_as_their_own_queries():
    iris = IRIs(BASE)
    store = _store(iris)
    found = {f.name: f for f in report.figures(store, iris)}
    listed = report._figures(iris)
    assert sum(1 for f in listed if f[5] is not None) >= 6, "shared patterns are tested"
    for _group, name, _label, cls, pattern, condition in listed:
        assert found[name].count == _alone(store, cls, pattern, condition), name
    counts = {name: f.count for name, f in found.items()}
    assert counts["recommendations_with_sdg"] == 3
    assert counts["recommendations_with_sdg_target"] == 2
    assert (counts["states_with_wikidata"], counts["states_with_geonames"]) == (2, 1)
    assert counts["recommendations_with_suggested_theme"] == 3
    assert counts["recommendations_with_suggested_sdg"] == 1
    assert found["recommendations_with_sdg"].total == 5
    assert [f.name for f in report.figures(store, iris)] == [f[1] for f in listed]
