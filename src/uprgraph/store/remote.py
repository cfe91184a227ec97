"""A remote SPARQL 1.1 store (Virtuoso, Fuseki, QLever, GraphDB, ``oxigraph serve``).

``uprgraph publish`` loads each release into graphs of its own
(``urn:x-uprgraph:release:<id>:<graph>``) and then switches one pointer, a
triple in the control graph ``urn:x-uprgraph:releases``. Every query reads the
pointer (cached for :data:`POINTER_TTL` seconds) and runs on the current
release only: its graphs are sent as the protocol's ``default-graph-uri`` (so
the default graph is their union, as with the embedded store) and
``named-graph-uri``; graph IRIs in ``GRAPH``/``FROM`` are rewritten to the
release's and mapped back in the answers, so clients see the release's own
graph names. A server following a publish needs no restart.

A store without a pointer (filled by other means) is queried as it is; its
default graph should then be the union of its named graphs.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..config import Settings
from .analysis import _TOKEN, analyse
from .base import QuerySyntaxError, StoreError
from .http import Client, Reply, StoreHTTPError
from .oxigraph import OxigraphResult, read_quads, wrap

#: the graph holding the pointer and the registered releases
CONTROL = "urn:x-uprgraph:releases"
CURRENT = "urn:x-uprgraph:current"
HAS_GRAPH = "urn:x-uprgraph:graph"
RELEASE = "urn:x-uprgraph:release:"
#: what a graph IRI outside the current release is rewritten to: a graph that is never filled
NO_GRAPH = "urn:x-uprgraph:no-graph"
#: seconds a query process trusts the pointer it read; the publisher waits at least this long
#: (plus the query timeout) after the switch before dropping the previous release
POINTER_TTL = 1.0

FORM = "application/x-www-form-urlencoded"
RESULTS_JSON = "application/sparql-results+json"
RDF_MEDIA = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def release_iri(release_id: str) -> str:
    return RELEASE + release_id


def release_graph(release_id: str, graph: str) -> str:
    """The store's name for ``graph`` of release ``release_id``."""
    return f"{RELEASE}{release_id}:{graph}"


def published_name(iri: str) -> str:
    """The release's own name for a store graph name (other IRIs unchanged)."""
    if iri.startswith(RELEASE):
        _id, sep, graph = iri[len(RELEASE):].partition(":")
        if sep:
            return graph
    return iri


@dataclass(frozen=True)
class Pointer:
    """The current release: its IRI and ``{graph: store graph}``."""

    release: str
    graphs: dict[str, str]


@dataclass
class Scoped:
    """A query rewritten for the store, and the store graphs its ``FROM`` clauses name."""

    text: str
    default: list[str]
    named: list[str]


def scope_query(text: str, graphs: dict[str, str]) -> Scoped:
    """Rewrite the IRIs after ``GRAPH``, ``FROM`` and ``FROM NAMED`` to the store's names.

    IRIs are resolved against the query's ``BASE`` and ``PREFIX`` declarations; one
    outside ``graphs`` becomes :data:`NO_GRAPH`, so neither the control graph nor
    another release can be reached by name.
    """
    scoped = Scoped(text, [], [])
    tokens = [m for m in _TOKEN.finditer(text) if m.lastgroup not in ("ws", "comment")]
    base = ""
    prefixes: dict[str, str] = {}
    edits: list[tuple[int, int, str]] = []

    def iri_of(m: re.Match[str]) -> str | None:
        if m.lastgroup == "iri":
            return urllib.parse.urljoin(base, m.group()[1:-1]) if base else m.group()[1:-1]
        prefix, _, local = m.group().partition(":")
        if prefix not in prefixes:
            return None
        return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)

    for i, m in enumerate(tokens):
        if m.lastgroup != "word":
            continue
        word = m.group().upper()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if word == "BASE" and nxt is not None and nxt.lastgroup == "iri":
            base = iri_of(nxt) or ""
        elif word == "PREFIX" and nxt is not None and nxt.lastgroup == "pname":
            after = tokens[i + 2] if i + 2 < len(tokens) else None
            if after is not None and after.lastgroup == "iri":
                prefixes[nxt.group().partition(":")[0]] = iri_of(after) or ""
        elif word in ("GRAPH", "FROM"):
            into = scoped.default if word == "FROM" else None
            if word == "FROM" and nxt is not None and nxt.group().upper() == "NAMED":
                nxt = tokens[i + 2] if i + 2 < len(tokens) else None
                into = scoped.named
            if nxt is not None and nxt.lastgroup in ("iri", "pname"):
                iri = iri_of(nxt)
                if iri is not None:
                    edits.append((*nxt.span(), f"<{graphs.get(iri, NO_GRAPH)}>"))
                    if into is not None:
                        into.append(graphs.get(iri, NO_GRAPH))
    for start, end, new in reversed(edits):
        text = text[:start] + new + text[end:]
    scoped.text = text
    return scoped


_BNODE_CHARS = re.compile(r"[^A-Za-z0-9_]")


def _unscope_results(body: bytes) -> bytes:
    """Store graph names back to the release's in SPARQL JSON results; Virtuoso's
    ``nodeID://`` blank node labels to valid ones."""
    if RELEASE.encode() not in body and b"nodeID://" not in body:
        return body
    data = json.loads(body)
    for row in data.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "uri":
                term["value"] = published_name(term["value"])
            elif term.get("type") == "bnode":
                term["value"] = _BNODE_CHARS.sub("_", term["value"])
    return json.dumps(data).encode()


def _ask_answer(body: bytes) -> bytes:
    """Virtuoso 7 answers ASK in JSON as a SELECT of ``__ASK_RETVAL`` (no row: false)."""
    if b"__ASK_RETVAL" not in body:
        return body
    rows = json.loads(body).get("results", {}).get("bindings", [])
    answer = any(row.get("__ASK_RETVAL", {}).get("value") not in (None, "0") for row in rows)
    return json.dumps({"head": {}, "boolean": answer}).encode()


def _unscope_triples(triples: list[ox.Triple]) -> list[ox.Triple]:
    def term(t):
        if isinstance(t, ox.NamedNode) and t.value.startswith(RELEASE):
            return ox.NamedNode(published_name(t.value))
        return t

    return [ox.Triple(term(t.subject), t.predicate, term(t.object)) for t in triples]


class RemoteStore:
    """A SPARQL endpoint (``query_url``), its Graph Store (``store_url``) and its update
    endpoint (``update_url``), reached with the credentials of :mod:`.http`."""

    def __init__(self, query_url: str, store_url: str = "", timeout: float | None = None,
                 update_url: str = "") -> None:
        if not query_url:
            raise StoreError("the remote store needs a query URL (setting remote_query_url)")
        self.query_url = query_url
        self.store_url = store_url
        self.update_url = update_url
        self.timeout = timeout
        self.client = Client([query_url, update_url, store_url], timeout)
        self._pointer: Pointer | None = None
        self._pointer_read = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteStore:
        return cls(settings.remote_query_url, settings.remote_store_url,
                   settings.query_timeout, settings.remote_update_url)

    # -- reading --------------------------------------------------------------
    def pointer(self, *, fresh: bool = False) -> Pointer | None:
        """The current release (None if nothing was published with ``uprgraph publish``)."""
        now = time.monotonic()
        if fresh or now - self._pointer_read >= POINTER_TTL:
            rows = self.select(f"SELECT ?r ?g WHERE {{ GRAPH <{CONTROL}> {{ "
                               f"<{CONTROL}> <{CURRENT}> ?r . ?r <{HAS_GRAPH}> ?g }} }}")
            releases = {r["r"] for r in rows}
            if len(releases) > 1:
                raise StoreError(f"the store names {len(releases)} current releases in "
                                 f"<{CONTROL}>: publish again to repair it")
            self._pointer = Pointer(releases.pop(), {
                published_name(r["g"]): r["g"] for r in rows}) if releases else None
            self._pointer_read = now
        return self._pointer

    def _post_query(self, params: list[tuple[str, str]], accept: str) -> Reply:
        body = urllib.parse.urlencode(params).encode()
        try:
            reply = self.client.send("POST", self.query_url, body,
                                     {"Content-Type": FORM, "Accept": accept})
        except StoreHTTPError as exc:
            if exc.status == 400:
                raise QuerySyntaxError(exc.detail or str(exc)) from exc
            raise
        if reply.headers.get("X-SQL-State") == "S1TAT":  # Virtuoso's "anytime" partial answer
            raise StoreError("the store stopped the query at its own time limit "
                             "(the answer would be partial)")
        return reply

    def select(self, sparql: str) -> list[dict[str, str]]:
        """Rows of a SELECT on the whole store (no release scoping), values as strings."""
        reply = self._post_query([("query", sparql)], RESULTS_JSON)
        try:
            data = json.loads(reply.body)
        except ValueError as exc:
            raise StoreError(f"{self.query_url}: not SPARQL JSON results: {exc}") from exc
        return [{k: v["value"] for k, v in row.items()}
                for row in data.get("results", {}).get("bindings", [])]

    def _dataset(self, scoped: Scoped | None, pointer: Pointer | None,
                 default_graphs: list[str] | None,
                 named_graphs: list[str] | None) -> list[tuple[str, str]]:
        if pointer is None:
            defaults, named = default_graphs or [], named_graphs or []
        elif default_graphs is None and named_graphs is None and scoped is not None:
            # the query's FROM clauses, sent as the protocol's dataset (which a store
            # with a union default graph option cannot override); an empty set of
            # graphs is a graph that is never filled
            defaults, named = scoped.default or [NO_GRAPH], scoped.named or [NO_GRAPH]
        else:
            everything = sorted(pointer.graphs.values())

            def mapped(gs: list[str] | None) -> list[str]:
                return everything if gs is None else [pointer.graphs.get(g, NO_GRAPH) for g in gs]

            defaults, named = mapped(default_graphs), mapped(named_graphs)
        if pointer is not None and NO_GRAPH not in named:
            # named, though empty: Virtuoso 7 answers an ASK on a GRAPH outside the
            # dataset with true
            named = [*named, NO_GRAPH]
        return ([("default-graph-uri", g) for g in defaults]
                + [("named-graph-uri", g) for g in named])

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> OxigraphResult:
        if base_iri:  # before scoping, which resolves the graph names' relative IRIs
            sparql = f"BASE <{base_iri}>\n{sparql}"
        info = analyse(sparql)
        pointer = self.pointer()
        scoped = scope_query(sparql, pointer.graphs) if pointer is not None else None
        text = scoped.text if scoped is not None else sparql
        uses_from = scoped if scoped is not None and info.uses_from else None
        params = [("query", text),
                  *self._dataset(uses_from, pointer, default_graphs, named_graphs)]
        graph = info.kind == "graph"
        accept = "application/n-triples, text/turtle;q=0.9" if graph else RESULTS_JSON
        reply = self._post_query(params, accept)
        if graph or reply.media_type in RDF_MEDIA:
            fmt = RDF_MEDIA.get(reply.media_type, ox.RdfFormat.TURTLE)
            try:
                triples = [q.triple for q in ox.parse(reply.body, format=fmt)]
            except SyntaxError as exc:
                raise StoreError(f"{self.query_url}: unreadable {reply.media_type}: {exc}") from exc
            if RELEASE.encode() in reply.body:
                triples = _unscope_triples(triples)
            return wrap(iter(triples))
        body = _ask_answer(reply.body) if info.kind == "ask" else reply.body
        try:
            return wrap(ox.parse_query_results(_unscope_results(body),
                                               format=ox.QueryResultsFormat.JSON))
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"{self.query_url}: unreadable results: {exc}") from exc

    def graphs(self) -> list[str]:
        pointer = self.pointer()
        if pointer is not None:
            return sorted(pointer.graphs)
        return sorted(r["g"] for r in self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g {} }"))

    def __len__(self) -> int:
        result = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(result.rows())["n"].value)  # type: ignore[attr-defined]

    def counts(self, graphs: Iterable[str]) -> dict[str, int]:
        """Triples in each of these store graphs (empty ones are left out).

        One query per graph: over ``VALUES ?g { ... } GRAPH ?g`` Virtuoso 7 did not answer
        within a minute with 312,172 triples in 16 graphs; per graph it answers at once.
        """
        found: dict[str, int] = {}
        for g in graphs:
            rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
            n = int(rows[0]["n"]) if rows else 0
            if n:
                found[g] = n
        return found

    # -- writing --------------------------------------------------------------
    def update(self, sparql: str) -> None:
        """Run a SPARQL Update on ``update_url``."""
        if not self.update_url:
            raise StoreError("the remote store needs an update URL (setting remote_update_url)")
        body = urllib.parse.urlencode({"update": sparql}).encode()
        self.client.send("POST", self.update_url, body, {"Content-Type": FORM},
                         timeout=max(self.timeout or 0, 300))

    def _gsp(self, method: str, graph: str | None, body: bytes | None = None) -> None:
        if not self.store_url:
            raise StoreError("the remote store needs a Graph Store URL (setting remote_store_url)")
        param = urllib.parse.urlencode({"graph": graph}) if graph else "default"
        url = f"{self.store_url}?{param}"
        # N-Triples is Turtle: every store's Graph Store accepts text/turtle
        self.client.send(method, url, body, {"Content-Type": "text/turtle"},
                         timeout=max(self.timeout or 0, 300))

    def add_triples(self, graph: str, ntriples: bytes) -> None:
        """Add N-Triples to ``graph`` (Graph Store ``POST``); blank nodes are new per call."""
        self._gsp("POST", graph, ntriples)

    def publish(self, quads: Iterable[ox.Quad]) -> dict[str, int]:
        """Replace each named graph of ``quads`` in place, one ``PUT`` each (not atomic;
        ``uprgraph publish`` is). Returns the triples per graph."""
        by_graph: dict[str, list[ox.Triple]] = {}
        for q in quads:
            name = "" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
            by_graph.setdefault(name, []).append(q.triple)
        for name, triples in by_graph.items():
            self._gsp("PUT", name or None,
                      ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        return {name: len(t) for name, t in by_graph.items()}

    def publish_files(self, paths: Iterable[Path]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for path in paths:
            counts.update(self.publish(read_quads(path)))
        return counts

    def close(self) -> None:
        pass
