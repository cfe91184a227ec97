"""SHACL validation of a rebuild: only the focus nodes a change can affect are validated again.

Why it gives the same report as validating everything. A result of a focus node ``f``
is a function of the shapes (with the ontology) and of ``f``'s *context*, because
:func:`.validation_scope.analyse` accepts only shapes that read nothing else (the rest falls back
to full validation):

1. ``f``'s own triples (targets, paths, ``sh:closed``, the SPARQL constraints);
2. the triples of ``f``'s values (``sh:class`` reads their ``rdf:type``; the SPARQL
   checks follow one property to a source's date, a review's count);
3. for predicates read *into* ``f`` (``sh:inversePath``; a component parameter listed
   in ``validation_scope.KNOWN_QUERIES``, e.g. ``shx:listedVia``): those triples and the
   ``rdf:type`` of their subjects;
4. every ``rdfs:subClassOf`` triple, the ontology (its hash is in the cache key) and
   the triples of IRIs a SPARQL query names (the SDG scheme).

A rebuild compares each data file's SHA-256 with the previous build's (a data file's
bytes; other inputs': the triples the store holds of them). The change ``D`` is the set
of triples in the old union of files but not the new one or the reverse (a triple
restated in a new file is no change). ``f``'s context can differ only if ``f`` is the
subject of a triple in ``D`` (1), points at such a subject (2), or is the object of a
triple in ``D`` or of its subject through a read-in predicate while some shape reading
that predicate targets ``f`` (3). Every edge used here that is not in the new data is
in ``D``, so looking neighbours up in the new data is enough. An ``rdfs:subClassOf``
triple in a new or changed file, a change to a named IRI (4), blank nodes in a changed
file or among the affected nodes, a changed file too large to diff, or any change of
shapes, ontology, engine or this module (the cache key), validates everything. The
affected nodes are validated on a subgraph holding their whole context, and their
results replace their cached ones; the other nodes
keep theirs. ``tests/test_validation_cache.py`` holds this to plain pyshacl.

The data is validated as the store holds it (Oxigraph writes numbers in canonical form),
whether whole or in part. The cache lives in ``<state_dir>/cache/validation/<key>/``:
``state.json`` (each file's hash and every result) and ``files/<hash>.nt`` (the triples
the store held of each file, the old side of the next diff), written atomically; other
keys' folders are removed. Shapes are checked by :mod:`uprgraph.validation_scope`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from . import validation_parts
from .config import Settings
from .inputs import Input
from .validate import Report, Result, read_results, sort_results, turbo_results
from .validation_parts import Chunk
from .validation_scope import Scope, Unsupported, analyse
from .working import WorkingSet, graph_name

#: bump when what the cache holds or how this module reasons changes
CACHE_FORMAT = 1
#: a changed file of more old triples than this is not diffed: everything is validated
MAX_DIFF_TRIPLES = 300_000


class _Fallback(Exception):
    """The change cannot be narrowed down soundly; the message says why."""


def _terms(terms: Iterable[object]) -> str:
    return " ".join(map(str, terms))


def _key(shapes: Graph, ontology: Graph) -> str:
    digest = hashlib.sha256(f"{CACHE_FORMAT} pyshacl-turbo {version('pyshacl-turbo')}".encode())
    for graph in (shapes, ontology):
        lines = sorted(graph.serialize(format="nt").splitlines())
        digest.update(("\n".join(lines) + "\f").encode())
    return digest.hexdigest()[:16]


def cache_dir(settings: Settings) -> Path:
    """Where a project keeps the validation cache: beside its releases."""
    return settings.path(settings.state_dir) / "cache" / "validation"


@dataclass
class _State:
    """A build's validation: each file's hash (by graph IRI) and every result, with the
    focus node in N3 (``<iri>``, ``_:label``)."""

    files: dict[str, str]
    results: list[tuple[str, Result]]

    def dump(self) -> str:
        rows = [[n3, r.severity, r.focus, r.path, r.value, r.message, r.shape]
                for n3, r in self.results]
        return json.dumps({"format": CACHE_FORMAT, "files": self.files, "results": rows})

    @classmethod
    def load(cls, path: Path) -> _State | None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("format") != CACHE_FORMAT:
            return None
        return cls(raw["files"], [(n3, Result(*row)) for n3, *row in raw["results"]])


def _write(path: Path, text: str | bytes) -> None:
    """Write ``text`` whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _records(results: Graph) -> list[tuple[str, Result]]:
    """The results of a report graph with their focus nodes in N3."""
    nodes = {str(f) if not isinstance(f, Literal) else f.n3(): f
             for f in results.objects(None, SH.focusNode)}
    return [(nodes[r.focus].n3() if r.focus in nodes else r.focus, r)
            for r in read_results(results).results]


def _from_n3(n3: str) -> Node:
    if n3.startswith("<") and n3.endswith(">"):
        return URIRef(n3[1:-1])
    if n3.startswith("_:"):
        return BNode(n3[2:])
    return Literal(n3)


def _report(results: list[tuple[str, Result]],
            locate: Callable[[Node], Iterable[str]] | None) -> Report:
    """The report of cached and new results, each naming the files that describe its node
    now (a node's files change when a new file restates it)."""
    report = Report()
    for n3, r in results:
        files = tuple(sorted(set(locate(_from_n3(n3))))) if locate else ()
        report.results.append(Result(r.severity, r.focus, r.path, r.value, r.message, r.shape,
                                     files))
    sort_results(report)
    return report


@dataclass
class _Change:
    """The data of this build against the cached build's."""

    data: list[ox.NamedNode]  # the graphs validated, data and ontology
    changed: list[ox.NamedNode]  # new or changed files' graphs
    unchanged: list[ox.NamedNode]
    old: ox.Store  # the old text of changed and removed files, in its default graph


def _within(var: str, graphs: Iterable[ox.NamedNode]) -> str:
    """A filter keeping ``var`` to ``graphs`` (Oxigraph joins ``VALUES ?g`` slowly here)."""
    return f"FILTER(?{var} IN ({', '.join(map(str, graphs))}))"


def _changed_nodes(store: ox.Store, change: _Change, scope: Scope) -> tuple[set, set]:
    """The subjects of the triples in one of the old and new unions of files and not in the
    other, and (a superset of) those triples' objects through predicates read into a node.

    A subject of a new or changed file that no other file describes has all its triples
    changed (unless the file's old text had them); only the others are compared triple
    by triple, so a new file of thousands of recommendations costs a lookup each."""
    subjects: set = set()
    objects: set = set()
    incoming = {ox.NamedNode(p) for p in scope.incoming}
    subclass = ox.NamedNode(str(RDFS.subClassOf))
    default = ox.DefaultGraph()
    unchanged = set(change.unchanged)

    def elsewhere(s: object, p: object, o: object) -> bool:
        return any(next(store.quads_for_pattern(s, p, o, g), None) for g in unchanged)

    for graph in change.changed:  # a graph named, not filtered: Oxigraph reads only its quads
        if store.query(f"ASK {{ GRAPH {graph} {{ ?s <{subclass.value}> ?o }} }}"):
            raise _Fallback("a new or changed file has rdfs:subClassOf triples")
        rows = store.query(f"SELECT DISTINCT ?s {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        for (s,) in rows:  # type: ignore[misc]
            if not len(change.old) and not elsewhere(s, None, None):
                subjects.add(s)
                continue
            for q in store.quads_for_pattern(s, None, None, graph):
                if (not elsewhere(s, q.predicate, q.object)
                        and ox.Quad(s, q.predicate, q.object, default) not in change.old):
                    subjects.add(s)
                    break
        if incoming:
            rows = store.query(f"SELECT DISTINCT ?o {{ GRAPH {graph} {{ ?s ?q ?o }} "
                               f"{_within('q', incoming)} FILTER(!isLiteral(?o)) }}")
            objects.update(r[0] for r in rows)  # type: ignore[index]
    data = set(change.data)
    for q in change.old:
        if not any(m.graph_name in data
                   for m in store.quads_for_pattern(q.subject, q.predicate, q.object)):
            if q.predicate == subclass:
                raise _Fallback("an rdfs:subClassOf triple was removed")
            subjects.add(q.subject)
            if q.predicate in incoming and not isinstance(q.object, ox.Literal):
                objects.add(q.object)
    for s in subjects:
        if s.value in scope.named:  # type: ignore[attr-defined]
            raise _Fallback(f"{s}, named in a SPARQL query of the shapes, changed")
    return subjects, objects


def _affected(store: ox.Store, change: _Change, scope: Scope) -> tuple[set, set]:
    """The focus nodes whose context may differ (see the module's docstring), and those of
    them that shapes reading into a node target (whose incoming triples are context)."""
    subjects, objects = _changed_nodes(store, change, scope)
    if not subjects:
        return set(), set()
    within = _within("g", change.data)
    rows = store.query(f"SELECT DISTINCT ?x {{ VALUES ?s {{ {_terms(subjects)} }} "
                       f"GRAPH ?g {{ ?x ?p ?s }} {within} }}")
    pointing = {r[0] for r in rows}  # type: ignore[index]
    if scope.incoming:
        rows = store.query(f"SELECT DISTINCT ?o {{ VALUES ?s {{ {_terms(subjects)} }} "
                           f"GRAPH ?g {{ ?s ?q ?o }} {within} {_within('q', _incoming(scope))} "
                           "FILTER(!isLiteral(?o)) }")
        objects.update(r[0] for r in rows)  # type: ignore[index]
    affected = subjects | pointing
    if any(isinstance(n, ox.BlankNode) for n in affected | objects):
        raise _Fallback("a blank node points at a changed node")
    readers = _in_readers(store, affected | objects, scope, change.data)
    return affected | (objects & readers), readers


def _incoming(scope: Scope) -> list[ox.NamedNode]:
    return [ox.NamedNode(p) for p in sorted(scope.incoming)]


def _in_readers(store: ox.Store, nodes: set, scope: Scope, graphs: list[ox.NamedNode]) -> set:
    """The ``nodes`` a shape reading into its focus node targets."""
    if not scope.incoming or not nodes:
        return set()
    if scope.in_targets is None:
        return set(nodes)
    within = _within("g", graphs)
    branches = []
    for kind, iri in scope.in_targets:
        if kind == SH.targetClass:  # rdfs:subClassOf is read from every graph: a superset
            branches.append(f"GRAPH ?g {{ ?f a ?c }} {within} ?c <{RDFS.subClassOf}>* <{iri}>")
        elif kind == SH.targetSubjectsOf:
            branches.append(f"GRAPH ?g {{ ?f <{iri}> ?any }} {within}")
        elif kind == SH.targetObjectsOf:
            branches.append(f"GRAPH ?g {{ ?any <{iri}> ?f }} {within}")
        else:
            branches.append(f"FILTER(?f = <{iri}>)")
    if not branches:
        return set()
    union = " UNION ".join(f"{{ {b} }}" for b in branches)
    rows = store.query(f"SELECT DISTINCT ?f {{ VALUES ?f {{ {_terms(nodes)} }} {union} }}",
                       use_default_graph_as_union=True)
    return {r[0] for r in rows}  # type: ignore[index]


def _context(store: ox.Store, data: list[ox.NamedNode], everywhere: list[ox.NamedNode],
             affected: set, readers: set, scope: Scope) -> str:
    """N-Triples of the data graphs' triples in the context of the ``affected`` nodes (the
    ontology, which the validation adds whole, is read in ``everywhere`` for their links)."""
    rows = store.query(f"SELECT DISTINCT ?v {{ VALUES ?f {{ {_terms(affected)} }} "
                       f"GRAPH ?h {{ ?f ?x ?v }} {_within('h', everywhere)} "
                       "FILTER(!isLiteral(?v)) }")
    described = affected | {r[0] for r in rows} | {ox.NamedNode(i) for i in scope.named}  # type: ignore[index]
    within = _within("g", data)
    branches = [
        f"{{ VALUES ?s {{ {_terms(described)} }} GRAPH ?g {{ ?s ?p ?o }} {within} }}",
        f"{{ GRAPH ?g {{ ?s <{RDFS.subClassOf}> ?o }} {within} BIND(<{RDFS.subClassOf}> AS ?p) }}",
    ]
    if readers:
        incoming = _within("p", _incoming(scope))
        branches.append(f"{{ VALUES ?o {{ {_terms(readers)} }} GRAPH ?g {{ ?s ?p ?o }} "
                        f"{within} {incoming} }}")
        branches.append(f"{{ VALUES ?f {{ {_terms(readers)} }} GRAPH ?h {{ ?s ?q ?f }} "
                        f"{_within('h', everywhere)} {_within('q', _incoming(scope))} "
                        f"GRAPH ?g {{ ?s a ?o }} {within} BIND(<{RDF.type}> AS ?p) }}")
    union = " UNION ".join(branches)
    query = f"CONSTRUCT {{ ?s ?p ?o }} {{ {{ SELECT DISTINCT ?s ?p ?o {{ {union} }} }} }}"
    return store.query(query).serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8")  # type: ignore[union-attr]


def validate_data(
    work: WorkingSet,
    items: list[Input],
    shapes: Graph,
    ontology: Graph,
    locate: Callable[[Node], Iterable[str]] | None = None,
    folder: Path | None = None,
    log: Callable[[str], None] = lambda _msg: None,
    divide: str | None = None,
) -> Report:
    """Validate the data ``items`` of ``work`` (with the ontology) with the turbo engine,
    reusing the results cached in ``folder`` by the last validation for every focus node
    the change cannot affect. ``folder`` None: validate everything, cache nothing.
    ``divide``: a class whose instances a validation of everything may divide into parts
    validated in turn (:class:`.validation_parts.Parts`), to hold less at a time."""
    if folder is None:
        return _report(_everything(_stored(work, items), shapes, ontology, divide, log), locate)
    key = _key(shapes, ontology)
    here = folder / key
    state = _State.load(here / "state.json")
    previous = state.files if state is not None else {}
    hashes: dict[str, str] = {}
    # new or changed files' graphs -> their triples as the store holds them, written to disk
    # (the old side of the next build's diff) and read from there, not kept in memory
    changed: dict[ox.NamedNode, Path] = {}
    for item in items:
        name = graph_name(item)
        hashes[name.value] = digest = _digest(work, item)
        if previous.get(name.value) != digest:
            changed[name] = here / "files" / f"{digest}.nt"
            _dump_into(work, name, changed[name])
    try:
        if state is None:
            raise _Fallback("no validation of these shapes, ontology and engine is cached")
        if any(b"_:" in path.read_bytes() for path in changed.values()):
            raise _Fallback("a new or changed file has blank nodes")
        results = _incremental(work, hashes, list(changed), state, shapes, ontology, here, log)
    except _Fallback as why:
        log(f"validating everything: {why}")
        chunks = [changed.get(graph_name(i)) or _dump(work, graph_name(i)) for i in items]
        results = _everything(chunks, shapes, ontology, divide, log, here)
    _write(here / "state.json", _State(hashes, results).dump())
    _tidy(folder, key, set(hashes.values()))
    return _report(results, locate)


def _everything(chunks: list[Chunk], shapes: Graph, ontology: Graph, divide: str | None,
                log: Callable[[str], None], spill: Path | None = None
                ) -> list[tuple[str, Result]]:
    """Every result of the N-Triples ``chunks`` (consumed): in parts dividing the instances
    of ``divide`` one after another where the data allows (waiting in ``spill``), else in
    one run."""
    parts = validation_parts.cut(chunks, divide, shapes, spill=spill) if divide else None
    if parts is None:
        # the texts move into one list that the engine's text consumes: one copy at a time
        texts: list[str | bytes] = [c if isinstance(c, bytes) else c.read_bytes() for c in chunks]
        chunks.clear()
        return _records(turbo_results(texts, shapes, ontology))
    log(f"validation: {len(parts.own)} parts validated one after another")
    return parts.union(_records(turbo_results(text, shapes, ontology))
                       for text in parts.texts())


def _stored(work: WorkingSet, items: list[Input]) -> list[bytes]:
    """The items' triples as the store holds them. Oxigraph keeps numbers in canonical form
    ("25.0"^^xsd:decimal is "25"), as the release publishes them and as the partial
    validation reads them; validating the files' own text could name other values."""
    return [_dump(work, graph_name(i)) for i in items]


def _dump(work: WorkingSet, name: ox.NamedNode) -> bytes:
    return work.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)


def _dump_into(work: WorkingSet, name: ox.NamedNode, path: Path) -> None:
    """A graph's triples written into ``path`` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    os.close(fd)
    try:
        work.store.dump(tmp, format=ox.RdfFormat.N_TRIPLES, from_graph=name)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _digest(work: WorkingSet, item: Input) -> str:
    """A data file's SHA-256 (what the store holds of it follows from its bytes: reading
    them is faster than writing the triples out); other inputs' (links files keep only
    the links of what the data describes) over the triples the store holds of them."""
    if item.role == "data":
        with item.path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256")
        digest.update(item.path.suffix.encode())
        return digest.hexdigest()
    return hashlib.sha256(_dump(work, graph_name(item))).hexdigest()


def _incremental(work: WorkingSet, hashes: dict[str, str], changed: list[ox.NamedNode],
                 state: _State, shapes: Graph, ontology: Graph, here: Path,
                 log: Callable[[str], None]) -> list[tuple[str, Result]]:
    """The results of this build from the cached ``state``: see the module's docstring."""
    gone = [state.files[g] for g in state.files if g not in hashes]
    if not changed and not gone:
        log("validation: no data file changed; the cached results hold")
        return state.results
    try:
        scope = analyse(shapes)
    except Unsupported as why:
        raise _Fallback(str(why)) from why
    old = ox.Store()
    for digest in gone + [state.files[g.value] for g in changed if g.value in state.files]:
        path = here / "files" / f"{digest}.nt"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise _Fallback(f"the cached text of a changed file is missing ({exc})") from exc
        if "_:" in text:
            raise _Fallback("a changed file had blank nodes")
        old.load(text, ox.RdfFormat.N_TRIPLES)
        if len(old) > MAX_DIFF_TRIPLES:
            raise _Fallback(f"changed files held more than {MAX_DIFF_TRIPLES} triples")
    ontology_graphs = [graph_name(i) for i in work.items if i.role == "ontology"]
    data = [ox.NamedNode(g) for g in hashes]
    unchanged = [g for g in data if g not in changed] + ontology_graphs
    change = _Change(data + ontology_graphs, changed, unchanged, old)
    affected, readers = _affected(work.store, change, scope)
    keys = {str(n) for n in affected}
    kept = [(n3, r) for n3, r in state.results if n3 not in keys]
    context = (_context(work.store, data, data + ontology_graphs, affected, readers, scope)
               if affected else "")
    log(f"validation: {len(changed)} new or changed and {len(gone)} removed file(s); "
        f"{len(affected)} focus node(s) validated again, on {context.count(chr(10))} triples")
    if not affected:
        return kept
    fresh = [(n3, r) for n3, r in _records(turbo_results(context, shapes, ontology))
             if n3 in keys]
    return kept + fresh


def _tidy(folder: Path, key: str, digests: set[str]) -> None:
    """Remove other keys' caches, the texts of files no build reads any more and the parts
    of an interrupted validation."""
    for other in folder.iterdir():
        if other.name != key and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
    for text in (folder / key / "files").glob("*.nt"):
        if text.stem not in digests:
            text.unlink(missing_ok=True)
    for leftover in (folder / key).glob(".parts-*"):  # of a validation interrupted
        shutil.rmtree(leftover, ignore_errors=True)
