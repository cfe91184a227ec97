"""Evidence rows -> triples, each name in a cell resolved against the project's data.

A finding row refers to things the data already holds (its review, themes,
source, recommendations); it mints only what is its own: the finding, its
figures (``/q1``, ``/q2`` below the finding's IRI) and the places it names. An
assessment row mints the assessment and, for an assessor the data does not
know, the organisation. A reference the data cannot resolve is a problem
naming the row and column, never a dangling IRI.

Places and organisations minted only by restricted rows are marked restricted
themselves, so the build withholds them with the rows: a restricted testimony
does not leak the name of its village or of its witness.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, SKOS, XSD

from ..iris import IRIs, slug
from ..records import Problem
from ..sources.evidence import AssessmentRow, FindingRow, ParsedEvidence, where

SCHEMA = Namespace("http://schema.org/")
_DATE_TYPES = {1: XSD.gYear, 2: XSD.gYearMonth, 3: XSD.date}


def date_literal(text: str) -> Literal:
    """``2020`` -> xsd:gYear, ``2020-08`` -> xsd:gYearMonth, ``2020-08-15`` -> xsd:date."""
    return Literal(text, datatype=_DATE_TYPES[len(text.split("-"))])


def number_literal(text: str) -> Literal:
    return Literal(text, datatype=XSD.decimal if "." in text else XSD.integer)


def _key(text: str) -> str:
    return " ".join(str(text).lower().split())


@dataclass
class Located:
    """Where each minted node was read: node -> (row, column or None for the whole row)."""

    nodes: dict[URIRef, tuple[int, str | None]] = field(default_factory=dict)

    def location(self, node: URIRef, column: str | None = None) -> str:
        row, own = self.nodes[node]
        column = column or own
        return where(row, column) if column else f"row {row}"


class Resolver:
    """Looks names up in the project's data: themes, sources, reviews, recommendations..."""

    def __init__(self, data: Graph, iris: IRIs) -> None:
        self.data, self.iris = data, iris
        self.upr = iris.upr
        self._themes: dict[str, set[URIRef]] = defaultdict(set)
        for concept in data.subjects(RDF.type, SKOS.Concept):
            names = {_key(str(concept).rsplit("/", 1)[-1])}
            for prop in (SKOS.prefLabel, SKOS.notation, RDFS.label):
                names.update(_key(v) for v in data.objects(concept, prop))
            for name in names:
                self._themes[name].add(concept)  # type: ignore[arg-type]
        self._sources: dict[str, URIRef] = {}
        for source in data.subjects(RDF.type, self.upr.SourceReport):
            self._sources[_key(str(source).rsplit("/", 1)[-1])] = source  # type: ignore[assignment]
            for prop in (DCTERMS.title, RDFS.label):
                for v in data.objects(source, prop):
                    self._sources.setdefault(_key(v), source)  # type: ignore[arg-type]
        self._organisations: dict[str, URIRef] = {}
        for org in data.subjects(RDF.type, self.upr.Organisation):
            self._organisations[_key(str(org).rsplit("/", 1)[-1])] = org  # type: ignore[assignment]
            for prop in (FOAF.name, RDFS.label, SCHEMA.alternateName):
                for v in data.objects(org, prop):
                    self._organisations.setdefault(_key(v), org)  # type: ignore[arg-type]

    def is_a(self, node: URIRef, cls: URIRef) -> bool:
        return (node, RDF.type, cls) in self.data

    def themes(self, name: str, scheme: str | None) -> list[URIRef]:
        found = self._themes.get(_key(name), set())
        if scheme:
            wanted = {_key(scheme), slug(scheme)}
            found = {c for c in found if any(
                str(s).rsplit("/", 1)[-1] in wanted or _key(label) in wanted
                for s in self.data.objects(c, SKOS.inScheme)
                for label in [*self.data.objects(s, SKOS.prefLabel), s])}
        return sorted(found)

    def scheme_labels(self, scheme: str) -> list[str]:
        """The English labels of a scheme's concepts, to suggest what a cell may say."""
        wanted = {_key(scheme), slug(scheme)}
        return sorted({str(label) for c in self.data.subjects(RDF.type, SKOS.Concept)
                       for s in self.data.objects(c, SKOS.inScheme)
                       if str(s).rsplit("/", 1)[-1] in wanted
                       for label in self.data.objects(c, SKOS.prefLabel)})

    def source(self, name: str) -> URIRef | None:
        return self._sources.get(_key(name))

    def organisation(self, name: str) -> URIRef | None:
        return self._organisations.get(_key(name)) or self._organisations.get(slug(name))

    def recommendation(self, ref: str) -> URIRef | None:
        ref = ref.strip()
        if ref.startswith(("http://", "https://")):
            iri = URIRef(ref)
        else:
            parts = ref.strip("/").split("/")
            if len(parts) != 3 or not parts[1].isdigit():
                return None
            try:
                iri = self.iris.recommendation(parts[0], int(parts[1]), parts[2])
            except ValueError:
                return None
        return iri if self.is_a(iri, self.upr.Recommendation) else None


class EvidenceGraph:
    """Adds the rows of one sheet to ``graph``; ``problems`` collects what cannot resolve."""

    def __init__(self, graph: Graph, resolver: Resolver, file: str) -> None:
        self.graph, self.resolver, self.file = graph, resolver, file
        self.iris, self.upr = resolver.iris, resolver.upr
        self.problems: list[Problem] = []
        self.located = Located()
        self._public_uses: dict[URIRef, bool] = {}  # minted place/org -> used by a public row

    def bad(self, row: int, column: str, reason: str) -> None:
        self.problems.append(Problem(self.file, where(row, column), reason))

    def add(self, parsed: ParsedEvidence) -> None:
        for finding in parsed.findings:
            self.finding(finding)
        for assessment in parsed.assessments:
            self.assessment(assessment)
        for node, public in self._public_uses.items():
            if not public:
                self.graph.add((node, self.upr.accessLevel, self.upr.Restricted))

    def _mint(self, node: URIRef, row: int, column: str | None) -> bool:
        """True when ``node`` is new (neither in the data nor minted by an earlier row)."""
        if node in self.located.nodes:
            other = self.located.nodes[node][0]
            if column is None:  # a finding or assessment named twice
                self.bad(row, "id" if (node, RDF.type, self.upr.Finding) in self.graph
                         else "recommendation", f"the same as row {other}: one row per "
                         "finding, one per recommendation, assessor and date")
            return False
        self.located.nodes[node] = (row, column)
        return True

    def _shared(self, node: URIRef, public: bool) -> None:
        self._public_uses[node] = self._public_uses.get(node, False) or public

    def _source(self, row: int, name: str) -> URIRef | None:
        source = self.resolver.source(name)
        if source is None:
            self.bad(row, "source", f"no source report {name!r} in the data; add it to "
                     "data/sources.ttl first (docs/evidence.md says how)")
        return source

    def finding(self, f: FindingRow) -> None:
        upr, g, r = self.upr, self.graph, self.resolver
        iri = self.iris.finding(f.collection, f.name)
        if not self._mint(iri, f.row, None):
            return
        if (iri, None, None) in r.data:
            self.bad(f.row, "id", f"finding {f.collection}/{f.name} is already described in "
                     "another data file; give this row another id")
        review = self.iris.review(f.state.iso3, f.cycle)
        if not r.is_a(review, upr.Review):
            self.bad(f.row, "cycle", f"no review of {f.state.label} in cycle {f.cycle} in the "
                     "data (import its recommendations first)")
        themes = []
        for name in f.themes:
            found = r.themes(name, f.theme_scheme)
            if len(found) != 1:
                hint = ("; name the scheme in 'theme scheme'" if found else
                        f" (scheme {f.theme_scheme}: {', '.join(r.scheme_labels(f.theme_scheme))})"
                        if f.theme_scheme else "")
                self.bad(f.row, "theme", f"{len(found) or 'no'} themes called {name!r} in the "
                         f"data{hint}")
            themes += found[:1]
        source = self._source(f.row, f.source)
        bears = []
        for ref in f.recommendations:
            rec = r.recommendation(ref)
            if rec is None:
                self.bad(f.row, "recommendations", f"no recommendation {ref!r} in the data "
                         "(write state/cycle/paragraph: KHM/3/110.1)")
            bears.append(rec)
        g.add((iri, RDF.type, upr.Finding))
        g.add((iri, upr.direction, upr[f.direction]))
        for theme in themes:
            g.add((iri, upr.theme, theme))
        g.add((iri, upr.review, review))
        if f.headline:
            g.add((iri, upr.headline, Literal(f.headline, lang="en")))
        g.add((iri, upr.statement, Literal(f.statement, lang="en")))
        for prop, value in ((DCTERMS.date, f.date), (upr.periodStart, f.period_start),
                            (upr.periodEnd, f.period_end)):
            if value:
                g.add((iri, prop, date_literal(value)))
        for rec in bears:
            if rec is not None:
                g.add((iri, upr.bearsOn, rec))
        public = f.access == "Public"
        for fig in f.figures:
            q = self.iris.quantity(f.collection, f.name, fig.n)
            self.located.nodes[q] = (f.row, f"figure {fig.n} value")
            g.add((iri, upr.quantity, q))
            g.add((q, RDF.type, upr.Quantity))
            g.add((q, RDF.value, number_literal(fig.value)))
            g.add((q, upr.counts, Literal(fig.counts, lang="en")))
            if fig.unit:
                g.add((q, upr.unit, Literal(fig.unit)))
            g.add((q, upr.bound, upr[fig.bound]))
        for name in f.places:
            place = self.iris.place(f.state.iso3, name)
            g.add((iri, upr.place, place))
            if (place, None, None) in r.data:
                continue
            if self._mint(place, f.row, "places"):
                g.add((place, RDF.type, upr.Place))
                g.add((place, RDFS.label, Literal(name, lang="en")))
                g.add((place, SCHEMA.containedInPlace, self.iris.state(f.state.iso3)))
            self._shared(place, public)
        if f.source_location:
            g.add((iri, upr.sourceLocation, Literal(f.source_location)))
        g.add((iri, upr.accessLevel, upr[f.access]))
        if source is not None:
            g.add((iri, PROV.wasDerivedFrom, source))

    def assessment(self, a: AssessmentRow) -> None:
        upr, g, r = self.upr, self.graph, self.resolver
        rec = r.recommendation(a.recommendation)
        if rec is None:
            self.bad(a.row, "recommendation", f"no recommendation {a.recommendation!r} in the "
                     "data (write state/cycle/paragraph: KHM/3/110.1, or its IRI)")
            return
        assessor = r.organisation(a.assessor)
        new_assessor = assessor is None
        if assessor is None:
            assessor = self.iris.organisation(a.assessor)
        path = (self.iris.path_of(str(rec)) or str(rec)).removeprefix("id/recommendation/")
        iri = self.iris.assessment(str(assessor).rsplit("/", 1)[-1],
                                   f"{path}/{a.date}".replace("/", "-"))
        if not self._mint(iri, a.row, None):
            return
        source = self._source(a.row, a.source) if a.source else None
        if a.source is None and a.access == "Public":
            self.bad(a.row, "source", "empty; a public assessment cites the published source "
                     "it comes from (the shapes require a dated source with a publisher)")
        g.add((iri, RDF.type, upr.ImplementationAssessment))
        g.add((iri, upr.assesses, rec))
        g.add((iri, upr.implementationStatus, upr[a.status]))
        g.add((iri, PROV.wasAttributedTo, assessor))
        g.add((iri, DCTERMS.date, date_literal(a.date)))
        if a.comment:
            g.add((iri, upr.statement, Literal(a.comment, lang="en")))
        g.add((iri, upr.accessLevel, upr[a.access]))
        if source is not None:
            g.add((iri, PROV.wasDerivedFrom, source))
        if new_assessor:
            if self._mint(assessor, a.row, "assessor"):
                g.add((assessor, RDF.type, upr.Organisation))
                g.add((assessor, FOAF.name, Literal(a.assessor, lang="en")))
            self._shared(assessor, a.access == "Public")
