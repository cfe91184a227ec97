"""`uprgraph import` of an evidence sheet (findings or assessments, CSV or .xlsx).

All or nothing: a sheet is a small document a person keeps by hand, so one
bad row (a cell that does not read, a name the data does not hold, a value the
shapes refuse) rejects the whole sheet with every problem listed by row and
column, and nothing is written; a previous import of the same name stays as it
was. Half a finding, or half a sheet, is never published. Fix the rows and
import again.

The rows are checked against the project's data (``data/`` and the
vocabularies, without this import's previous version) and validated with the
shapes on the nodes the sheet mints, in that context.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SH

from . import inputs
from .config import Settings
from .graph.evidence import EvidenceGraph, Resolver
from .graph.ntriples import line as ntriples_line
from .graph.recommendations import GraphBuilder, ImportInfo
from .import_files import manifest, stamp, write_import
from .iris import slug
from .records import Problem, SourceError
from .sources import evidence, sheets
from .validate import validate


def detect(path: Path) -> str | None:
    """``evidence-findings`` or ``evidence-assessments`` when the header says so, else None."""
    return evidence.kind_of(sheets.header_of(path))


def _context(settings: Settings, own_file: Path) -> tuple[Graph, Graph, Graph]:
    """(data, shapes, ontology) of the project, as the next build would read them."""
    data, shapes, ontology = Graph(), Graph(), Graph()
    try:
        for item in inputs.collect(settings):
            if item.role == "links" or item.path.resolve() == own_file.resolve():
                continue
            inputs.parse(item, settings.iris.base)
            target = {"shapes": shapes, "ontology": ontology}.get(item.role, data)
            target += item.graph
    except inputs.InputError as exc:
        raise SourceError(f"cannot read the project's data to check the sheet against: {exc}") \
            from None
    return data, shapes, ontology


def _columns(upr) -> dict[URIRef, str]:
    """The sheet column that holds each property (findings and assessments)."""
    return {
        upr.direction: "direction", upr.headline: "headline", upr.statement: "statement",
        upr.periodStart: "period start", upr.periodEnd: "period end", upr.theme: "theme",
        upr.review: "cycle", upr.bearsOn: "recommendations", upr.place: "places",
        upr.quantity: "figure 1 value", upr.sourceLocation: "source location",
        upr.accessLevel: "access level", PROV.wasDerivedFrom: "source", DCTERMS.date: "date",
        upr.assesses: "recommendation", upr.implementationStatus: "status",
        PROV.wasAttributedTo: "assessor", RDF.value: "value", upr.counts: "counts",
        upr.unit: "unit", upr.bound: "bound",
    }


def _shacl(settings: Settings, built: EvidenceGraph, data: Graph, shapes: Graph,
           ontology: Graph) -> list[Problem]:
    if not len(shapes):
        return []
    upr = settings.iris.upr
    graph = built.graph
    minted = {c for node in built.located.nodes for c in graph.objects(node, RDF.type)}
    targeting = sorted({s for c in minted for s in shapes.subjects(SH.targetClass, c)})
    data += graph
    report = validate(data, shapes, ontology if len(ontology) else None, use_shapes=targeting)
    columns = _columns(upr)
    problems = []
    for result in report.violations:
        node = URIRef(result.focus)
        if node not in built.located.nodes:
            continue
        column = columns.get(URIRef(result.path)) if result.path else None
        if column == "statement" and (node, RDF.type, upr.ImplementationAssessment) in graph:
            column = "comment"
        own = built.located.nodes[node][1]
        if own and own.startswith("figure "):  # a figure's value, bound, counts or unit
            part = column if column in evidence.FIGURE_PARTS else "value"
            column = f"{own.rsplit(' ', 1)[0]} {part}"
        elif own:  # a place or an assessor the row names
            column = own
        problems.append(Problem(built.file, built.located.location(node, column),
                                f"SHACL: {result.message}"))
    return problems


def import_evidence(settings: Settings, path: Path, kind: str, *, name: str | None = None,
                    log: Callable[[str], None] = lambda _m: None):
    """Import one evidence sheet; raise ImportFailed (nothing written) on any bad row."""
    from .importing import ImportFailed, ImportResult

    name = slug(name or path.stem)
    sheet = sheets.read(path)
    parsed = evidence.parse(sheet, kind)
    log(f"read {parsed.rows} rows of {path.name} ({kind}, {sheet.layout})")
    own_file = settings.imported_dir / f"{name}.nt"
    data, shapes, ontology = _context(settings, own_file)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    same_input, imported = stamp(settings, name, sha256, {})
    builder = GraphBuilder(settings.iris, ImportInfo(name, path.name, sha256, kind, imported))
    built = EvidenceGraph(builder.graph.to_graph(), Resolver(data, settings.iris), path.name)
    built.add(parsed)
    problems = parsed.problems + built.problems
    if not problems:
        problems = _shacl(settings, built, data, shapes, ontology)
    if problems:
        problems.sort(key=lambda p: _row_order(p.location))
        raise ImportFailed(f"{path.name}: {len(problems)} problem(s) in "
                           f"{len({_row_order(p.location) for p in problems})} row(s); "
                           "nothing imported", problems)
    upr = settings.iris.upr
    graph = built.graph
    restricted = set(graph.subjects(upr.accessLevel, upr.Restricted))
    counts = {
        "findings": len(parsed.findings),
        "assessments": len(parsed.assessments),
        "restricted": len({s for s in restricted if (s, RDF.type, upr.Finding) in graph
                           or (s, RDF.type, upr.ImplementationAssessment) in graph}),
    }
    written = manifest(name, path, sha256, kind, sheet.layout, {}, imported, parsed.rows,
                       counts, len(graph), [], [])
    nt_text = "\n".join(sorted(ntriples_line(t) for t in graph)) + "\n"
    unchanged = write_import(settings, name, nt_text, written, [], [], same_input)
    return ImportResult(name, written, [], [], unchanged)


def _row_order(location: str) -> int:
    """Problems sorted by row (the header first)."""
    words = location.replace(",", " ").split()
    return int(words[1]) if len(words) > 1 and words[0] == "row" and words[1].isdigit() else 0
