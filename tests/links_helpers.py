"""A small project for the links tests: a stub ontology, the links shapes, a few data files."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ONTOLOGY = """\
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix upr:  <def/upr#> .
<def/upr> a owl:Ontology .
upr:State a owl:Class . upr:Review a owl:Class . upr:Recommendation a owl:Class .
upr:UNDocument a owl:Class .
"""

PREFIXES = """\
@prefix upr:  <def/upr#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix sdg:  <http://metadata.un.org/sdg/> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
"""

STATES = PREFIXES + """
<id/state/SVN> a upr:State ; rdfs:label "Slovenia"@en ;
    upr:iso3 "SVN" ; upr:iso2 "SI" ; upr:m49 "705" .
<id/state/FRA> a upr:State ; rdfs:label "France"@en ;
    upr:iso3 "FRA" ; upr:iso2 "FR" ; upr:m49 "250" .
<id/state/KHM> a upr:State ; rdfs:label "Cambodia"@en ;
    upr:iso3 "KHM" ; upr:iso2 "KH" ; upr:m49 "116" .
"""

RECOMMENDATIONS = PREFIXES + """
<id/review/SVN/3> a upr:Review ; upr:stateUnderReview <id/state/SVN> ; upr:cycle 3 ;
    upr:outcomeReport <id/document/A/HRC/43/15> ; upr:addendum <id/document/A/HRC/43/15/Add.1> .
<id/document/A/HRC/43/15> a upr:UNDocument ; upr:symbol "A/HRC/43/15" ;
    foaf:page <https://undocs.org/A/HRC/43/15> .
<id/document/A/HRC/43/15/Add.1> a upr:UNDocument ; upr:symbol "A/HRC/43/15/Add.1" ;
    foaf:page <https://undocs.org/A/HRC/43/15/Add.1> .
<id/recommendation/SVN/3/121.1> a upr:Recommendation ; upr:review <id/review/SVN/3> ;
    upr:paragraph "121.1" ; upr:recommendingState <id/state/FRA> ; upr:sdg sdg:16 ;
    upr:sourceDocument <id/document/A/HRC/43/15> ;
    upr:positionSource <id/document/A/HRC/43/15/Add.1> ; upr:positionParagraph "3" .
<id/recommendation/SVN/3/121.3> a upr:Recommendation ; upr:review <id/review/SVN/3> ;
    upr:paragraph "121.3" ; upr:recommendingState <id/state/KHM> ; upr:sdg sdg:8, sdg:16.10 ;
    upr:sourceDocument <id/document/A/HRC/43/15> .
<id/recommendation/SVN/3/122.1> a upr:Recommendation ; upr:review <id/review/SVN/3> ;
    upr:recommendingState <id/state/FRA> .
"""

#: a tiny stand-in for the UN SDG KOS: two goals and one target, labelled in three languages
MINI_KOS = """\
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix sdg:  <http://metadata.un.org/sdg/> .
<http://metadata.un.org/sdg> a skos:ConceptScheme .
sdg:8 a skos:Concept ; skos:inScheme <http://metadata.un.org/sdg> ;
    skos:prefLabel "Decent work"@en, "Travail décent"@fr, "Trabajo decente"@es .
sdg:16 a skos:Concept ; skos:inScheme <http://metadata.un.org/sdg> ;
    skos:prefLabel "Peace"@en, "Paix"@fr, "Paz"@es .
sdg:16.10 a skos:Concept ; skos:inScheme <http://metadata.un.org/sdg> ; skos:broader sdg:16 ;
    skos:prefLabel "Access to information"@en .
"""

#: the ISO 3166 / M49 table's layout with three rows (not the shared file)
MINI_M49 = """\
name,alpha-2,alpha-3,country-code,iso_3166-2,region,sub-region,intermediate-region,region-code,sub-region-code,intermediate-region-code
Cambodia,KH,KHM,116,ISO 3166-2:KH,Asia,South-eastern Asia,"",142,035,""
France,FR,FRA,250,ISO 3166-2:FR,Europe,Western Europe,"",150,155,""
Slovenia,SI,SVN,705,ISO 3166-2:SI,Europe,Southern Europe,"",150,039,""
Jamaica,JM,JAM,388,ISO 3166-2:JM,Americas,Latin America and the Caribbean,Caribbean,019,419,029
"""

#: Wikidata-like statements for the local SPARQL endpoint
WIKIDATA_FIXTURE = """\
@prefix wd:  <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
wd:Q215 wdt:P298 "SVN" ; wdt:P1566 "3190538" ; wdt:P31 wd:Q3624078 .
wd:Q142 wdt:P298 "FRA" ; wdt:P1566 "3017382" ; wdt:P31 wd:Q3624078, wd:Q6256 .
wd:Q71084 wdt:P298 "FRA" ; wdt:P576 "1958" .
wd:Q424 wdt:P298 "KHM" ; wdt:P31 wd:Q6256 .
wd:Q37 wdt:P298 "LTU" ; wdt:P1566 "597427" ; wdt:P31 wd:Q3624078 .
"""


def make_project(dest: Path, *, kos: bool = True, m49: bool = False) -> Path:
    """A project with the stub ontology, shapes/links.ttl and the small data set."""
    (dest / "ontology").mkdir(parents=True)
    (dest / "ontology" / "upr.ttl").write_text(ONTOLOGY, encoding="utf-8")
    (dest / "shapes").mkdir()
    shutil.copyfile(ROOT / "shapes" / "links.ttl", dest / "shapes" / "links.ttl")
    (dest / "data").mkdir()
    (dest / "data" / "states.ttl").write_text(STATES, encoding="utf-8")
    (dest / "data" / "recommendations.ttl").write_text(RECOMMENDATIONS, encoding="utf-8")
    if kos:
        (dest / "vocabularies").mkdir()
        (dest / "vocabularies" / "sdg.ttl").write_text(MINI_KOS, encoding="utf-8")
    if m49:
        (dest / "m49.csv").write_text(MINI_M49, encoding="utf-8")
    return dest
