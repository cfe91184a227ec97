"""An in-memory store on rdflib: for small graphs and tests, no files, no server.

rdflib's SPARQL engine is much slower than Oxigraph's, so this backend is not
for serving a full release. Its answers are handed to the shared result layer
as pyoxigraph terms (through SPARQL JSON / N-Triples), so rendering, the row
cap and content negotiation work the same for every backend.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import rdflib.plugins.sparql as rdflib_sparql
from pyparsing import ParseException
from rdflib import Dataset, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from ..formats import for_path
from .analysis import analyse
from .base import QuerySyntaxError, StoreError
from .oxigraph import OxigraphResult, wrap

# Never let a FROM clause make rdflib fetch a document from the web or the disk.
rdflib_sparql.SPARQL_LOAD_GRAPHS = False


class MemoryStore:
    """An rdflib :class:`~rdflib.Dataset`; the default graph of queries is the union."""

    def __init__(self, dataset: Dataset | None = None) -> None:
        self.dataset = dataset if dataset is not None else Dataset(default_union=True)
        self.dataset.default_union = True

    @classmethod
    def from_files(cls, paths: list[Path], graph_for: dict[Path, str] | None = None) -> MemoryStore:
        store = cls()
        for path in paths:
            store.load_file(path, (graph_for or {}).get(path))
        return store

    def load_file(self, path: Path, graph: str | None = None) -> None:
        """Add an RDF file; triples go to ``graph``, N-Quads/TriG keep their graphs."""
        from .oxigraph import read_quads

        for_path(path)  # a clear error for a file of unknown format
        if not path.is_file():
            raise StoreError(f"no such file: {path}")
        # pyoxigraph parses (fast, .gz aware); rdflib holds the result.
        nq = ox.serialize(read_quads(path, graph), format=ox.RdfFormat.N_QUADS)
        self.dataset.parse(data=nq.decode("utf-8"), format="nquads")

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> OxigraphResult:
        target = self.dataset
        if default_graphs is not None or named_graphs is not None:
            target = Dataset(default_union=default_graphs is None)
            for g in self.dataset.graphs():
                name = str(g.identifier)
                if g.identifier == DATASET_DEFAULT_GRAPH_ID:
                    continue
                if default_graphs is not None and name in default_graphs:
                    for t in g:
                        target.default_context.add(t)
                if named_graphs is None or name in named_graphs:
                    sub = target.graph(URIRef(name))
                    for t in g:
                        sub.add(t)
        elif analyse(sparql).uses_from:
            target = Dataset(default_union=False)
            target += self.dataset  # type: ignore[arg-type]
        try:
            result = target.query(sparql, base=base_iri)
        except ParseException as exc:
            raise QuerySyntaxError(str(exc)) from exc
        if result.type == "CONSTRUCT" or result.type == "DESCRIBE":
            nt = result.graph.serialize(format="nt", encoding="utf-8")  # type: ignore[union-attr]
            triples = [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
            return wrap(iter(triples))  # type: ignore[return-value]
        data = result.serialize(format="json")
        return wrap(ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON))

    def graphs(self) -> list[str]:
        return sorted(
            str(g.identifier)
            for g in self.dataset.graphs()
            if g.identifier != DATASET_DEFAULT_GRAPH_ID
        )

    def __len__(self) -> int:
        return len(self.dataset)

    def close(self) -> None:
        self.dataset = Dataset()
