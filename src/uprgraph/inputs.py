"""Which files a build reads, and into which named graph each one goes.

Every source file becomes one named graph of the release, so a statement can
always be traced back to the file it came from (``GRAPH ?g`` in SPARQL, and the
validation report's "file" column).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax import SAXException

from rdflib import BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.exceptions import ParserError

from . import formats
from .config import Settings


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
