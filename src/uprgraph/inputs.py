"""Which files a build reads, and into which named graph each one goes.

Every source file becomes one named graph of the release, so a statement can
always be traced back to the file it came from (``GRAPH ?g`` in SPARQL, and the
validation report's "file" column).
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax import SAXException

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.exceptions import ParserError

from . import formats
from .config import Settings
from .terms import to_oxigraph

#: files under data/links/ hold outward links (owl:sameAs ...) fetched once and kept
#: offline; a build keeps only the links whose subject the data describes
LINKS_SUBDIR = "links"


class InputError(ValueError):
    """A source file that cannot be read; the message names the file and why."""


@dataclass
class Input:
    """One source file of a build. ``role``: ontology, shapes, vocabulary, data or links."""

    path: Path
    graph_iri: URIRef
    role: str
    graph: Graph = field(default_factory=Graph, repr=False)
    #: triples the file holds (set by :func:`load_into`, which leaves ``graph`` empty)
    triples: int = 0
    #: ``format:SHA-256`` of the file if its graph is exactly what Oxigraph read from it
    #: (None: the file was read another way, by rdflib)
    sha256: str | None = None

    def label(self, project_dir: Path) -> str:
        try:
            return str(self.path.relative_to(project_dir))
        except ValueError:
            return str(self.path)


def _rdf_files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            formats.for_path(path)
        except formats.UnknownFormat:
            continue
        yield path


def collect(settings: Settings) -> list[Input]:
    """Every input of a build in a fixed order: ontology, shapes, vocabularies, data."""
    iris = settings.iris
    found: list[Input] = []
    ontology_dir = settings.path(settings.ontology_dir)
    for path in _rdf_files(ontology_dir):
        found.append(Input(path, iris.graph("ontology", path.stem), "ontology"))
    for path in _rdf_files(settings.path(settings.shapes_dir)):
        found.append(Input(path, iris.graph("shapes", path.stem), "shapes"))
    vocab_paths = list(_rdf_files(settings.path(settings.vocabulary_dir)))
    for vocab in settings.vocabularies:
        path = settings.path(vocab)
        if not path.is_file():
            raise InputError(f"{path}: vocabulary named in the settings does not exist")
        vocab_paths.append(path)
    for path in vocab_paths:
        found.append(Input(path, iris.graph("vocabulary", path.name.split(".")[0]), "vocabulary"))
    data_dir = settings.path(settings.data_dir)
    links_dir = data_dir / LINKS_SUBDIR
    for path in _rdf_files(data_dir):
        rel = str(path.relative_to(data_dir)).split(".")[0]
        role = "links" if path.is_relative_to(links_dir) else "data"
        found.append(Input(path, iris.graph(role, rel.replace("/", "-")), role))
    if not any(i.role == "ontology" for i in found):
        raise InputError(f"{ontology_dir}: no ontology file found (expected e.g. upr.ttl)")
    return found


def parse(item: Input, base: str) -> Graph:
    """Parse one file (``.gz`` transparently), relative IRIs resolved against ``base``."""
    fmt = formats.for_path(item.path)
    graph = Graph()
    try:
        if item.path.suffix == ".gz":
            with gzip.open(item.path, "rb") as handle:
                graph.parse(handle, format=fmt.rdflib, publicID=base)
        else:
            graph.parse(str(item.path), format=fmt.rdflib, publicID=base)
    except (ParserError, SyntaxError, SAXException, ValueError, OSError, EOFError) as exc:
        raise InputError(f"{item.path}: not valid {fmt.name}: {exc}") from exc
    if any(isinstance(t, BNode) for triple in graph for t in triple):
        # stable blank node labels, so the same input always gives the same release
        canonical = Graph()
        canonical += to_canonical_graph(graph)
        graph = canonical
    item.graph = graph
    return graph


#: formats Oxigraph loads straight into a named graph (a file of triples, no graph names)
_TRIPLE_FORMATS = frozenset({"ntriples", "turtle", "rdfxml"})


def load_into(store: ox.Store, item: Input, base: str,
              known: tuple[str, int] | None = None,
              hashed: Callable[[Input, str], object] = lambda _item, _digest: None) -> int:
    """Parse one file into ``store``, in the named graph ``item.graph_iri``; the triple count.

    Oxigraph parses several times faster than rdflib and keeps the quads out of
    Python. Files with blank nodes, files of quads (every triple goes to the file's
    graph, as :func:`parse` does) and files Oxigraph refuses but rdflib reads go
    through :func:`parse`, so the build accepts what it accepted before and blank
    node labels stay stable across builds. ``known``: the digest and triple count of a
    file an earlier build read into this graph with Oxigraph; the same bytes are read
    again without checking every IRI (about a third faster), since they passed those
    checks then, and hold as many triples. ``hashed(item, digest)`` is told the digest
    :attr:`Input.sha256` will hold if Oxigraph reads the file, before it parses it: what
    is kept under it elsewhere can be fetched meanwhile.
    """
    fmt = formats.for_path(item.path)
    target = ox.NamedNode(str(item.graph_iri))
    if fmt.name in _TRIPLE_FORMATS and fmt.oxigraph_rdf is not None:
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            raise InputError(f"{item.path}: cannot be read: {exc}") from exc
        # the format is part of what was read: the same bytes under another name are not
        digest = f"{fmt.name}:{hashlib.sha256(data).hexdigest()}"
        same = known is not None and known[0] == digest
        hashed(item, digest)
        options = {"format": fmt.oxigraph_rdf, "base_iri": base, "to_graph": target,
                   "lenient": same}
        try:
            if item.path.suffix == ".gz":
                with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
                    store.load(handle, **options)  # type: ignore[arg-type]
            else:
                store.load(data, **options)  # type: ignore[arg-type]
        except SyntaxError:
            store.remove_graph(target)  # rdflib decides (and words the error)
        except (OSError, EOFError) as exc:
            raise InputError(f"{item.path}: not valid {fmt.name}: {exc}") from exc
        else:
            # N-Triples names a blank node only as ``_:label``: no such bytes, none to find
            plain = fmt.name == "ntriples" and item.path.suffix != ".gz" and b"_:" not in data
            del data
            if plain or not store.query(_HAS_BLANK.replace("GRAPH_IRI", target.value)):
                item.triples = known[1] if known is not None and same else count(store, target)
                item.sha256 = digest
                return item.triples
            store.remove_graph(target)
    item.triples = add_graph(store, parse(item, base), target)
    item.graph = Graph()
    return item.triples


def add_graph(store: ox.Store, graph: Graph, target: ox.NamedNode) -> int:
    """Copy an rdflib graph into the named graph ``target`` of ``store``.

    The quads go in sorted: Oxigraph's in-memory store lists quads in the order they
    were added, and rdflib's order varies from run to run, a release's must not.
    """
    quads = [ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), target)
             for s, p, o in graph]
    quads.sort(key=str)
    store.extend(quads)
    return len(quads)


_HAS_BLANK = "ASK { GRAPH <GRAPH_IRI> { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) } }"


def count(store: ox.Store, graph: ox.NamedNode) -> int:
    """The triples of one graph of ``store``."""
    rows = store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))["n"].value)  # type: ignore[index,arg-type]
