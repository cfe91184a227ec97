"""Per-review figures of the computed links, for ``uprgraph links report``.

For each review: its recommendations, how many repeat one of an earlier cycle
(and how the state responded then and now), how many are repeated later, and,
where a UPR Info export and an OHCHR matrix both hold it, how many rows were
matched to a matrix recommendation.
"""

from __future__ import annotations

from collections import defaultdict

from ..iris import IRIs
from ..store.base import Store


def _rows(store: Store, query: str) -> list[dict]:
    result = store.query(query)
    return [{k: (v.value if v is not None else None) for k, v in row.items()}
            for row in result.rows()]


def reviews(store: Store, iris: IRIs) -> list[dict]:
    """One dict per review that has recommendations, in state and cycle order."""
    upr = iris.upr
    prefix = (f"PREFIX upr: <{upr}> PREFIX prov: <http://www.w3.org/ns/prov#> "
              "PREFIX dcterms: <http://purl.org/dc/terms/> ")
    # the reviews first, in a subquery, and the class checked by an EXISTS of one triple
    # pattern: the store then joins each recommendation once (twice as fast as a join)
    totals = _rows(store, prefix + """
        SELECT ?state ?cycle (COUNT(DISTINCT ?r) AS ?recommendations) WHERE {
          { SELECT ?v ?state ?cycle WHERE {
              ?v upr:stateUnderReview/upr:iso3 ?state ; upr:cycle ?cycle } }
          ?r upr:review ?v . FILTER EXISTS { ?r a upr:Recommendation } }
        GROUP BY ?state ?cycle""")
    if not totals:
        return []
    found: dict[tuple[str, int], dict] = {}
    for row in totals:
        key = (row["state"], int(row["cycle"]))
        found[key] = {"state": key[0], "cycle": key[1],
                      "recommendations": int(row["recommendations"]), "repeating": 0,
                      "repeated_later": 0, "responses": {}, "rows": 0, "rows_matched": 0}
    for name, path in (("repeating", "upr:laterRecommendation"),
                       ("repeated_later", "upr:earlierRecommendation"),
                       ("rows_matched", "upr:rowRecommendation")):
        for row in _rows(store, prefix + f"""
            SELECT ?state ?cycle (COUNT(DISTINCT ?r) AS ?n) WHERE {{
              ?l {path} ?r . ?r upr:review ?v . ?v upr:stateUnderReview/upr:iso3 ?state ;
              upr:cycle ?cycle }} GROUP BY ?state ?cycle"""):
            found[(row["state"], int(row["cycle"]))][name] = int(row["n"])
    pairs: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    for row in _rows(store, prefix + """
        SELECT ?state ?cycle ?before ?now (COUNT(DISTINCT ?r) AS ?n) WHERE {
          ?l upr:laterRecommendation ?r ; upr:earlierRecommendation ?e .
          ?r upr:review ?v . ?v upr:stateUnderReview/upr:iso3 ?state ; upr:cycle ?cycle .
          OPTIONAL { ?r upr:response ?rn } OPTIONAL { ?e upr:response ?re }
          BIND(COALESCE(STRAFTER(STR(?re), "#"), "none") AS ?before)
          BIND(COALESCE(STRAFTER(STR(?rn), "#"), "none") AS ?now)
        } GROUP BY ?state ?cycle ?before ?now"""):
        pairs[(row["state"], int(row["cycle"]))][f"{row['before']} -> {row['now']}"] = int(row["n"])
    # rows of reviews a matrix also holds: none without a matrix (asked first, the store
    # would join every row with its review before finding no matrix to join them with)
    matrices = store.query(prefix + 'ASK { ?j dcterms:format "ohchr-matrix" }')
    for row in [] if not matrices.boolean else _rows(store, prefix + """
        SELECT ?state ?cycle (COUNT(DISTINCT ?r) AS ?n) WHERE {
          { SELECT DISTINCT ?v WHERE { ?m upr:review ?v ; prov:wasDerivedFrom ?j .
                                       ?j dcterms:format "ohchr-matrix" } }
          ?r upr:review ?v ; prov:wasDerivedFrom ?i . ?i dcterms:format "upr-info" .
          ?v upr:stateUnderReview/upr:iso3 ?state ; upr:cycle ?cycle .
        } GROUP BY ?state ?cycle"""):
        found[(row["state"], int(row["cycle"]))]["rows"] = int(row["n"])
    for key, responses in pairs.items():
        found[key]["responses"] = dict(sorted(responses.items()))
    return [found[k] for k in sorted(found)
            if found[k]["repeating"] or found[k]["repeated_later"] or found[k]["rows"]]


def review_lines(rows: list[dict]) -> list[str]:
    lines = []
    for r in rows:
        line = (f"{r['state']} cycle {r['cycle']}: {r['recommendations']} recommendations, "
                f"{r['repeating']} repeat an earlier cycle, {r['repeated_later']} repeated later")
        if r["rows"]:
            line += f"; {r['rows_matched']} of {r['rows']} UPR Info rows matched to the matrix"
        lines.append(line)
        for pair, n in r["responses"].items():
            lines.append(f"    responded {pair}: {n}")
    return lines
