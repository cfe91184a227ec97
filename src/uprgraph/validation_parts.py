"""SHACL validation of an import's output in parts, one per core, with the same report.

An import checks its own N-Triples before it keeps them; on a large file the Rust
engine's time grows with the triples, on one core. The file is cut into parts: each
holds every *shared* triple (states, reviews, concepts, organisations: subjects that
are not recommendations) and the triples of some of the recommendations. The parts
run at once (forked), and each focus node's results are taken from a part that holds
its whole context, which is why the report is the one a single run gives:

- :func:`.validation_scope.analyse` accepts only shapes whose results for a node depend
  on its own triples, its values' triples, triples read *into* it through known
  predicates (``upr:review`` into a review for ``ListedWithinTotal``) and triples every
  part holds (the ontology, the IRIs SPARQL queries name); otherwise: one run;
- a recommendation's own triples are in its part, its values are shared (a value that
  is a recommendation, or a shared node pointing at one, or a blank node: one run);
- recommendations pointing at one node through a read-in predicate go to the same part
  (all of a review's recommendations together), and that node's results are taken
  from that part; a node nothing reads into has the same context wherever it occurs,
  and its results are taken from the first part that names it.

A build validates its whole data in the same parts one after another (:class:`Parts`):
the engine then holds one part's graph at a time, not the whole data's, and the union
of the parts' results is, for the same reasons, the single run's.

``tests/test_validation_parts.py`` holds the parts to a single run.
"""

from __future__ import annotations

import io
import math
import mmap
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rdflib import Graph, Node
from rdflib.namespace import RDF

from .forked import Forked
from .validate import Report, Result, read_results, sort_results, turbo_results
from .validation_scope import Unsupported, analyse

#: fewer triples than this are validated in one run (forking costs more than it saves)
MIN_TRIPLES = 100_000
#: at most this many parts, however many cores
MAX_PARTS = 4
#: a build's data is validated in turn in parts of about this many triples each
PART_TRIPLES = 250_000


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _key(result: Result) -> str:
    """A result's focus node as N-Triples writes it (literals are already in N3)."""
    return result.focus if result.focus.startswith('"') else f"<{result.focus}>"


class _Groups:
    """Union-find over recommendations that must share a part."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        while parent != item:
            grand = self.parent[parent]
            self.parent[item] = grand
            item, parent = parent, grand
        return item

    def join(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[root_a] = root_b


def split(ntriples: str, subjects: set[str], shapes: Graph, parts: int
          ) -> tuple[list[str], dict[str, int]] | None:
    """The texts of the parts and the part that holds each read-into node's context;
    None when a single run is needed (see the module's docstring)."""
    if "_:" in ntriples:
        return None
    try:
        scope = analyse(shapes)
    except Unsupported:
        return None
    incoming = {f"<{p}>" for p in scope.incoming}
    shared: list[str] = []
    own: dict[str, list[str]] = {}
    groups = _Groups()
    for line in ntriples.split("\n"):
        if not line:
            continue
        subject, predicate, rest = line.split(" ", 2)
        target = rest[:-2]  # rest: "object ."
        if subject not in subjects:
            if target in subjects:
                return None  # a shared node's value is a recommendation
            shared.append(line)
            continue
        if target in subjects:
            return None  # a recommendation's value is another recommendation
        own.setdefault(subject, []).append(line)
        groups.find(subject)
        if predicate in incoming and not target.startswith('"'):
            groups.join(subject, target)
    members: dict[str, list[str]] = {}
    for rec in own:
        members.setdefault(groups.find(rec), []).append(rec)
    sizes = [0] * parts
    texts: list[list[str]] = [list(shared) for _ in range(parts)]
    part_of: dict[str, int] = {}
    for root, recs in sorted(members.items(), key=lambda kv: -sum(len(own[r]) for r in kv[1])):
        part = sizes.index(min(sizes))
        for rec in recs:
            texts[part].extend(own[rec])
            sizes[part] += len(own[rec])
        part_of[root] = part
    nodes = {node: part_of[groups.find(node)] for node in groups.parent
             if node not in own}  # the nodes read into, by their group's part
    nodes.update((rec, part_of[groups.find(rec)]) for rec in own)
    return ["\n".join(t) + "\n" for t in texts], nodes


def validate_parts(
    ntriples: str,
    subjects: set[str],
    shapes: Graph,
    ontology: Graph | None = None,
    locate: Callable[[Node], Iterable[str]] | None = None,
) -> Report:
    """Validate N-Triples text as :func:`.validate.validate_ntriples` does, in parts that run
    at once when the text is large. ``subjects`` holds the N-Triples text (``<...>``) of
    the recommendations, the nodes the parts divide."""
    parts = min(_cores(), MAX_PARTS)
    cut = (split(ntriples, subjects, shapes, parts)
           if parts > 1 and ntriples.count("\n") >= MIN_TRIPLES else None)
    if cut is None:
        return read_results(turbo_results(ntriples, shapes, ontology), locate)
    texts, owner = cut
    del ntriples

    def run(text: str) -> list[Result]:
        return read_results(turbo_results(text, shapes, ontology), locate).results

    others = [Forked(lambda text=text: run(text), "validation part") for text in texts[1:]]
    try:
        found = [run(texts[0])]
        del texts
        found += [child.result() for child in others]
    finally:
        for child in others:
            child.cancel()
    report = Report()
    first: dict[str, int] = {}  # nodes nothing reads into: the first part that names them
    for part, results in enumerate(found):
        for result in results:
            key = _key(result)
            if owner.get(key, first.setdefault(key, part)) == part:
                report.results.append(result)
    return sort_results(report)


@dataclass
class Parts:
    """A build's data cut into parts validated one after another (see the module's
    docstring): the triples of no divided node, which every part holds, each part's own
    triples (in memory, or in a file of ``folder``), and the part that holds each
    read-into node's context."""

    shared: bytes
    own: list[bytes | Path]
    owner: dict[str, int]
    folder: tempfile.TemporaryDirectory[str] | None = None

    def texts(self) -> Iterator[list[bytes]]:
        """Each part's N-Triples in turn, as chunks for :func:`.validate.turbo_results`
        (which lets each go once read): one part's own triples in memory at a time."""
        while self.own:
            yield [self.shared, self._next()]
        if self.folder is not None:
            self.folder.cleanup()

    def _next(self) -> bytes:
        part = self.own.pop(0)
        if isinstance(part, bytes):
            return part
        text = part.read_bytes()
        part.unlink()
        return text

    def union(self, found: Iterable[list[tuple[str, Result]]]) -> list[tuple[str, Result]]:
        """The single run's results from each part's (focus node in N3, result), in order:
        a read-into node's from the part holding its context, another's from the first
        part that names it."""
        kept: list[tuple[str, Result]] = []
        first: dict[str, int] = {}
        for part, results in enumerate(found):
            kept.extend((n3, r) for n3, r in results
                        if self.owner.get(n3, first.setdefault(n3, part)) == part)
        return kept


#: N-Triples text in memory, or in a file (read a line at a time: a build's data held once)
Chunk = bytes | Path


def _lines(chunk: Chunk) -> Iterator[bytes]:
    """The lines of an N-Triples chunk, newline included, one object at a time."""
    if isinstance(chunk, bytes):
        yield from io.BytesIO(chunk)
        return
    with chunk.open("rb") as handle:
        yield from handle


@contextmanager
def _whole(chunk: Chunk) -> Iterator[bytes | mmap.mmap]:
    """A chunk as one buffer to search: a file mapped, not read (its pages stay the
    kernel's file cache, let go when the search ends)."""
    if isinstance(chunk, bytes) or not chunk.stat().st_size:
        yield chunk if isinstance(chunk, bytes) else b""
        return
    with chunk.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        yield m


def _typed(text: bytes | mmap.mmap, cls: str) -> Iterator[bytes]:
    """The subjects (``<...>``) of the ``rdf:type`` lines of ``cls`` in N-Triples text
    (found by their tail, a plain search: faster than a pattern tried at every line)."""
    tail = f" <{RDF.type}> <{cls}> .\n".encode()
    end = text.find(tail)
    while end >= 0:
        yield bytes(text[text.rfind(b"\n", 0, end) + 1:end])
        end = text.find(tail, end + len(tail))


def cut(chunks: list[Chunk], divided: str, shapes: Graph, size: int | None = None,
        spill: Path | None = None) -> Parts | None:
    """The N-Triples ``chunks`` (emptied once cut) in parts of about ``size`` triples that
    divide the instances of the class ``divided``; None when one run is needed (the
    module's docstring says when) or the data fits one part (``size``: by default
    :data:`PART_TRIPLES`). ``spill``: a folder on disk where the parts wait their turn
    in a temporary folder rather than in memory.

    Two passes over the lines, none of them kept as an object: the first groups the
    divided nodes, the second copies each line into its part's text."""
    try:
        scope = analyse(shapes)
    except Unsupported:
        return None
    subjects: set[bytes] = set()
    for chunk in chunks:
        with _whole(chunk) as text:
            if text.find(b"_:") >= 0:
                return None
            subjects.update(_typed(text, divided))
    incoming = {f"<{p}>".encode() for p in scope.incoming}
    own: dict[bytes, int] = {}
    groups = _Groups()
    triples = 0
    for line in (line for chunk in chunks for line in _lines(chunk)):
        if not line.strip():
            continue
        triples += 1
        subject, predicate, rest = line.split(b" ", 2)
        target = rest.rstrip()[:-2]  # rest: "object .\n"
        if target in subjects:
            return None  # a divided node's value is another, or a shared node's value is one
        if subject in subjects:
            own[subject] = own.get(subject, 0) + 1
            if predicate in incoming and not target.startswith(b'"'):
                groups.join(subject.decode(), target.decode())
    parts = math.ceil(triples / (size or PART_TRIPLES))
    if parts < 2:
        return None
    members: dict[str, list[bytes]] = {}
    for node in own:
        members.setdefault(groups.find(node.decode()), []).append(node)
    sizes = [0] * parts
    part_of: dict[str, int] = {}
    for root, nodes in sorted(members.items(), key=lambda kv: -sum(own[n] for n in kv[1])):
        part = sizes.index(min(sizes))
        sizes[part] += sum(own[n] for n in nodes)
        part_of[root] = part
    owner = {node: part_of[groups.find(node)] for node in list(groups.parent)}
    of = {node: owner[node.decode()] for node in own}
    folder = (tempfile.TemporaryDirectory(prefix=".parts-", dir=spill)
              if spill is not None else None)
    paths = [Path(folder.name) / f"{i}.nt" for i in range(parts)] if folder else []
    shared = io.BytesIO()
    with ExitStack() as stack:
        sinks: list[IO[bytes]] = ([stack.enter_context(path.open("wb")) for path in paths]
                                  or [io.BytesIO() for _ in range(parts)])
        while chunks:
            for line in _lines(chunks.pop(0)):
                part = of.get(line.split(b" ", 1)[0])
                (shared if part is None else sinks[part]).write(
                    line if line.endswith(b"\n") else line + b"\n")
        own: list[bytes | Path] = (list(paths) if folder else
                                   [sink.getvalue() for sink in sinks])  # type: ignore[attr-defined]
    return Parts(shared.getvalue(), own, owner, folder)
