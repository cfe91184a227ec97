"""A remote SPARQL 1.1 store (Fuseki, QLever, Virtuoso, GraphDB, ``oxigraph serve``).

Queries go through SPARQLWrapper; a release is published into the store with
the SPARQL 1.1 Graph Store HTTP Protocol (one ``PUT`` per named graph). Answers
are parsed into pyoxigraph terms so the web tier renders them like any other
backend's. The server should treat its default graph as the union of the named
graphs (``oxigraph serve --union-default-graph``, Fuseki ``unionDefaultGraph``)
so that queries see the same data as with the embedded store.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from .analysis import analyse
from .base import QuerySyntaxError, StoreError
from .oxigraph import OxigraphResult, read_quads, wrap


class RemoteStore:
    """A SPARQL endpoint (``query_url``) and optionally its Graph Store (``store_url``)."""

    def __init__(self, query_url: str, store_url: str = "", timeout: float | None = None) -> None:
        if not query_url:
            raise StoreError("the remote store needs a query URL (setting remote_query_url)")
        self.query_url = query_url
        self.store_url = store_url
        self.timeout = timeout

    def _wrapper(self, sparql: str) -> SPARQLWrapper:
        sw = SPARQLWrapper(self.query_url)
        sw.setMethod(POST)
        sw.setQuery(sparql)
        if self.timeout:
            sw.setTimeout(int(max(1, self.timeout)))
        return sw

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> OxigraphResult:
        info = analyse(sparql)
        sw = self._wrapper(sparql)
        for g in default_graphs or ():
            sw.addDefaultGraph(g)
        for g in named_graphs or ():
            sw.addNamedGraph(g)
        sw.setReturnFormat(TURTLE if info.kind == "graph" else JSON)
        try:
            response = sw.query().response
            body = response.read()
        except QueryBadFormed as exc:
            raise QuerySyntaxError(str(exc)) from exc
        except (SPARQLWrapperException, urllib.error.URLError, OSError) as exc:
            raise StoreError(f"remote store {self.query_url}: {exc}") from exc
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        if info.kind == "graph" or media in ("text/turtle", "application/n-triples"):
            nt = media == "application/n-triples"
            fmt = ox.RdfFormat.N_TRIPLES if nt else ox.RdfFormat.TURTLE
            triples = [q.triple for q in ox.parse(body, format=fmt)]
            return wrap(iter(triples))  # type: ignore[return-value]
        return wrap(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))

    # -- Graph Store Protocol ---------------------------------------------
    def _gsp(self, method: str, graph: str | None, body: bytes | None = None) -> int:
        if not self.store_url:
            raise StoreError("the remote store needs a Graph Store URL (setting remote_store_url)")
        param = urllib.parse.urlencode({"graph": graph}) if graph else "default"
        req = urllib.request.Request(
            f"{self.store_url}?{param}", data=body, method=method,
            headers={"Content-Type": "application/n-triples"} if body is not None else {},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout or 60) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            if method == "DELETE" and exc.code == 404:
                return 404
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise StoreError(f"{method} {req.full_url}: HTTP {exc.code} {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise StoreError(f"{method} {req.full_url}: {exc}") from exc

    def publish(self, quads: Iterable[ox.Quad]) -> dict[str, int]:
        """Replace each named graph present in ``quads`` (one ``PUT`` each); triples per graph."""
        by_graph: dict[str | None, list[ox.Triple]] = defaultdict(list)
        for q in quads:
            name = None if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
            by_graph[name].append(q.triple)
        for name, triples in by_graph.items():
            self._gsp("PUT", name, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        return {name or "": len(t) for name, t in by_graph.items()}

    def publish_files(self, paths: Iterable[Path]) -> dict[str, int]:
        """Publish RDF files (a release's ``uprgraph.nq.gz`` keeps every named graph)."""
        counts: dict[str, int] = {}
        for path in paths:
            counts.update(self.publish(read_quads(path)))
        return counts

    def graphs(self) -> list[str]:
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g {} }")
        return sorted(str(row["g"].value) for row in result.rows())  # type: ignore[attr-defined]

    def __len__(self) -> int:
        result = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(result.rows())["n"].value)  # type: ignore[attr-defined]

    def close(self) -> None:
        pass
