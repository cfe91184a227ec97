"""`uprgraph import`: detect the format, read, check, convert and record a source file.

What an import leaves in ``data/imported/`` (the user's working data, which the
next ``uprgraph build`` reads like any other data file):

- ``<name>.nt``          the recommendations as N-Triples (sorted, so identical input
                         gives an identical file);
- ``<name>.json``        the manifest: source path, SHA-256, format, options, import
                         time, counts, rejected rows and warnings;
- ``<name>.report.txt``  every rejected row and warning, one a line.

Rows that fail the readers' checks or the SHACL shapes (``shapes/*.ttl``) are
left out and reported; ``strict`` makes any of them fatal, and then nothing is
written. Files are written whole and renamed into place.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from tqdm import tqdm

from . import evidence_import, formats
from .config import Settings
from .graph.recommendations import GraphBuilder, ImportInfo
from .import_files import list_imports, manifest, stamp, write_import, write_manifest, write_whole
from .iris import slug
from .records import ParsedSource, Problem, Recommendation, SourceError
from .sources import ohchr_matrix, upr_info
from .sources.common import ReviewOptions
from .sources.sheets import is_xlsx
from .validation_parts import validate_parts

READERS = {ohchr_matrix.FORMAT: ohchr_matrix.parse, upr_info.FORMAT: upr_info.parse}


class ImportFailed(ValueError):
    """The import was refused; nothing was written. ``problems`` lists why, row by row."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class ImportResult:
    name: str
    manifest: dict
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    unchanged: bool = False
    #: other imports whose recommendations this one replaced: name -> count
    superseded: dict[str, int] = field(default_factory=dict)


def detect(path: Path) -> str:
    """The format of a source file, from its content (and name)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror}") from None
    if head.startswith(b"PK\x03\x04") and not is_xlsx(path):
        return ohchr_matrix.FORMAT
    if upr_info.looks_like(head):
        return upr_info.FORMAT
    kind = evidence_import.detect(path)
    if kind is not None:
        return kind
    raise SourceError(
        f"{path.name}: unknown format: neither an OHCHR matrix (.docx), a UPR Info "
        "export (CSV with columns To, To-Rgrp, ..., Session), nor a findings or assessments "
        "sheet (CSV or .xlsx with the columns of docs/templates/)"
    )


def _project_graph(settings: Settings, folder: Path) -> Graph:
    graph = Graph()
    if folder.is_dir():
        for path in sorted(folder.glob("*")):
            try:
                fmt = formats.for_path(path)
            except formats.UnknownFormat:
                continue
            graph.parse(str(path), format=fmt.rdflib, publicID=settings.iris.base)
    return graph


def remove_import(settings: Settings, name: str) -> list[Path]:
    """Delete an import's files; the next build no longer includes it."""
    paths = [settings.imported_dir / f"{name}{ext}" for ext in (".nt", ".json", ".report.txt")]
    if not paths[1].exists():
        known = ", ".join(m["name"] for m in list_imports(settings)) or "none"
        raise ImportFailed(f"no import named {name!r} (imports: {known})")
    removed = [p for p in paths if p.exists()]
    for path in removed:
        path.unlink()
    return removed


def _shacl(settings: Settings, nt_text: str, iris_of: dict[str, Recommendation],
           name: str) -> list[Problem]:
    """SHACL problems of the imported triples, one per recommendation that must go.

    ``iris_of`` maps the N-Triples text of each recommendation's IRI (``<...>``) to it.
    A violation on another node (a concept, a state) blames the recommendations whose
    triples have that node as their object.
    """
    shapes = _project_graph(settings, settings.path(settings.shapes_dir))
    if not len(shapes):
        return []
    ontology = _project_graph(settings, settings.path(settings.ontology_dir))
    report = validate_parts(nt_text, set(iris_of), shapes, ontology if len(ontology) else None)
    problems: dict[str, Problem] = {}
    pointing: dict[str, list[str]] | None = None  # object -> recommendations, when needed
    for result in report.violations:
        focus = f"<{result.focus}>"
        if focus in iris_of:
            hit = [focus]
        else:
            if pointing is None:
                pointing = {}
                for line in filter(None, nt_text.split("\n")):
                    subject, _p, rest = line.split(" ", 2)  # rest: "object ."
                    if subject in iris_of:
                        pointing.setdefault(rest[:-2], []).append(subject)
            hit = sorted(set(pointing.get(focus, ())))
        if not hit:
            raise ImportFailed(f"{name}: SHACL: {result.message} (node {result.focus})")
        for node in hit:
            problems.setdefault(node, Problem(
                name, iris_of[node].location,
                f"SHACL: {result.message}" + (f" ({result.path})" if result.path else "")))
    return list(problems.values())


def _counts(recs: list[Recommendation]) -> dict:
    return {
        "recommendations": len(recs),
        "supported": sum(1 for r in recs if r.response == "Supported"),
        "noted": sum(1 for r in recs if r.response == "Noted"),
        "recommending_state_links": sum(len(r.recommending_states) for r in recs),
        "by_session": dict(sorted(Counter(str(r.review.session) for r in recs).items(),
                                  key=lambda kv: (len(kv[0]), kv[0]))),
        "by_state": dict(sorted(Counter(r.review.state.iso3 for r in recs).items())),
    }


def import_file(
    settings: Settings,
    path: Path,
    options: ReviewOptions | None = None,
    *,
    name: str | None = None,
    strict: bool = False,
    progress: bool = False,
    log: Callable[[str], None] = lambda _m: None,
) -> ImportResult:
    """Import one file into ``data/imported/``; raise :class:`ImportFailed` or SourceError."""
    options = options or ReviewOptions()
    path = Path(path)
    fmt = detect(path)
    if fmt not in READERS:  # an evidence sheet: all or nothing, whatever --strict says
        if options.as_dict():
            raise SourceError(f"{path.name}: --state, --cycle, --session and --report are for "
                              "recommendations; a findings or assessments sheet names its own")
        return evidence_import.import_evidence(settings, path, fmt, name=name, log=log)
    name = slug(name or path.stem)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    parsed: ParsedSource = (upr_info.parse(path, options, data) if fmt == upr_info.FORMAT
                            else READERS[fmt](path, options))
    log(f"read {parsed.rows} rows of {path.name} ({fmt}, layout {parsed.layout}): "
        f"{len(parsed.recommendations)} recommendations, {len(parsed.errors)} rejected")
    if strict and parsed.errors:
        raise ImportFailed(f"{path.name}: {len(parsed.errors)} row(s) rejected (--strict); "
                           "nothing imported", parsed.errors)
    same_input, imported = stamp(settings, name, sha256, options.as_dict())
    info = ImportInfo(name, path.name, sha256, fmt, imported)
    recs = list(parsed.recommendations)
    rejected = list(parsed.errors)
    nt_text, triples, iris_of = _ntriples(settings, info, parsed, recs, progress)
    shacl = _shacl(settings, nt_text, iris_of, path.name)
    if shacl:
        if strict:
            raise ImportFailed(f"{path.name}: {len(shacl)} recommendation(s) fail the shapes "
                               "(--strict); nothing imported", shacl)
        bad = {p.location for p in shacl}
        recs = [r for r in recs if r.location not in bad]
        rejected += shacl
        nt_text, triples, iris_of = _ntriples(settings, info, parsed, recs, progress)
        again = _shacl(settings, nt_text, iris_of, path.name)
        if again:
            raise ImportFailed(f"{path.name}: still failing the shapes after leaving out "
                               f"{len(shacl)} recommendation(s); nothing imported", again)
    written = manifest(name, path, sha256, fmt, parsed.layout, options.as_dict(), imported,
                       parsed.rows, _counts(recs), triples, rejected, parsed.warnings)
    if fmt == upr_info.FORMAT:
        superseded = _supersede(settings, name, fmt, set(iris_of))
    unchanged = write_import(settings, name, nt_text, written, rejected, parsed.warnings,
                             same_input)
    result = ImportResult(name, written, rejected, parsed.warnings, unchanged)
    if fmt == upr_info.FORMAT:
        result.superseded = superseded
    return result


def _ntriples(
    settings: Settings, info: ImportInfo, parsed: ParsedSource, recs: list[Recommendation],
    progress: bool,
) -> tuple[str, int, dict[str, Recommendation]]:
    """The import file's text, its number of triples, and its recommendations by the
    N-Triples text of their IRIs. The triples themselves are let go before validation,
    which needs the memory."""
    builder = GraphBuilder(settings.iris, info)
    iris_of: dict[str, Recommendation] = {}
    for rec in tqdm(recs, desc="converting", unit="rec", disable=not progress, leave=False):
        iris_of[builder.recommendation(rec)] = rec
    used = {c for r in recs for c in r.themes}
    for mapping in parsed.mappings:
        if mapping.source in used:
            builder.mapping(mapping)
    return builder.graph.ntriples(), len(builder.graph), iris_of


def _supersede(settings: Settings, name: str, fmt: str, wanted: set[str]) -> dict[str, int]:
    """Drop from older imports of the same format the recommendations this one restates.

    A newer UPR Info export mints the same IRIs for the same recommendations;
    its statements replace the older file's rather than adding to them. ``wanted`` holds
    the N-Triples text (``<...>``) of this import's recommendations.
    """
    done: dict[str, int] = {}
    for other in list_imports(settings):
        if other["name"] == name or other.get("format") != fmt:
            continue
        nt_path = settings.imported_dir / other["graph_file"]
        # lines end with "\n" only: str.splitlines() would also split literals holding
        # U+2028, U+0085 or a form feed, which N-Triples writes as they are
        lines = nt_path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        kept = [line for line in lines if line.split(" ", 1)[0] not in wanted]
        dropped = {line.split(" ", 1)[0] for line in lines} & wanted
        if not dropped:
            continue
        write_whole(nt_path, "\n".join(kept) + "\n")
        other["recommendations"] -= len(dropped)
        other["triples"] = len(kept)
        other.setdefault("superseded", {})[name] = len(dropped)
        write_manifest(settings, other)
        done[other["name"]] = len(dropped)
    return done
