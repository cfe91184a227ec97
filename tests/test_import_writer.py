"""The import's N-Triples writer: the same triples as an rdflib graph of the same records,
and literals that come back exactly as they were read, whatever their characters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox
import rdflib
from import_helpers import project
from rdflib import RDF, RDFS, Literal, Namespace
from rdflib.namespace import DCTERMS, FOAF, PROV, SKOS, XSD

from uprgraph.config import Settings
from uprgraph.graph.recommendations import SCHEME_TITLES, ImportInfo
from uprgraph.importing import import_file
from uprgraph.iris import IRIs
from uprgraph.links.documents import describe_document
from uprgraph.records import NOTED, SUPPORTED, ParsedSource
from uprgraph.sources import ohchr_matrix, upr_info

HEADER = list(upr_info.COLUMNS)
TRICKY = [
    'Quote " backslash \\ and a written \\n, \\u0041 and \\" stay as typed',
    "A line break\nand a CR LF\r\ninside the cell",
    "Tab\tform feed\x0cvertical tab\x0bseparators\x1c\x1d\x1e\x1f NEL\x85 LS\u2028 PS\u2029 end",
    "NUL\x00 DEL\x7f BOM\ufeff astral \U0001f600 combining e\u0301 and <tags> ^^ @en",
]


def reference_graph(iris: IRIs, info: ImportInfo, parsed: ParsedSource) -> rdflib.Graph:
    """The import's triples built with rdflib terms, as importers built them before
    they wrote N-Triples text themselves (the first description of a node wins)."""
    g, upr, seen = rdflib.Graph(), Namespace(iris.upr), set()
    source = iris.imported(info.name)
    for p, o in ((RDF.type, PROV.Entity), (RDFS.label, Literal(f"Imported file {info.file}",
                 lang="en")), (DCTERMS.source, Literal(info.file)),
                 (DCTERMS.identifier, Literal(f"sha256:{info.sha256}")),
                 (DCTERMS.format, Literal(info.format)),
                 (PROV.generatedAtTime, Literal(info.imported, datatype=XSD.dateTime))):
        g.add((source, p, o))

    def first(node) -> bool:
        new = node not in seen
        seen.add(node)
        return new

    def state(s):
        node = iris.state(s.iso3)
        for p, o in ((RDF.type, upr.State), (upr.iso3, Literal(s.iso3)),
                     (upr.iso2, Literal(s.iso2)), (upr.m49, Literal(s.m49)),
                     (RDFS.label, Literal(s.label, lang="en")),
                     (SKOS.prefLabel, Literal(s.label, lang="en"))):
            g.add((node, p, o))
        return node

    def concept(c):
        node, scheme = iris.theme(c.scheme, c.code), iris.scheme(c.scheme)
        if first(node):
            title = Literal(SCHEME_TITLES.get(c.scheme, c.scheme), lang="en")
            for s, p, o in ((scheme, RDF.type, SKOS.ConceptScheme),
                            (scheme, SKOS.prefLabel, title), (scheme, DCTERMS.title, title),
                            (node, RDF.type, SKOS.Concept), (node, SKOS.inScheme, scheme),
                            (node, SKOS.prefLabel, Literal(c.label, lang="en"))):
                g.add((s, p, o))
            if c.notation:
                g.add((node, SKOS.notation, Literal(c.notation)))
        return node

    used = {c for r in parsed.recommendations for c in r.themes}
    for rec in parsed.recommendations:
        review = iris.review(rec.review.state.iso3, rec.review.cycle)
        if first(review):
            g.add((review, RDF.type, upr.Review))
            g.add((review, upr.stateUnderReview, state(rec.review.state)))
            g.add((review, upr.cycle, Literal(rec.review.cycle, datatype=XSD.integer)))
            if rec.review.session is not None:
                g.add((review, upr.session, Literal(rec.review.session, datatype=XSD.integer)))
            if rec.review.report:
                g.add((review, upr.outcomeReport, describe_document(g, iris, rec.review.report)))
        node = iris.recommendation(rec.review.state.iso3, rec.review.cycle, rec.local_id)
        values = [(RDF.type, upr.Recommendation), (upr.review, review),
                  (upr.text, Literal(rec.text, lang="en")), (PROV.wasDerivedFrom, source),
                  (upr.sourceLocation, Literal(rec.location))]
        values += [(upr.recommendingState, state(s)) for s in rec.recommending_states]
        values += [(upr.theme, concept(c)) for c in rec.themes]
        values += [(upr.affectedGroup, concept(c)) for c in rec.affected_groups]
        values += [(upr.sdg, iris.sdg(code)) for code in rec.sdgs]
        if rec.response in (SUPPORTED, NOTED):
            values.append((upr.response, upr[rec.response]))
        for prop, value in ((upr.paragraph, rec.paragraph),
                            (upr.positionParagraph, rec.position_paragraph)):
            if value:
                values.append((prop, Literal(value)))
        for prop, symbol in ((upr.sourceDocument, rec.review.report),
                             (upr.positionSource, rec.position_source)):
            if symbol:
                values.append((prop, describe_document(g, iris, symbol)))
        if rec.cluster is not None:
            values.append((upr.cluster, concept(rec.cluster)))
        if rec.action_category is not None:
            values.append((upr.actionCategory, Literal(rec.action_category,
                                                       datatype=XSD.integer)))
        for p, o in values:
            g.add((node, p, o))
        pairs = [(rec.review.state, o) for o in rec.state_organisations]
        if len(rec.recommending_states) == 1:
            pairs += [(rec.recommending_states[0], o) for o in rec.organisations]
        for s, org in pairs:
            org_node = iris.organisation(org.code)
            if first(org_node):
                g.add((org_node, RDF.type, upr.Organisation))
                g.add((org_node, FOAF.name, Literal(org.name, lang="en")))
                g.add((org_node, SKOS.notation, Literal(org.code)))
            g.add((state(s), upr.memberOf, org_node))
    for mapping in parsed.mappings:
        if mapping.source in used:
            relation = SKOS.exactMatch if mapping.relation == "exactMatch" else SKOS.closeMatch
            g.add((concept(mapping.source), relation, concept(mapping.target)))
    return g


def triples(text: str) -> set[ox.Quad]:
    return set(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))


def assert_same_as_reference(settings: Settings, source: Path, parse) -> str:
    result = import_file(settings, source)
    assert not result.rejected
    m = result.manifest
    info = ImportInfo(m["name"], m["file"], m["sha256"], m["format"], m["imported"])
    written = (settings.imported_dir / m["graph_file"]).read_text(encoding="utf-8")
    expected = reference_graph(settings.iris, info, parse(source))
    assert triples(written) == triples(expected.serialize(format="nt"))
    assert m["triples"] == len(expected)
    lines = written.split("\n")
    assert lines[-1] == "" and lines[:-1] == sorted(set(lines[:-1]))  # sorted, each once
    return written


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def row(text: str, to: str = "Cambodia", from_: str = "France", org: str = "ASEAN") -> list[str]:
    return [to, "Asia", org, text, from_, "WEOG", "EU", "Accepted", "3",
            "Torture and other CID treatment, Women's rights", "6"]


def test_tricky_characters_come_back_as_read(tmp_path):
    """Every text survives the writer, Oxigraph's and rdflib's parsers, and a later
    import that supersedes another recommendation of the same file."""
    source = write_csv(tmp_path / "tricky.csv", [row(f"[{t}]") for t in TRICKY]
                       + [row("Restated later", from_="Germany, Brazil", org="")])
    settings = project(tmp_path)
    written = assert_same_as_reference(settings, source, upr_info.parse)
    texts = {f"[{t}]" for t in TRICKY} | {"Restated later"}
    upr = IRIs().upr
    assert {q.object.value for q in triples(written)
            if q.predicate.value == f"{upr}text"} == texts
    parsed = rdflib.Graph().parse(data=written, format="nt")
    assert {str(o) for o in parsed.objects(None, rdflib.URIRef(f"{upr}text"))} == texts

    newer = import_file(settings, write_csv(tmp_path / "newer.csv", [
        row("Restated later", from_="Germany, Brazil", org="")]))
    assert newer.superseded == {"tricky": 1}
    restated = next(q.subject for q in triples(written) if q.object.value == "Restated later")
    kept = (settings.imported_dir / "tricky.nt").read_text(encoding="utf-8")
    assert triples(kept) == {q for q in triples(written) if q.subject != restated}
    manifest = json.loads((settings.imported_dir / "tricky.json").read_text())
    assert manifest["recommendations"] == len(TRICKY)


def test_same_triples_as_rdflib_on_a_upr_info_sample(shared_data, tmp_path):
    source = shared_data / "upr-info" / "upr-info-sessions-01-05.csv"
    assert_same_as_reference(project(tmp_path), source, upr_info.parse)


def test_same_triples_as_rdflib_on_an_ohchr_matrix(shared_data, tmp_path):
    source = shared_data / "ohchr-matrix" / "slovenia-cycle3-UPR34-thematic-list.docx"
    assert_same_as_reference(project(tmp_path), source, ohchr_matrix.parse)
