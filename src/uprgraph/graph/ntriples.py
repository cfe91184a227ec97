"""A set of triples written straight out as N-Triples, for importers.

An import only needs its triples once each and their N-Triples text; an rdflib
``Graph`` also keeps three indexes per triple, which made building and writing
an import several times slower than parsing its output back. :class:`TripleSet`
takes the same ``add((s, p, o))`` calls (rdflib terms) and :func:`line` writes
each triple exactly as rdflib's ``serialize(format="nt")`` does, so an import
file is byte-identical to what the rdflib path wrote.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Graph, Literal
from rdflib.term import Node

Triple = tuple[Node, Node, Node]


def literal(term: Literal) -> str:
    """A literal in N-Triples (the escaping of rdflib's N-Triples serialiser)."""
    text = str(term).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    text = text.replace("\r", "\\r")
    if term.language:
        return f'"{text}"@{term.language}'
    if term.datatype:
        return f'"{text}"^^<{term.datatype}>'
    return f'"{text}"'


def line(triple: Triple) -> str:
    """One triple as an N-Triples line, without its line end."""
    s, p, o = triple
    obj = literal(o) if isinstance(o, Literal) else o.n3()
    return f"{s.n3()} {p.n3()} {obj} ."


class TripleSet:
    """Triples, each kept once, with ``Graph``'s ``add``, ``len`` and iteration."""

    def __init__(self) -> None:
        self._triples: set[Triple] = set()

    def add(self, triple: Triple) -> None:
        self._triples.add(triple)

    def __len__(self) -> int:
        return len(self._triples)

    def __iter__(self) -> Iterator[Triple]:
        return iter(self._triples)

    def __contains__(self, triple: object) -> bool:
        return triple in self._triples

    def ntriples(self) -> str:
        """Every triple as N-Triples, lines sorted (the same input gives the same file)."""
        iris: dict[Node, str] = {}  # an IRI recurs in many triples: written once

        def term(t: Node) -> str:
            if isinstance(t, Literal):
                return literal(t)
            text = iris.get(t)
            if text is None:
                text = iris[t] = t.n3()
            return text

        lines = [f"{term(s)} {term(p)} {term(o)} ." for s, p, o in self._triples]
        return "\n".join(sorted(lines)) + "\n"

    def to_graph(self) -> Graph:
        graph = Graph()
        for triple in self._triples:
            graph.add(triple)
        return graph
