"""SPARQL over the links, kept here so docs/linking.md and the tests run the same text."""

from __future__ import annotations

from ..iris import IRIs

#: recommendations of one review per SDG goal, with the goal's label in one language;
#: targets count towards their goal; without the SDG KOS the label is unbound and
#: ``?code`` (the goal's number) stands in for it
RECOMMENDATIONS_PER_SDG_GOAL = """\
PREFIX upr:  <def/upr#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
SELECT ?goal ?code ?label (COUNT(DISTINCT ?rec) AS ?recommendations) WHERE {
  ?review upr:stateUnderReview <id/state/%(iso3)s> ; upr:cycle %(cycle)d .
  ?rec upr:review ?review ; upr:sdg ?sdg .
  BIND(STRAFTER(STR(?sdg), "http://metadata.un.org/sdg/") AS ?sdgCode)
  BIND(IF(CONTAINS(?sdgCode, "."), STRBEFORE(?sdgCode, "."), ?sdgCode) AS ?code)
  BIND(IRI(CONCAT("http://metadata.un.org/sdg/", ?code)) AS ?goal)
  OPTIONAL { ?goal skos:prefLabel ?label FILTER(LANG(?label) = "%(lang)s") }
}
GROUP BY ?goal ?code ?label
ORDER BY xsd:integer(?code)
"""


def recommendations_per_sdg_goal(iso3: str, cycle: int, lang: str = "en") -> str:
    """The query for one review (state, cycle); run it with ``base_iri`` = the base."""
    IRIs().state(iso3)  # validates the code
    values = {"iso3": iso3.upper(), "cycle": int(cycle), "lang": lang}
    return RECOMMENDATIONS_PER_SDG_GOAL % values
