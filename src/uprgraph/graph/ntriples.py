"""Triples written straight out as N-Triples text, for importers.

An import only needs each triple once and its N-Triples text. Building rdflib
terms (and an rdflib ``Graph`` with three indexes per triple) made an import
slower than parsing its own output back, so importers hold the N-Triples text
of each term instead: :func:`iri` and :func:`literal` write a term once (shared
nodes are cached by the builders), :class:`TripleSet` keeps the lines they make
and writes the sorted file.

Escaping is rdflib's (``\\\\``, ``\\"``, ``\\n``, ``\\r``), so a file is byte-identical
to what ``Graph.serialize(format="nt")`` writes for the same triples; every other
character is legal as it is in an N-Triples string (``tests/test_import_writer.py``
round-trips a tricky fixture through Oxigraph's and rdflib's parsers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

#: the text of one triple's subject, predicate and object
Triple = tuple[str, str, str]

#: what N-Triples forbids inside ``<...>`` (IRIREF)
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def iri(value: str) -> str:
    """An IRI (as :mod:`uprgraph.iris` mints it) in N-Triples: ``<...>``."""
    if _NOT_IN_IRI.search(value):
        raise ValueError(f"cannot write {value!r} as an IRI: it holds a character "
                         "N-Triples forbids in IRIs (space, <, >, \", {, }, |, ^, `, \\)")
    return f"<{value}>"


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal in N-Triples; ``datatype`` is an IRI (not yet in ``<>``)."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    if lang:
        return f'"{text}"@{lang}'
    if datatype:
        return f'"{text}"^^{iri(datatype)}'
    return f'"{text}"'


def term(node: Node) -> str:
    """An rdflib term in N-Triples, as rdflib's N-Triples serialiser writes it."""
    if isinstance(node, Literal):
        return literal(str(node), node.language, node.datatype)
    if isinstance(node, URIRef):
        return iri(str(node))
    if isinstance(node, BNode):
        return node.n3()
    raise TypeError(f"not an RDF term: {node!r}")


def line(triple: tuple[Node, Node, Node]) -> str:
    """One triple of rdflib terms as an N-Triples line, without its line end."""
    s, p, o = triple
    return f"{term(s)} {term(p)} {term(o)} ."


def sorted_text(lines: Iterable[str]) -> str:
    """N-Triples lines, sorted (the same input gives the same file), each ended by ``\\n``."""
    return "\n".join(sorted(lines)) + "\n"


class TripleSet:
    """Triples as N-Triples lines, each kept once."""

    def __init__(self) -> None:
        self._lines: set[str] = set()

    def add(self, triple: Triple) -> None:
        """Add ``(s, p, o)``: the N-Triples texts of three terms."""
        s, p, o = triple
        self._lines.add(f"{s} {p} {o} .")

    def add_graph(self, graph: Graph) -> None:
        """Add the triples of an rdflib graph (small ones: a document's description)."""
        for triple in graph:
            self._lines.add(line(triple))

    def __len__(self) -> int:
        return len(self._lines)

    def ntriples(self) -> str:
        """Every triple as N-Triples, lines sorted."""
        return sorted_text(self._lines)

    def to_graph(self) -> Graph:
        """The triples as an rdflib graph (for the small graphs that need one)."""
        return Graph().parse(data=self.ntriples(), format="nt")
