"""Recommendation records -> rdflib triples; every IRI comes from :class:`uprgraph.iris.IRIs`.

Provenance: every recommendation is ``prov:wasDerivedFrom`` the import
(``{base}id/import/{name}``: file name, SHA-256, import time, format) and
carries ``upr:sourceLocation`` ("row 17", "paragraph 115.3 (table row 5)").
The release also keeps each imported file in its own named graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, SKOS, XSD

from ..iris import IRIs
from ..links.documents import describe_document, normalise
from ..records import NOTED, SUPPORTED, Concept, Recommendation, Review, ThemeMapping
from ..states import State
from .ntriples import TripleSet

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
    """A namespace whose terms are made once: rdflib's ``Namespace`` builds a new
    ``URIRef`` on every attribute access, a good part of an import's time."""

    def __init__(self, base: str) -> None:
        self._namespace = Namespace(base)

    def __getattr__(self, name: str) -> URIRef:
        term = self._namespace[name]
        setattr(self, name, term)
        return term


class GraphBuilder:
    """Adds records' triples (rdflib terms) to one :class:`TripleSet`, each shared node
    (state, concept...) once; ``graph.ntriples()`` is the import file."""

    def __init__(self, iris: IRIs, info: ImportInfo) -> None:
        self.iris = iris
        self.upr = _Terms(iris.upr)
        self.graph = TripleSet()
        self.info = info
        self.source = iris.imported(info.name)
        self._done: set[object] = set()
        self._import_node()

    def add(self, triple: tuple) -> None:
        self.graph.add(triple)

    def _once(self, key: object) -> bool:
        if key in self._done:
            return False
        self._done.add(key)
        return True

    def _import_node(self) -> None:
        s, info = self.source, self.info
        self.add((s, RDF.type, PROV.Entity))
        self.add((s, RDFS.label, Literal(f"Imported file {info.file}", lang="en")))
        self.add((s, DCTERMS.source, Literal(info.file)))
        self.add((s, DCTERMS.identifier, Literal(f"sha256:{info.sha256}")))
        self.add((s, DCTERMS.format, Literal(info.format)))
        self.add((s, PROV.generatedAtTime, Literal(info.imported, datatype=XSD.dateTime)))

    # -- shared nodes ---------------------------------------------------------
    def state(self, state: State) -> URIRef:
        iri = self.iris.state(state.iso3)
        if self._once(("state", state.iso3)):
            upr = self.upr
            self.add((iri, RDF.type, upr.State))
            self.add((iri, upr.iso3, Literal(state.iso3)))
            self.add((iri, upr.iso2, Literal(state.iso2)))
            self.add((iri, upr.m49, Literal(state.m49)))
            self.add((iri, RDFS.label, Literal(state.label, lang="en")))
            self.add((iri, SKOS.prefLabel, Literal(state.label, lang="en")))
        return iri

    def document(self, symbol: str) -> URIRef:
        """A UN document with what its symbol tells (type, Council session, undocs.org page)."""
        if self._once(("doc", symbol)):
            return describe_document(self.graph, self.iris, symbol)  # type: ignore[arg-type]
        return self.iris.document(normalise(symbol))

    def review(self, review: Review) -> URIRef:
        iri = self.iris.review(review.state.iso3, review.cycle)
        if self._once(("review", iri)):
            upr = self.upr
            self.add((iri, RDF.type, upr.Review))
            self.add((iri, upr.stateUnderReview, self.state(review.state)))
            self.add((iri, upr.cycle, Literal(review.cycle, datatype=XSD.integer)))
            if review.session is not None:
                self.add((iri, upr.session, Literal(review.session, datatype=XSD.integer)))
            if review.report:
                self.add((iri, upr.outcomeReport, self.document(review.report)))
        return iri

    def concept(self, concept: Concept) -> URIRef:
        iri = self.iris.theme(concept.scheme, concept.code)
        if self._once(("concept", iri)):
            scheme = self.iris.scheme(concept.scheme)
            if self._once(("scheme", scheme)):
                title = SCHEME_TITLES.get(concept.scheme, concept.scheme)
                self.add((scheme, RDF.type, SKOS.ConceptScheme))
                self.add((scheme, SKOS.prefLabel, Literal(title, lang="en")))
                self.add((scheme, DCTERMS.title, Literal(title, lang="en")))
            self.add((iri, RDF.type, SKOS.Concept))
            self.add((iri, SKOS.inScheme, scheme))
            self.add((iri, SKOS.prefLabel, Literal(concept.label, lang="en")))
            if concept.notation:
                self.add((iri, SKOS.notation, Literal(concept.notation)))
        return iri

    def mapping(self, mapping: ThemeMapping) -> None:
        relation = SKOS.exactMatch if mapping.relation == "exactMatch" else SKOS.closeMatch
        self.add((self.concept(mapping.source), relation, self.concept(mapping.target)))

    # -- recommendations --------------------------------------------------------
    def recommendation_iri(self, rec: Recommendation) -> URIRef:
        return self.iris.recommendation(rec.review.state.iso3, rec.review.cycle, rec.local_id)

    def recommendation(self, rec: Recommendation) -> URIRef:
        upr = self.upr
        iri = self.recommendation_iri(rec)
        add = self.add
        add((iri, RDF.type, upr.Recommendation))
        add((iri, upr.review, self.review(rec.review)))
        add((iri, upr.text, Literal(rec.text, lang="en")))
        if rec.paragraph:
            add((iri, upr.paragraph, Literal(rec.paragraph)))
        for state in rec.recommending_states:
            add((iri, upr.recommendingState, self.state(state)))
        if rec.response == SUPPORTED:
            add((iri, upr.response, upr.Supported))
        elif rec.response == NOTED:
            add((iri, upr.response, upr.Noted))
        if rec.review.report:
            add((iri, upr.sourceDocument, self.document(rec.review.report)))
        if rec.position_source:
            add((iri, upr.positionSource, self.document(rec.position_source)))
        if rec.position_paragraph:
            add((iri, upr.positionParagraph, Literal(rec.position_paragraph)))
        for concept in rec.themes:
            add((iri, upr.theme, self.concept(concept)))
        for concept in rec.affected_groups:
            add((iri, upr.affectedGroup, self.concept(concept)))
        for code in rec.sdgs:
            add((iri, upr.sdg, self.iris.sdg(code)))
        if rec.cluster is not None:
            add((iri, upr.cluster, self.concept(rec.cluster)))
        if rec.action_category is not None:
            add((iri, upr.actionCategory, Literal(rec.action_category, datatype=XSD.integer)))
        add((iri, PROV.wasDerivedFrom, self.source))
        add((iri, upr.sourceLocation, Literal(rec.location)))
        self.memberships(rec)
        return iri

    def memberships(self, rec: Recommendation) -> None:
        """``upr:memberOf`` of the states under review and recommending (UPR Info *-Org)."""
        pairs = [(rec.review.state, o) for o in rec.state_organisations]
        if len(rec.recommending_states) == 1:
            pairs += [(rec.recommending_states[0], o) for o in rec.organisations]
        for state, org in pairs:
            iri = self.iris.organisation(org.code)
            if self._once(("org", iri)):
                self.add((iri, RDF.type, self.upr.Organisation))
                self.add((iri, FOAF.name, Literal(org.name, lang="en")))
                self.add((iri, SKOS.notation, Literal(org.code)))
            if self._once(("member", state.iso3, iri)):
                self.add((self.state(state), self.upr.memberOf, iri))


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
