"""SHACL validation with pyshacl, turned into a report a person can act on.

pyshacl's own text report names shapes and blank nodes; people editing data
need the focus node, the property, the offending value, the message, and the
file the statement came from. :func:`validate` gives exactly that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, Node, URIRef
from rdflib.namespace import RDF, SH

SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


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
    use_shapes: list[URIRef] | None = None,
) -> Report:
    """Validate ``data`` (changed in place: the ontology is mixed in) against ``shapes``.

    ``locate`` maps a focus node to the source files that describe it;
    ``use_shapes`` limits validation to those shapes (pyshacl's ``focus_nodes`` is not
    offered: it also filters the value nodes ``sh:or`` and SPARQL components look at).
    """
    if ontology is not None:
        data += ontology
    _conforms, results, _text = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,
        use_shapes=use_shapes,
    )
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
    report.results.sort(key=lambda r: (r.severity != "Violation", r.focus, r.path or "", r.message))
    return report
