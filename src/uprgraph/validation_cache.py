"""SHACL validation of a rebuild: only the focus nodes a change can affect are validated again.

Why it gives the same report as validating everything. A result of a focus node ``f``
is a function of the shapes (with the ontology) and of ``f``'s *context*, because
:func:`analyse` accepts only shapes that read nothing else (anything else falls back
to full validation):

1. ``f``'s own triples (targets, paths, ``sh:closed``, the SPARQL constraints);
2. the triples of ``f``'s values (``sh:class`` reads their ``rdf:type``; the SPARQL
   checks follow one property to a source's date, a review's count);
3. for predicates read *into* ``f`` (``sh:inversePath``; a component parameter listed
   in :data:`KNOWN_QUERIES`, e.g. ``shx:listedVia``): those triples and the
   ``rdf:type`` of their subjects;
4. every ``rdfs:subClassOf`` triple, the ontology (its hash is in the cache key) and
   the triples of IRIs a SPARQL query names (the SDG scheme).

A rebuild compares each data file's N-Triples hash with the previous build's. The
change ``D`` is the set of triples in the old union of files but not the new one or
the reverse (a triple restated in a new file is no change). ``f``'s context can
differ only if ``f`` is the subject of a triple in ``D`` (1), points at such a
subject (2), or is the object of a triple in ``D`` or of its subject through a
read-in predicate while some shape reading that predicate targets ``f`` (3). Every
edge used here that is not in the new data is in ``D``, so looking neighbours up in
the new data is enough. A change to an ``rdfs:subClassOf`` triple or to a named IRI
(4), blank nodes in a changed file or among the affected nodes, a changed file too
large to diff, or any change of shapes, ontology, engine or this module (the cache
key), validates everything. The affected nodes are validated on a subgraph holding
their whole context, and their results replace their cached ones; the other nodes
keep theirs. ``tests/test_validation_cache.py`` holds this to plain pyshacl.

The cache lives in ``<state_dir>/cache/validation/<key>/``: ``state.json`` (each
file's hash and every result) and ``files/<hash>.nt`` (each file's text, the old side
of the next diff), written atomically; other keys' folders are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from .config import Settings
from .inputs import Input
from .validate import Report, Result, read_results, sort_results, turbo_results
from .working import WorkingSet, graph_name

#: bump when what the cache holds or how this module reasons changes
CACHE_FORMAT = 1
#: a changed file of more old triples than this is not diffed: everything is validated
MAX_DIFF_TRIPLES = 300_000
#: the SPARQL queries of shapes/ read and found to stay within a focus node's context
#: (its triples, its values' triples, the named IRIs): SHA-256 (16 hex digits) of the
#: query with its whitespace collapsed -> the parameters whose values are predicates
#: the query follows INTO the focus node (reading also those subjects' rdf:type)
KNOWN_QUERIES: dict[str, tuple[str, ...]] = {
    "a0d7f4966dbbb075": (),  # ResponseSum: the focus node's three counts
    "ae1c3f3228ca019a": ("listedVia",),  # ListedWithinTotal: ?rec a $listedClass ; $listedVia $this
    "9ce7c5760ea59c40": (),  # PartWithinWhole: the whole (a value) and its count
    "56e5579777be166e": (),  # PublicCitesDatedSource: the sources (values), issued, publisher
    "0b47720e09d48610": (),  # NoPublicFromRestricted: the sources' access level
    "7bef2bc44aa74a97": (),  # SubResource: the values' IRIs
    "7df35a4d1d054014": (),  # ConceptShape target: type and IRI
    "e70b740dfc36568f": (),  # ConceptSchemeShape target: type and IRI
    "d5f3cbf0eb4148b6": (),  # SdgLink-sdgInKos: values' skos:inScheme, the SDG scheme (named)
    "17714cf56793dc18": (),  # SdgMapping pattern: values' IRIs
    "f38c058c3945268f": (),  # SdgMapping in the KOS: values' skos:inScheme, the SDG scheme
    "7b8f5d4a12bae486": (),  # SameAs: values' IRIs
    "9cc28ac39438d66c": (),  # UNDocument-symbolPage: the focus node's symbol and page
}
#: parameters of core components that read the value nodes themselves, nothing beyond
_VALUE_LOCAL = {SH[n] for n in (
    "datatype nodeKind pattern flags in hasValue languageIn minInclusive maxInclusive "
    "minExclusive maxExclusive minLength maxLength closed ignoredProperties").split()}
#: property-level parameters: counts and comparisons of the focus node's own values
_PROPERTY_LOCAL = {SH[n] for n in
                   "minCount maxCount uniqueLang equals disjoint lessThan lessThanOrEquals".split()}
_INERT = {SH[n] for n in (
    "message severity name description deactivated order group defaultValue targetClass "
    "targetSubjectsOf targetObjectsOf targetNode path").split()}
_QUERY_IRI = re.compile(r"<([^<>\s]+)>")


class Unsupported(ValueError):
    """The shapes read beyond a focus node's context: only full validation is sound."""


@dataclass
class Scope:
    """What the shapes read besides a focus node's own and its values' triples."""

    #: predicates read into the focus node
    incoming: set[str] = field(default_factory=set)
    #: the targets of the shapes that read them, as (target predicate, IRI); None: any node
    in_targets: list[tuple[URIRef, str]] | None = field(default_factory=list)
    #: IRIs the SPARQL queries name
    named: set[str] = field(default_factory=set)


def _query_text(text: Node) -> str:
    return " ".join(str(text).split())


def _check_query(text: Node, where: Node, scope: Scope) -> tuple[str, ...]:
    digest = hashlib.sha256(_query_text(text).encode()).hexdigest()[:16]
    if digest not in KNOWN_QUERIES:
        raise Unsupported(f"{where}: SPARQL query {digest} is not in KNOWN_QUERIES")
    scope.named.update(_QUERY_IRI.findall(str(text)))
    return KNOWN_QUERIES[digest]


def analyse(shapes: Graph) -> Scope:
    """The :class:`Scope` of ``shapes``; :class:`Unsupported` if a shape reads further."""
    scope = Scope()
    #: parameter predicate -> its component; component -> its queries and parameters
    component_of: dict[Node, Node] = {}
    queries: dict[Node, list[Node]] = {}
    parameters: dict[Node, dict[str, Node]] = {}
    for component in shapes.subjects(RDF.type, SH.ConstraintComponent):
        queries[component] = [
            q for kind in (SH.validator, SH.nodeValidator, SH.propertyValidator)
            for v in shapes.objects(component, kind)
            for q in (*shapes.objects(v, SH.select), *shapes.objects(v, SH.ask))]
        parameters[component] = {}
        for parameter in shapes.objects(component, SH.parameter):
            path = shapes.value(parameter, SH.path)
            component_of[path] = component
            parameters[component][str(path).rsplit("#", 1)[-1].rsplit("/", 1)[-1]] = path

    def in_reader(top: Node, predicate: Node) -> None:
        if not isinstance(predicate, URIRef):
            raise Unsupported(f"{top}: reads into the focus node through {predicate}")
        scope.incoming.add(str(predicate))
        if scope.in_targets is None:
            return
        if (top, SH.target, None) in shapes:
            scope.in_targets = None
            return
        for kind in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode):
            scope.in_targets.extend((kind, str(o)) for o in shapes.objects(top, kind))
        if (top, RDF.type, RDFS.Class) in shapes or (top, RDF.type, OWL.Class) in shapes:
            scope.in_targets.append((SH.targetClass, str(top)))

    def check(shape: Node, top: Node, level: int, seen: frozenset) -> None:
        """``level`` 0: the shape applies to the focus node; 1: to a value of it."""
        if shape in seen:
            raise Unsupported(f"{shape}: recursive shape")
        seen = seen | {shape}
        is_property = (shape, SH.path, None) in shapes
        if is_property:
            path = shapes.value(shape, SH.path)
            inverse = shapes.value(path, SH.inversePath) if isinstance(path, BNode) else None
            if level > 0 or not (isinstance(path, URIRef) or isinstance(inverse, URIRef)):
                raise Unsupported(f"{shape}: path {path} read from a value or not one step")
            if inverse is not None:
                in_reader(top, inverse)
        nodes_at = level + 1 if is_property else level  # level of the nodes constrained
        used: set[Node] = set()
        for predicate, obj in shapes.predicate_objects(shape):
            if predicate in _VALUE_LOCAL or predicate in _INERT or predicate == SH["class"]:
                continue  # sh:class reads a value's rdf:type: within reach at level <= 1
            if predicate in _PROPERTY_LOCAL and is_property:
                continue
            if predicate in (SH["or"], SH["and"], SH.xone):
                for item in Collection(shapes, obj):
                    check(item, top, nodes_at, seen)
            elif predicate in (SH["not"], SH.node, SH.property):
                check(obj, top, nodes_at, seen)
            elif predicate in (SH.sparql, SH.target):
                if level > 0:
                    raise Unsupported(f"{shape}: SPARQL on a value node")
                for text in (*shapes.objects(obj, SH.select), *shapes.objects(obj, SH.ask)):
                    if _check_query(text, shape, scope):
                        raise Unsupported(f"{shape}: sh:sparql reading into the focus node")
            elif predicate in component_of:
                used.add(component_of[predicate])
            elif predicate.startswith(str(SH)):
                raise Unsupported(f"{shape}: {predicate} is not known to stay in context")
        for component in used:
            if level > 0:
                raise Unsupported(f"{shape}: constraint component {component} on a value node")
            for text in queries[component]:
                for name in _check_query(text, shape, scope):
                    for followed in shapes.objects(shape, parameters[component][name]):
                        in_reader(top, followed)

    tops = {s for kind in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf,
                           SH.targetNode, SH.target) for s in shapes.subjects(kind, None)}
    tops |= {s for s in shapes.subjects(RDF.type, SH.NodeShape)
             if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL.Class) in shapes}
    for top in tops:
        check(top, top, 0, frozenset())
    return scope


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


def _write(path: Path, text: str) -> None:
    """Write ``text`` whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
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


def _delta(store: ox.Store, change: _Change) -> list[tuple[object, object, object]]:
    """The triples in one of the old and new unions of files and not in the other."""
    if not change.changed:
        added: list[tuple[object, object, object]] = []
    else:
        unchanged = (f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} "
                     f"{_within('g', change.unchanged)} }}" if change.unchanged else "")
        rows = store.query(f"SELECT DISTINCT ?s ?p ?o {{ GRAPH ?n {{ ?s ?p ?o }} "
                           f"{_within('n', change.changed)} {unchanged} }}")
        added = [(r[0], r[1], r[2]) for r in rows]  # type: ignore[index,union-attr]
        if len(change.old):
            default = ox.DefaultGraph()
            added = [t for t in added if ox.Quad(*t, default) not in change.old]
    data = set(change.data)
    removed = [(q.subject, q.predicate, q.object) for q in change.old
               if not any(m.graph_name in data
                          for m in store.quads_for_pattern(q.subject, q.predicate, q.object))]
    return added + removed


def _affected(store: ox.Store, change: _Change, scope: Scope,
              delta: list[tuple[object, object, object]]) -> tuple[set, set]:
    """The focus nodes whose context may differ (see the module's docstring), and those of
    them that shapes reading into a node target (whose incoming triples are context)."""
    subjects: set = set()
    objects: set = set()
    for s, p, o in delta:
        if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
            raise _Fallback("a changed triple has a blank node")
        if p.value == str(RDFS.subClassOf):  # type: ignore[attr-defined]
            raise _Fallback("an rdfs:subClassOf triple changed")
        if s.value in scope.named:  # type: ignore[attr-defined]
            raise _Fallback(f"{s}, named in a SPARQL query of the shapes, changed")
        subjects.add(s)
        if p.value in scope.incoming and isinstance(o, ox.NamedNode):  # type: ignore[attr-defined]
            objects.add(o)
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
) -> Report:
    """Validate the data ``items`` of ``work`` (with the ontology) with the turbo engine,
    reusing the results cached in ``folder`` by the last validation for every focus node
    the change cannot affect. ``folder`` None: validate everything, cache nothing."""
    if folder is None:
        return read_results(turbo_results(_stored(work, items), shapes, ontology), locate)
    key = _key(shapes, ontology)
    here = folder / key
    state = _State.load(here / "state.json")
    previous = state.files if state is not None else {}
    hashes: dict[str, str] = {}
    changed: list[ox.NamedNode] = []
    blank = False
    for item in items:  # one file's text at a time: the whole data may be large
        name, text = graph_name(item), work.ntriples(item)
        hashes[name.value] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if previous.get(name.value) != hashes[name.value]:
            changed.append(name)
            blank = blank or "_:" in text
            path = here / "files" / f"{hashes[name.value]}.nt"
            if not path.exists():  # the old side of the next build's diff
                _write(path, text)
    try:
        if state is None:
            raise _Fallback("no validation of these shapes, ontology and engine is cached")
        if blank:
            raise _Fallback("a new or changed file has blank nodes")
        results = _incremental(work, hashes, changed, state, shapes, ontology, here, log)
    except _Fallback as why:
        log(f"validating everything: {why}")
        results = _records(turbo_results(_stored(work, items), shapes, ontology))
    _write(here / "state.json", _State(hashes, results).dump())
    _tidy(folder, key, set(hashes.values()))
    return _report(results, locate)


def _stored(work: WorkingSet, items: list[Input]) -> str:
    """The items' triples as the store holds them. Oxigraph keeps numbers in canonical form
    ("25.0"^^xsd:decimal is "25"), as the release publishes them and as the partial
    validation reads them; validating the files' own text could name other values."""
    return "".join(work.store.dump(format=ox.RdfFormat.N_TRIPLES,
                                   from_graph=graph_name(i)).decode("utf-8") for i in items)


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
    affected, readers = _affected(work.store, change, scope, _delta(work.store, change))
    keys = {str(n) for n in affected}
    log(f"validation: {len(changed)} new or changed and {len(gone)} removed file(s); "
        f"{len(affected)} focus node(s) validated again")
    kept = [(n3, r) for n3, r in state.results if n3 not in keys]
    if not affected:
        return kept
    context = _context(work.store, data, data + ontology_graphs, affected, readers, scope)
    fresh = [(n3, r) for n3, r in _records(turbo_results(context, shapes, ontology))
             if n3 in keys]
    return kept + fresh


def _tidy(folder: Path, key: str, digests: set[str]) -> None:
    """Remove other keys' caches and the texts of files no build reads any more."""
    for other in folder.iterdir():
        if other.name != key and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
    for text in (folder / key / "files").glob("*.nt"):
        if text.stem not in digests:
            text.unlink(missing_ok=True)
