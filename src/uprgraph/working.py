"""The build's working set: every input in one in-memory Oxigraph store, a named graph each.

From parse to release the data stays in Rust: Oxigraph parses the files, the
validator reads each graph as N-Triples, restricted material and duplicates are
removed inside the store, and the dumps and the on-disk store are written from
it. No Python object per triple is kept for the whole data. Shapes and ontology
are also kept as rdflib graphs, which the SHACL engines read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from . import inputs
from .inputs import Input
from .reading import RDFLIB_ROLES, Reading
from .terms import to_oxigraph, to_rdflib


def graph_name(item: Input) -> ox.NamedNode:
    return ox.NamedNode(str(item.graph_iri))


class WorkingSet:
    """The inputs of a build (in build order) and the store that holds their quads."""

    def __init__(self, items: list[Input],
                 known: Mapping[str, tuple[str, int]] | None = None) -> None:
        self.items = items
        self.store = ox.Store()
        #: graph IRI -> digest and triples of the file an earlier build read into it
        self.known = known or {}
        #: the graphs the build changed after reading them (removed or added quads)
        self.altered: set[str] = set()
        self._pruned = False

    def parse(self, item: Input, base: str,
              hashed: Callable[[Input, str], object] = lambda _item, _digest: None) -> None:
        """Read one input into its graph (:class:`inputs.InputError` if it cannot be read;
        ``hashed``: see :func:`inputs.load_into`)."""
        if item.role in RDFLIB_ROLES:
            inputs.parse(item, base)
            self.add_parsed(item)
        else:
            inputs.load_into(self.store, item, base, self.known.get(str(item.graph_iri)),
                             hashed)

    def add_parsed(self, item: Input) -> None:
        """Put a shapes or ontology input rdflib parsed (``item.graph``) into its graph."""
        item.triples = inputs.add_graph(self.store, item.graph, graph_name(item))

    def read(self, base: str, done: Callable[[Input], object] = lambda _item: None,
             hashed: Callable[[Input, str], object] = lambda _item, _digest: None) -> None:
        """Read every input (:class:`inputs.InputError` for the first, in build order, that
        cannot be read; ``done`` is called with each input read, ``hashed`` with each file
        Oxigraph reads and its digest, before it parses it)."""
        self.start_reading(base, done, hashed).wait()

    def start_reading(self, base: str, done: Callable[[Input], object] = lambda _item: None,
                      hashed: Callable[[Input, str], object] = lambda _item, _digest: None,
                      ) -> Reading:
        """:meth:`read` in the background (:class:`.reading.Reading`)."""
        return Reading(self, base, done, hashed)

    def shapes_and_ontology(self) -> tuple[Graph, Graph]:
        """The shapes and the ontology as one rdflib graph each, as the validators read
        them."""
        graphs = {role: Graph() for role in RDFLIB_ROLES}
        for item in self.items:
            if item.role in graphs:
                graphs[item.role] += item.graph
        return graphs["shapes"], graphs["ontology"]

    def sources(self) -> dict[str, tuple[str, int]]:
        """Graph IRI -> digest and triples of the file the graph is exactly the content of:
        read by Oxigraph and left as it was (:mod:`release.pieces` may reuse its piece)."""
        files = Counter(str(i.graph_iri) for i in self.items)
        return {str(i.graph_iri): (i.sha256, i.triples) for i in self.items
                if files[str(i.graph_iri)] == 1
                if i.sha256 is not None and str(i.graph_iri) not in self.altered}

    def add_computed(self, quads: list[ox.Quad]) -> None:
        """Quads the build computed (the links graph, a named graph of its own) as one
        more input of the release, listed as ``linking``."""
        for name in sorted({q.graph_name.value for q in quads}):  # type: ignore[union-attr]
            mine = [q for q in quads if q.graph_name.value == name]  # type: ignore[union-attr]
            self.altered.add(name)
            self.store.extend(mine)
            self.items.append(Input(Path("linking"), URIRef(name), "linking", triples=len(mine)))

    def quads(self, item: Input) -> Iterator[ox.Quad]:
        return self.store.quads_for_pattern(None, None, None, graph_name(item))

    def ntriples(self, item: Input) -> str:
        """An input's triples as N-Triples for the validator: an N-Triples file as it is
        on disk, other inputs as Oxigraph writes them from the store."""
        if item.role == "data" and item.path.suffix == ".nt":
            text = item.path.read_text(encoding="utf-8")
            if "_:" not in text:  # blank nodes were relabelled when the file was parsed
                return text if text.endswith("\n") else text + "\n"
        return self.store.dump(format=ox.RdfFormat.N_TRIPLES,
                               from_graph=graph_name(item)).decode("utf-8")

    def labels_of(self, node: Node, project_dir: Path) -> Iterator[str]:
        """The files (project-relative) that describe ``node``."""
        term = to_oxigraph(node)
        for item in self.items:
            if next(self.store.quads_for_pattern(term, None, None, graph_name(item)), None):
                yield item.label(project_dir)

    def keep_described_links(self) -> None:
        """Links files may map every state in the world; keep links of what the data describes
        (once: later calls change nothing)."""
        if self._pruned:
            return
        self._pruned = True
        data = [graph_name(i) for i in self.items if i.role == "data"]
        for item in self.items:
            if item.role != "links":
                continue
            name = graph_name(item)
            rows = self.store.query(f"SELECT DISTINCT ?s {{ GRAPH <{name.value}> {{ ?s ?p ?o }} }}")
            for row in list(rows):  # type: ignore[arg-type]
                subject = row["s"]  # type: ignore[index]
                if not any(next(self.store.quads_for_pattern(subject, None, None, g), None)
                           for g in data):
                    for quad in list(self.store.quads_for_pattern(subject, None, None, name)):
                        self.store.remove(quad)
                        item.triples -= 1
                        self.altered.add(name.value)

    def subjects(self, predicate: URIRef, obj: URIRef, roles: tuple[str, ...]) -> set[Node]:
        """Subjects of ``(?, predicate, obj)`` in the inputs of ``roles``, as rdflib terms."""
        found: set[Node] = set()
        p, o = to_oxigraph(predicate), to_oxigraph(obj)
        for item in self.items:
            if item.role in roles:
                found.update(to_rdflib(q.subject)
                             for q in self.store.quads_for_pattern(None, p, o, graph_name(item)))
        return found

    def withhold(self, restricted: set[Node]) -> int:
        """Remove every triple about or pointing at ``restricted`` nodes (or IRIs under them:
        ``<r>/...``, ``<r>#...``); the number of quads removed."""
        if not restricted:
            return 0
        nodes = {to_oxigraph(r) for r in restricted}
        prefixes = tuple(f"{r}{sep}" for r in restricted if isinstance(r, URIRef) for sep in "/#")

        def withheld(term: object) -> bool:
            return term in nodes or (isinstance(term, ox.NamedNode)
                                     and term.value.startswith(prefixes))

        doomed = [q for q in self.store if withheld(q.subject) or withheld(q.object)]
        for quad in doomed:
            self.store.remove(quad)
            self.altered.add(str(quad.graph_name.value))  # type: ignore[union-attr]
        return len(doomed)

    def deduplicate(self) -> None:
        """A triple stated by several inputs stays in one of them only: the first in build
        order, except that among data files the one with more triples comes first.

        So a new import smaller than those already built leaves their graphs as they
        were, and a rebuild reuses them (:mod:`release.pieces`). Each pair of graphs is
        joined in the store, the smaller graph walked: no Python object per triple.
        """
        order = list(range(len(self.items)))
        data = [i for i in order if self.items[i].role == "data"]
        for place, i in zip(data, sorted(data, key=lambda i: (-self.items[i].triples, i)),
                            strict=True):
            order[place] = i
        names = [graph_name(self.items[i]) for i in order]
        sizes = [self.items[i].triples for i in order]
        for later in range(1, len(names)):
            for earlier in range(later):
                walk, other = ((earlier, later) if sizes[earlier] <= sizes[later]
                               else (later, earlier))
                rows = self.store.query(
                    f"SELECT ?s ?p ?o {{ GRAPH <{names[walk].value}> {{ ?s ?p ?o }} "
                    f"GRAPH <{names[other].value}> {{ ?s ?p ?o }} }}")
                doomed = [ox.Quad(r["s"], r["p"], r["o"], names[later])  # type: ignore[index]
                          for r in rows]  # type: ignore[union-attr]
                for quad in doomed:
                    self.store.remove(quad)
                if doomed:
                    self.altered.add(names[later].value)

    def graph_names(self) -> list[ox.NamedNode]:
        """The named graph of every input, in build order."""
        return [graph_name(i) for i in self.items]

    def graph_counts(self) -> dict[str, int]:
        """The triples of each non-empty graph: as Oxigraph read them for a graph the build
        left alone, counted in the store for the others (and a graph two files share)."""
        files = Counter(str(i.graph_iri) for i in self.items)
        counts: dict[str, int] = {}
        for item in self.items:
            iri = str(item.graph_iri)
            if iri in counts:
                continue
            if files[iri] == 1 and iri not in self.altered and item.sha256 is not None:
                counts[iri] = item.triples
            else:
                counts[iri] = inputs.count(self.store, graph_name(item))
        return {iri: n for iri, n in counts.items() if n}
