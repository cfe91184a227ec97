"""Recommendation records -> N-Triples; every IRI comes from :class:`uprgraph.iris.IRIs`.

Provenance: every recommendation is ``prov:wasDerivedFrom`` the import
(``{base}id/import/{name}``: file name, SHA-256, import time, format) and
carries ``upr:sourceLocation`` ("row 17", "paragraph 115.3 (table row 5)").
The release also keeps each imported file in its own named graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, SKOS, XSD

from ..iris import IRIs
from ..links.documents import describe_document
from ..records import (
    NOTED,
    SUPPORTED,
    Concept,
    Organisation,
    Recommendation,
    Review,
    ThemeMapping,
)
from ..states import State
from .ntriples import TripleSet, iri, literal

SCHEME_TITLES = {
    "uhri-2014": "UHRI themes with codes (OHCHR thematic lists, 2014 layout)",
    "uhri-2019": "UHRI themes by label (OHCHR thematic lists, 2019 layout)",
    "uhri-cycle4": "UHRI themes by label (OHCHR thematic lists, fourth cycle)",
    "ohchr-persons": "Affected persons / groups of persons (OHCHR thematic lists)",
    "upr-info-issues": "Issues of the UPR Info database",
}


@dataclass(frozen=True)
class ImportInfo:
    """What the import node says about the file: ``name`` is the import's name."""

    name: str
    file: str
    sha256: str
    format: str
    imported: str  # xsd:dateTime, UTC


class _Terms:
    """The N-Triples text of a namespace's terms, each written once."""

    def __init__(self, base: str) -> None:
        self._base = str(base)

    def __getattr__(self, name: str) -> str:
        text = iri(self._base + name)
        setattr(self, name, text)
        return text


RDF_ = _Terms(RDF)
RDFS_ = _Terms(RDFS)
SKOS_ = _Terms(SKOS)
DCTERMS_ = _Terms(DCTERMS)
PROV_ = _Terms(PROV)
FOAF_ = _Terms(FOAF)
INTEGER = str(XSD.integer)


def _integer(value: int) -> str:
    return literal(str(int(value)), datatype=INTEGER)


class GraphBuilder:
    """Adds records' triples to one :class:`TripleSet` as N-Triples text, each shared
    node (state, review, concept...) once; ``graph.ntriples()`` is the import file.

    IRIs come from :class:`uprgraph.iris.IRIs`; the text of each shared node's IRI is
    kept, so a recommendation costs one new IRI (its own) and its literals.
    """

    def __init__(self, iris: IRIs, info: ImportInfo) -> None:
        self.iris = iris
        self.upr = _Terms(iris.upr)
        self.graph = TripleSet()
        self.info = info
        self.source = iri(iris.imported(info.name))
        self._done: set[object] = set()
        #: minted IRIs (N-Triples text) of shared nodes, by what they were minted from
        self._minted: dict[object, str] = {}
        self._import_node()

    def add(self, triple: tuple[str, str, str]) -> None:
        self.graph.add(triple)

    def _once(self, key: object) -> bool:
        if key in self._done:
            return False
        self._done.add(key)
        return True

    def _import_node(self) -> None:
        s, info = URIRef(self.iris.imported(self.info.name)), self.info
        node = Graph()  # six triples, through rdflib: its xsd:dateTime lexical form
        node.add((s, RDF.type, PROV.Entity))
        node.add((s, RDFS.label, Literal(f"Imported file {info.file}", lang="en")))
        node.add((s, DCTERMS.source, Literal(info.file)))
        node.add((s, DCTERMS.identifier, Literal(f"sha256:{info.sha256}")))
        node.add((s, DCTERMS.format, Literal(info.format)))
        node.add((s, PROV.generatedAtTime, Literal(info.imported, datatype=XSD.dateTime)))
        self.graph.add_graph(node)

    # -- shared nodes ---------------------------------------------------------
    def state(self, state: State) -> str:
        key = ("state", state.iso3)
        node = self._minted.get(key)
        if node is None:
            node = self._minted[key] = iri(self.iris.state(state.iso3))
            upr, add = self.upr, self.add
            label = literal(state.label, "en")
            add((node, RDF_.type, upr.State))
            add((node, upr.iso3, literal(state.iso3)))
            add((node, upr.iso2, literal(state.iso2)))
            add((node, upr.m49, literal(state.m49)))
            add((node, RDFS_.label, label))
            add((node, SKOS_.prefLabel, label))
        return node

    def document(self, symbol: str) -> str:
        """A UN document with what its symbol tells (type, Council session, undocs.org page)."""
        key = ("doc", symbol)
        node = self._minted.get(key)
        if node is None:
            described = Graph()
            node = self._minted[key] = iri(describe_document(described, self.iris, symbol))
            self.graph.add_graph(described)
        return node

    def review(self, review: Review) -> str:
        key = ("review", review.state.iso3, review.cycle)
        node = self._minted.get(key)
        if node is None:
            node = self._minted[key] = iri(self.iris.review(review.state.iso3, review.cycle))
        if self._once(("review", node)):
            upr, add = self.upr, self.add
            add((node, RDF_.type, upr.Review))
            add((node, upr.stateUnderReview, self.state(review.state)))
            add((node, upr.cycle, _integer(review.cycle)))
            if review.session is not None:
                add((node, upr.session, _integer(review.session)))
            if review.report:
                add((node, upr.outcomeReport, self.document(review.report)))
        return node

    def concept(self, concept: Concept) -> str:
        node = self._minted.get(concept)
        if node is None:
            node = self._minted[concept] = iri(self.iris.theme(concept.scheme, concept.code))
            if self._once(("concept", node)):
                self._describe_concept(node, concept)
        return node

    def _describe_concept(self, node: str, concept: Concept) -> None:
        add = self.add
        scheme = iri(self.iris.scheme(concept.scheme))
        if self._once(("scheme", scheme)):
            title = literal(SCHEME_TITLES.get(concept.scheme, concept.scheme), "en")
            add((scheme, RDF_.type, SKOS_.ConceptScheme))
            add((scheme, SKOS_.prefLabel, title))
            add((scheme, DCTERMS_.title, title))
        add((node, RDF_.type, SKOS_.Concept))
        add((node, SKOS_.inScheme, scheme))
        add((node, SKOS_.prefLabel, literal(concept.label, "en")))
        if concept.notation:
            add((node, SKOS_.notation, literal(concept.notation)))

    def mapping(self, mapping: ThemeMapping) -> None:
        relation = SKOS_.exactMatch if mapping.relation == "exactMatch" else SKOS_.closeMatch
        self.add((self.concept(mapping.source), relation, self.concept(mapping.target)))

    def sdg(self, code: str) -> str:
        key = ("sdg", code)
        node = self._minted.get(key)
        if node is None:
            node = self._minted[key] = iri(self.iris.sdg(code))
        return node

    # -- recommendations --------------------------------------------------------
    def recommendation_iri(self, rec: Recommendation) -> str:
        review = rec.review
        return iri(self.iris.recommendation(review.state.iso3, review.cycle, rec.local_id))

    def recommendation(self, rec: Recommendation) -> str:
        """Add a recommendation's triples; its IRI in N-Triples (``<...>``)."""
        upr, add = self.upr, self.add
        node = self.recommendation_iri(rec)
        add((node, RDF_.type, upr.Recommendation))
        add((node, upr.review, self.review(rec.review)))
        add((node, upr.text, literal(rec.text, "en")))
        if rec.paragraph:
            add((node, upr.paragraph, literal(rec.paragraph)))
        for state in rec.recommending_states:
            add((node, upr.recommendingState, self.state(state)))
        if rec.response == SUPPORTED:
            add((node, upr.response, upr.Supported))
        elif rec.response == NOTED:
            add((node, upr.response, upr.Noted))
        if rec.review.report:
            add((node, upr.sourceDocument, self.document(rec.review.report)))
        if rec.position_source:
            add((node, upr.positionSource, self.document(rec.position_source)))
        if rec.position_paragraph:
            add((node, upr.positionParagraph, literal(rec.position_paragraph)))
        for concept in rec.themes:
            add((node, upr.theme, self.concept(concept)))
        for concept in rec.affected_groups:
            add((node, upr.affectedGroup, self.concept(concept)))
        for code in rec.sdgs:
            add((node, upr.sdg, self.sdg(code)))
        if rec.cluster is not None:
            add((node, upr.cluster, self.concept(rec.cluster)))
        if rec.action_category is not None:
            add((node, upr.actionCategory, _integer(rec.action_category)))
        add((node, PROV_.wasDerivedFrom, self.source))
        add((node, upr.sourceLocation, literal(rec.location)))
        if rec.state_organisations or rec.organisations:
            self.memberships(rec)
        return node

    def organisation(self, org: Organisation) -> str:
        key = ("org", org.code)
        node = self._minted.get(key)
        if node is None:
            node = self._minted[key] = iri(self.iris.organisation(org.code))
        if self._once(("org", node)):
            self.add((node, RDF_.type, self.upr.Organisation))
            self.add((node, FOAF_.name, literal(org.name, "en")))
            self.add((node, SKOS_.notation, literal(org.code)))
        return node

    def memberships(self, rec: Recommendation) -> None:
        """``upr:memberOf`` of the states under review and recommending (UPR Info *-Org)."""
        pairs = [(rec.review.state, o) for o in rec.state_organisations]
        if len(rec.recommending_states) == 1:
            pairs += [(rec.recommending_states[0], o) for o in rec.organisations]
        for state, org in pairs:
            node = self.organisation(org)
            if self._once(("member", state.iso3, node)):
                self.add((self.state(state), self.upr.memberOf, node))


def build_graph(
    iris: IRIs,
    info: ImportInfo,
    recommendations: Iterable[Recommendation],
    mappings: Iterable[ThemeMapping] = (),
) -> Graph:
    builder = GraphBuilder(iris, info)
    for rec in recommendations:
        builder.recommendation(rec)
    for mapping in mappings:
        builder.mapping(mapping)
    return builder.graph.to_graph()
