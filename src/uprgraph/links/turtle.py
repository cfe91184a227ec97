"""Turtle with IRIs relative to the base, so a file stays valid under any configured base.

Data files of the project use relative IRIs (``<id/state/SVN>``) resolved at build
time; rdflib's serialiser always writes absolute ones, so generated files
(vocabularies, outward links) are written here.
"""

from __future__ import annotations

import re
from collections import defaultdict

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _term(term: Node, base: str, prefixes: dict[str, str]) -> str:
    if isinstance(term, URIRef):
        text = str(term)
        for name, ns in prefixes.items():
            if text.startswith(ns) and _LOCAL_NAME.match(text[len(ns):]):
                return f"{name}:{text[len(ns):]}"
        if text.startswith(base):
            text = text[len(base):]
        return "<" + text.replace(">", "%3E") + ">"
    if isinstance(term, Literal):
        return term.n3()
    raise TypeError(f"no blank nodes in generated files: {term!r}")


def relative_turtle(
    graph: Graph, base: str, prefixes: dict[str, str], header: str = ""
) -> str:
    """Sorted Turtle of ``graph``; IRIs under ``base`` (prefixes included) become relative."""
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()] if header else []
    if lines:
        lines.append("")
    for name, ns in sorted(prefixes.items()):
        shown = ns[len(base):] if ns.startswith(base) else ns
        lines.append(f"@prefix {name}: <{shown}> .")
    lines.append("")
    by_subject: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in graph:
        by_subject[s][p].append(o)
    for s in sorted(by_subject, key=str):
        props = by_subject[s]
        parts = []
        for p in sorted(props, key=lambda x: (x != RDF.type, str(x))):
            objects = ", ".join(_term(o, base, prefixes) for o in sorted(props[p], key=str))
            verb = "a" if p == RDF.type else _term(p, base, prefixes)
            parts.append(f"{verb} {objects}")
        lines.append(f"{_term(s, base, prefixes)} " + " ;\n    ".join(parts) + " .")
    return "\n".join(lines) + "\n"
