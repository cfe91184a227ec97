"""The default store: embedded Oxigraph (RocksDB on disk, SPARQL in Rust).

The default graph of a query is the union of the release's named graphs, so a
plain ``SELECT`` sees all the data while ``GRAPH`` still tells sources apart.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from ..formats import Format
from .analysis import analyse
from .base import FormatMismatch, QueryResult, QuerySyntaxError, Rendered, StoreError

_TSV = ox.QueryResultsFormat.TSV


class _LineCap(io.RawIOBase):
    """A sink that keeps the first ``limit`` lines and stops the writer after them.

    SPARQL TSV escapes newlines inside terms, so one line is one solution.
    """

    def __init__(self, limit: int) -> None:
        self.buf = bytearray()
        self.lines = 0
        self.limit = limit
        self.full = False

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.buf += b
        self.lines += bytes(b).count(b"\n")
        if self.lines > self.limit:
            self.full = True
            raise OSError("row cap reached")
        return len(b)

    def head(self) -> bytes:
        end = -1
        for _ in range(self.limit):
            end = self.buf.index(b"\n", end + 1)
        return bytes(self.buf[: end + 1])


def _solutions_capped(native: ox.QuerySolutions, max_rows: int) -> tuple[bytes, bool]:
    """The first ``max_rows`` solutions as TSV, and whether more existed (all in Rust)."""
    sink = _LineCap(max_rows + 1)  # the header line + max_rows solutions
    try:
        native.serialize(sink, format=_TSV)
    except OSError:
        if not sink.full:
            raise
    if sink.full:
        return sink.head(), True
    return bytes(sink.buf), False


class OxigraphResult(QueryResult):
    def render(
        self, fmt: Format, *, max_rows: int = 0, prefixes: dict[str, str] | None = None
    ) -> Rendered:
        native = self._native
        if self.kind == "graph":
            if fmt.oxigraph_rdf is None:
                raise FormatMismatch(f"{fmt.media_type} cannot carry an RDF graph")
            rdf = fmt.oxigraph_rdf
            pre = prefixes if fmt.name in ("turtle", "trig") else None
            if not max_rows:
                return Rendered("graph", False, lambda out: ox.serialize(
                    native, out, format=rdf, prefixes=pre))  # type: ignore[arg-type]
            triples = list(islice(native, max_rows + 1))  # type: ignore[arg-type]
            body = ox.serialize(triples[:max_rows], format=rdf, prefixes=pre)
            return Rendered("graph", len(triples) > max_rows, lambda out: out.write(body))
        if fmt.oxigraph_results is None:
            raise FormatMismatch(f"{fmt.media_type} cannot carry {self.kind.upper()} results")
        results = fmt.oxigraph_results
        if self.kind == "ask" or not max_rows:
            return Rendered(self.kind, False, lambda out: native.serialize(out, format=results))
        tsv, truncated = _solutions_capped(native, max_rows)  # type: ignore[arg-type]
        if fmt.name == "tsv":
            body = tsv
        else:
            body = ox.parse_query_results(tsv, format=_TSV).serialize(format=results)
        return Rendered("select", truncated, lambda out: out.write(body))

    def serialize(self, fmt: Format) -> bytes:
        native = self._native
        if self.kind == "graph":
            if fmt.oxigraph_rdf is None:
                raise ValueError(f"{fmt.name} cannot carry a graph")
            return ox.serialize(self._rows, format=fmt.oxigraph_rdf)  # type: ignore[arg-type]
        if fmt.oxigraph_results is None:
            raise ValueError(f"{fmt.name} cannot carry {self.kind.upper()} results")
        return native.serialize(format=fmt.oxigraph_results)  # type: ignore[union-attr]


def wrap(native: object) -> OxigraphResult:
    if isinstance(native, ox.QueryBoolean):
        return OxigraphResult("ask", [], _boolean=bool(native), _native=native)
    if isinstance(native, ox.QuerySolutions):
        variables = [v.value for v in native.variables]
        rows = ({v: s[v] for v in variables if s[v] is not None} for s in native)
        return OxigraphResult("select", variables, _rows=rows, _native=native)
    return OxigraphResult("graph", [], _rows=native, _native=native)


class OxigraphStore:
    """An Oxigraph store in a directory (or in memory when ``path`` is None)."""

    def __init__(self, store: ox.Store, path: Path | None = None) -> None:
        self._store = store
        self.path = path

    @classmethod
    def create(cls, path: Path | None) -> OxigraphStore:
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
        return cls(ox.Store(str(path)) if path else ox.Store(), path)

    @classmethod
    def open_read_only(cls, path: Path) -> OxigraphStore:
        if not path.is_dir():
            raise StoreError(f"no store at {path}: run `uprgraph build` first")
        try:
            return cls(ox.Store.read_only(str(path)), path)
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc

    @classmethod
    def in_memory(cls, files: Iterable[tuple[Path, str | None]]) -> OxigraphStore:
        """A store in this process's memory, loaded from RDF files (the release's N-Quads
        dump keeps its graphs; other files go to the graph named with them).

        Oxigraph answers from memory several times faster than from its on-disk store
        (no RocksDB reads), at the cost of holding the data once per query worker.
        """
        store = ox.Store()
        for path, graph in files:
            if not path.is_file():
                raise StoreError(f"no such file: {path}")
            try:
                store.bulk_extend(read_quads(path, graph))
            except SyntaxError as exc:
                raise StoreError(f"{path}: {exc}") from exc
        return cls(store, None)

    @property
    def native(self) -> ox.Store:
        return self._store

    def load(self, quads: Iterable[ox.Quad]) -> None:
        self._store.bulk_extend(quads)
        self._store.flush()

    def load_serialized(self, path: Path, fmt: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> None:
        """Bulk-load a file of serialised quads: Oxigraph parses and indexes them without a
        Python object per quad and without holding Python's lock (another thread runs
        meanwhile)."""
        self._store.bulk_load(path=str(path), format=fmt)
        self._store.flush()

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> OxigraphResult:
        """Run a query; ``base_iri`` resolves relative IRIs (``PREFIX upr: <def/upr#>``).

        Without a dataset (protocol or ``FROM``) the default graph is the union of
        the named graphs. A ``FROM``/``FROM NAMED`` clause only selects graphs of
        this store: Oxigraph never fetches the IRI.
        """
        kwargs: dict[str, object] = {"base_iri": base_iri}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        elif not analyse(sparql).uses_from:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return wrap(self._store.query(sparql, **kwargs))
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc

    def load_file(self, path: Path, graph: str | None = None) -> None:
        """Add an RDF file: triples go to ``graph``; N-Quads/TriG keep their own graphs."""
        load_rdf_file(self._store, path, graph)
        self._store.flush()

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        del self._store


def read_quads(path: Path, graph: str | None = None, base_iri: str | None = None):
    """The quads of an RDF file (``.gz`` allowed); triples land in ``graph``."""
    import gzip

    from ..formats import for_path

    fmt = for_path(path)
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    for quad in ox.parse(data, format=fmt.oxigraph_rdf, base_iri=base_iri):
        if isinstance(quad.graph_name, ox.DefaultGraph) and graph:
            yield ox.Quad(quad.subject, quad.predicate, quad.object, target)
        else:
            yield quad


def load_rdf_file(store: ox.Store, path: Path, graph: str | None = None) -> None:
    store.bulk_extend(read_quads(path, graph))


__all__ = ["OxigraphResult", "OxigraphStore", "load_rdf_file", "read_quads"]
