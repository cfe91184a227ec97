"""The default store: embedded Oxigraph (RocksDB on disk, SPARQL in Rust).

The default graph of a query is the union of the release's named graphs, so a
plain ``SELECT`` sees all the data while ``GRAPH`` still tells sources apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from ..formats import Format
from .base import QueryResult, QuerySyntaxError, StoreError


class OxigraphResult(QueryResult):
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

    @property
    def native(self) -> ox.Store:
        return self._store

    def load(self, quads: Iterable[ox.Quad]) -> None:
        self._store.bulk_extend(quads)
        self._store.flush()

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> OxigraphResult:
        """Run a query; ``base_iri`` resolves relative IRIs (``PREFIX upr: <def/upr#>``)."""
        kwargs: dict[str, object] = {"base_iri": base_iri}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return wrap(self._store.query(sparql, **kwargs))
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        del self._store
