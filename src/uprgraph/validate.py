"""SHACL validation, turned into a report a person can act on.

pyshacl's own text report names shapes and blank nodes; people editing data
need the focus node, the property, the offending value, the message, and the
file the statement came from. :func:`validate` gives exactly that.

Two engines with one API and one report graph: ``turbo`` (pyshacl-turbo, a Rust
engine with pySHACL's API, 10-15x faster on a whole release; the default) and
``pyshacl`` (the reference). ``tests/test_validate_oracle.py`` holds them to the
same results on every shape fixture and on real data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyshacl
import pyshacl_turbo
from rdflib import Graph, Literal, Node, URIRef
from rdflib.namespace import RDF, SH

SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
#: engine name -> its ``validate`` (same signature, same results graph)
ENGINES = {"turbo": pyshacl_turbo.validate, "pyshacl": pyshacl.validate}


@dataclass(frozen=True)
class Result:
    """One SHACL result: where (node, path, files), what (value) and why (message)."""

    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str | None
    files: tuple[str, ...] = ()

    def render(self) -> str:
        lines = [f"{self.severity}: {self.message}", f"  node:  {self.focus}"]
        if self.path:
            lines.append(f"  path:  {self.path}")
        if self.value is not None:
            lines.append(f"  value: {self.value}")
        if self.files:
            lines.append(f"  file:  {', '.join(self.files)}")
        if self.shape:
            lines.append(f"  shape: {self.shape}")
        return "\n".join(lines)


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def render(self) -> str:
        if not self.results:
            return "The data conforms to the shapes."
        head = (
            f"{len(self.violations)} violation(s), "
            f"{len(self.results) - len(self.violations)} other result(s):"
        )
        return "\n\n".join([head, *(r.render() for r in self.results)])


def _show(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, Literal):
        return node.n3()
    return str(node)


def _path_text(results: Graph, node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        return str(node)
    inverse = results.value(node, SH.inversePath)
    if inverse is not None:
        return f"^{inverse}"
    items = list(results.items(node)) if (node, RDF.first, None) in results else []
    return "/".join(str(i) for i in items) if items else str(node)


def validate(
    data: Graph,
    shapes: Graph,
    ontology: Graph | None = None,
    locate: Callable[[Node], Iterable[str]] | None = None,
    engine: str = "turbo",
    use_shapes: list[URIRef] | None = None,
) -> Report:
    """Validate ``data`` (changed in place: the ontology is mixed in) against ``shapes``.

    ``locate`` maps a focus node to the source files that describe it; ``engine``
    is a key of :data:`ENGINES`; ``use_shapes`` limits validation to those shapes
    (``focus_nodes`` is not offered: it also filters the value nodes ``sh:or`` and
    SPARQL components look at).
    """
    if ontology is not None:
        data += ontology
    _conforms, results, _text = ENGINES[engine](
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=engine == "pyshacl",  # turbo reads the graph and needs no copy of it
        use_shapes=use_shapes,
    )
    if engine == "turbo":
        constraint_messages(results)
    return read_results(results, locate)


def validate_ntriples(
    ntriples: str,
    shapes: Graph,
    ontology: Graph | None = None,
    locate: Callable[[Node], Iterable[str]] | None = None,
) -> Report:
    """Validate N-Triples text (a build's data, an import's output) as :func:`validate`
    validates a graph, with the turbo engine.

    The text goes to the Rust engine as it is, without an rdflib graph in between.
    """
    return read_results(turbo_results(ntriples, shapes, ontology), locate)


def turbo_results(ntriples: str | bytes | list[bytes], shapes: Graph,
                  ontology: Graph | None = None) -> Graph:
    """The turbo engine's results graph for N-Triples (with the ontology's triples),
    constraint messages worded (:func:`constraint_messages`).

    A list of byte chunks is consumed (emptied): each chunk is let go once the engine's
    text holds it, so a whole release is in memory once, not three times."""
    chunks = ntriples if isinstance(ntriples, list) else [ntriples]
    if ontology is not None and len(ontology):
        chunks.append(ontology.serialize(format="nt", encoding="utf-8"))
    compiled = pyshacl_turbo.compile_shapes(shapes, advanced=True)
    # an Input is handed to the engine as text; a plain string would become an rdflib graph
    data = pyshacl_turbo.Input(engine_text(chunks), "nt", None, {})
    _conforms, results, _text = compiled.validate(data, allow_warnings=True)
    return constraint_messages(results)


_NON_ASCII = re.compile(rb"[\x80-\xff]+")


def _escape(run: re.Match[bytes]) -> bytes:
    return "".join(f"\\u{ord(c):04X}" if ord(c) < 0x10000 else f"\\U{ord(c):08X}"
                   for c in run.group().decode("utf-8")).encode("ascii")


def engine_text(chunks: list[str | bytes]) -> str:
    """One ASCII string of N-Triples chunks, non-ASCII characters written as ``\\uXXXX``
    escapes (the same triples); ``chunks`` is emptied as it is read.

    Why ASCII: Python keeps a string holding one non-ASCII character at 2 or 4 bytes a
    character, and hands the engine a UTF-8 copy besides; an ASCII string is 1 byte a
    character and handed over as it is. On a release of a million triples that is
    hundreds of megabytes."""
    pieces: list[str] = []
    while chunks:
        chunk = chunks.pop(0)
        if isinstance(chunk, str):
            if chunk.isascii():
                pieces.append(chunk)
                continue
            chunk = chunk.encode("utf-8")
        pieces.append(_NON_ASCII.sub(_escape, chunk).decode("ascii"))
        del chunk
    return pieces[0] if len(pieces) == 1 else "".join(pieces)


_TEMPLATE = re.compile(r"\{[?$](this|value|PATH|path)\}")


def constraint_messages(results: Graph) -> Graph:
    """Word the results of ``sh:sparql`` constraints with the constraint's own ``sh:message``.

    SHACL (and pyshacl) prefer the SPARQL constraint's message to its shape's;
    pyshacl-turbo takes the shape's when both have one. The report graph carries
    the constraint with its messages; its ``{?value}``/``{$this}`` are filled in here.
    """
    for result in list(results.subjects(SH.sourceConstraintComponent,
                                        SH.SPARQLConstraintComponent)):
        constraint = results.value(result, SH.sourceConstraint)
        templates = list(results.objects(constraint, SH.message)) if constraint else []
        if not templates:
            continue
        slots = {"this": results.value(result, SH.focusNode),
                 "value": results.value(result, SH.value)}
        slots["PATH"] = slots["path"] = results.value(result, SH.resultPath)
        results.remove((result, SH.resultMessage, None))
        for template in templates:
            results.add((result, SH.resultMessage, _fill(template, slots)))
    return results


def _fill(template: Node, slots: dict[str, Node | None]) -> Literal:
    def slot(match: re.Match[str]) -> str:
        value = slots[match.group(1)]
        return match.group(0) if value is None else str(value)

    text = _TEMPLATE.sub(slot, str(template))
    return Literal(text, lang=template.language if isinstance(template, Literal) else None)


def read_results(
    results: Graph, locate: Callable[[Node], Iterable[str]] | None = None
) -> Report:
    """The report of a SHACL results graph, sorted so that equal results compare equal."""
    report = Report()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        message = results.value(result, SH.resultMessage)
        shape = results.value(result, SH.sourceShape)
        report.results.append(
            Result(
                severity=SEVERITY_NAMES.get(results.value(result, SH.resultSeverity), "Violation"),
                focus=_show(focus) or "?",
                path=_path_text(results, results.value(result, SH.resultPath)),
                value=_show(results.value(result, SH.value)),
                message=str(message) if message else "constraint not met",
                shape=str(shape) if isinstance(shape, URIRef) else None,
                files=tuple(sorted(set(locate(focus)))) if locate and focus is not None else (),
            )
        )
    return sort_results(report)


def sort_results(report: Report) -> Report:
    """Violations first, then by node, path, message, value and shape: equal reports compare
    equal whatever order the engine gave."""
    report.results.sort(key=lambda r: (r.severity != "Violation", r.focus, r.path or "", r.message,
                                       r.value or "", r.shape or ""))
    return report
