"""``uprgraph publish``: the current release into a remote SPARQL store, atomically.

Readers (``uprgraph serve`` with ``store = "remote"``) query only the release the
store's pointer names (see :mod:`uprgraph.store.remote`). A publish therefore:

1. registers the release and its graphs in the control graph;
2. loads every graph of the release's N-Quads dump into a graph of its own, in
   chunks (Graph Store ``POST``), skipping graphs already loaded with the right
   count by an interrupted publish;
3. checks each graph's triple count against the release's VoID;
4. switches the pointer in one SPARQL Update (one operation);
5. waits until no reader can still be on the previous release (the pointer
   cache plus the query timeout), then drops the graphs of every other release.

A failure before step 4 leaves readers on the release they had; the next
publish resumes at step 2.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import click
import pyoxigraph as ox
from tqdm import tqdm

from .config import Settings
from .release import Release, ReleaseError, current
from .release.dumps import QUADS_DUMP
from .store.base import StoreError
from .store.oxigraph import read_quads
from .store.remote import (
    CONTROL,
    CURRENT,
    HAS_GRAPH,
    POINTER_TTL,
    RemoteStore,
    release_graph,
    release_iri,
)

VOID = "http://rdfs.org/ns/void#"
#: triples per Graph Store request
CHUNK_TRIPLES = 20_000


class PublishError(RuntimeError):
    """The publish stopped; the message says what failed (one line)."""


@dataclass
class Outcome:
    release: str
    previous: str | None
    triples: int
    graphs: int
    reused: int
    seconds: float


def expected_counts(release: Release) -> dict[str, int]:
    """Triples per named graph of the release: the manifest's graphs, with the counts its
    VoID states (which must agree with the manifest's where it gives them too)."""
    if not release.void_path.is_file():
        raise PublishError(f"{release.void_path}: no VoID description in the release")
    store = ox.Store()
    store.load(path=str(release.void_path), format=ox.RdfFormat.TURTLE)
    rows = store.query(f"SELECT ?g ?n WHERE {{ ?d <{VOID}subset> ?g . ?g <{VOID}triples> ?n }}")
    void = {row["g"].value: int(row["n"].value) for row in rows}  # type: ignore[index]
    counts: dict[str, int] = {}
    for entry in release.manifest.get("graphs", []):
        name = entry["iri"] if isinstance(entry, dict) else str(entry)
        stated = entry.get("triples") if isinstance(entry, dict) else None
        if name not in void:
            raise PublishError(f"{release.void_path}: no void:triples for graph <{name}>")
        if stated is not None and stated != void[name]:
            raise PublishError(f"graph <{name}>: the manifest states {stated} triples, "
                               f"the VoID {void[name]}")
        counts[name] = void[name]
    if not counts:
        raise PublishError(f"{release.path}: the manifest lists no graph")
    total = release.manifest.get("triples")
    if total is not None and total != sum(counts.values()):
        raise PublishError(f"{release.path}: the graphs hold {sum(counts.values())} triples, "
                           f"the manifest states {total}")
    return counts


def registered(store: RemoteStore) -> dict[str, list[str]]:
    """Every release registered in the control graph, with its store graphs."""
    found: dict[str, list[str]] = defaultdict(list)
    query = f"SELECT ?r ?g WHERE {{ GRAPH <{CONTROL}> {{ ?r <{HAS_GRAPH}> ?g }} }}"
    for row in store.select(query):
        found[row["r"]].append(row["g"])
    return dict(found)


def register(store: RemoteStore, release: str, graphs: Iterable[str]) -> None:
    listed = ", ".join(f"<{g}>" for g in sorted(graphs))
    store.update(f"INSERT DATA {{ GRAPH <{CONTROL}> {{ <{release}> <{HAS_GRAPH}> {listed} }} }}")


def switch(store: RemoteStore, release: str, previous: list[str]) -> None:
    """Point readers at ``release`` instead of ``previous``: one DELETE/INSERT operation,
    atomic in the store. Its templates are ground (no pattern to match): Virtuoso 7
    skips the INSERT of a pattern-matching operation whose WHERE finds nothing."""
    pointer = f"GRAPH <{CONTROL}> {{ <{CONTROL}> <{CURRENT}> "
    old = " ".join(f"{pointer}<{r}> }}" for r in previous)
    delete = f"DELETE {{ {old} }} " if previous else ""
    store.update(f"{delete}INSERT {{ {pointer}<{release}> }} }} WHERE {{ }}")


def pointed(store: RemoteStore) -> list[str]:
    """The releases the pointer names: one, or none before the first publish."""
    rows = store.select(f"SELECT ?r WHERE {{ GRAPH <{CONTROL}> {{ <{CONTROL}> <{CURRENT}> ?r }} }}")
    return sorted(r["r"] for r in rows)


def forget(store: RemoteStore, release: str, graphs: Iterable[str]) -> None:
    """Drop a release's graphs, then its registration."""
    for g in graphs:
        store.update(f"DROP SILENT GRAPH <{g}>")
    store.update(f"DELETE {{ GRAPH <{CONTROL}> {{ <{release}> ?p ?o }} }} "
                 f"WHERE {{ GRAPH <{CONTROL}> {{ <{release}> ?p ?o }} }}")


def upload(store: RemoteStore, quads: Iterable[ox.Quad], targets: dict[str, str],
           chunk: int, bar: tqdm) -> None:
    """Send the quads of the graphs in ``targets`` (``{graph: store graph}``) in chunks.

    Triples with a blank node are held back and sent per graph in one request, because
    a store mints new blank nodes for every request.
    """
    plain: dict[str, list[ox.Triple]] = defaultdict(list)
    blank: dict[str, list[ox.Triple]] = defaultdict(list)

    def send(graph: str, triples: list[ox.Triple]) -> None:
        store.add_triples(targets[graph], ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        bar.update(len(triples))

    for q in quads:
        graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None
        if graph not in targets:
            continue
        t = q.triple
        if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode):
            blank[graph].append(t)
            continue
        buffer = plain[graph]
        buffer.append(t)
        if len(buffer) >= chunk:
            send(graph, buffer)
            buffer.clear()
    for pending in (plain, blank):
        for graph, triples in pending.items():
            if triples:
                send(graph, triples)


def publish(settings: Settings, *, chunk: int = CHUNK_TRIPLES, progress: bool = False,
            log: Callable[[str], None] = lambda _m: None) -> Outcome:
    """Publish the current release; :class:`PublishError` says what failed."""
    start = time.monotonic()
    try:
        release = current(settings)
    except ReleaseError as exc:
        raise PublishError(str(exc)) from exc
    expected = expected_counts(release)
    dump = release.dumps_path / QUADS_DUMP
    if not dump.is_file():
        raise PublishError(f"{dump}: the release has no N-Quads dump")
    store = RemoteStore.from_settings(settings)
    for name, url in (("remote_update_url", store.update_url),
                      ("remote_store_url", store.store_url)):
        if not url:
            raise PublishError(f"set {name}: publishing writes through it")
    rid = release.id
    target = release_iri(rid)
    names = {g: release_graph(rid, g) for g in expected}
    currents = pointed(store)
    previous = currents[0] if len(currents) == 1 else None
    total = sum(expected.values())
    todo: dict[str, str] = {}
    if currents == [target]:
        log(f"release {rid} is already the current one in {store.query_url}")
    else:
        register(store, target, names.values())
        present = store.counts(names.values())
        todo = {g: names[g] for g in expected if present.get(names[g]) != expected[g]}
        log(f"publishing release {rid} into {store.query_url}: {total} triples in "
            f"{len(expected)} graphs ({len(expected) - len(todo)} already loaded)")
        for g in todo:
            if names[g] in present:
                store.update(f"DROP SILENT GRAPH <{names[g]}>")  # a partial load
        with tqdm(total=sum(expected[g] for g in todo), unit=" triples", unit_scale=True,
                  disable=not progress, file=sys.stderr, leave=False) as bar:
            upload(store, _checked(read_quads(dump), expected), todo, chunk, bar)
        loaded = store.counts(names.values())
        for g, n in sorted(expected.items()):
            if loaded.get(names[g], 0) != n:
                raise PublishError(
                    f"graph <{g}>: {loaded.get(names[g], 0)} triples in the store after "
                    f"loading, the release's VoID states {n}")
        switch(store, target, currents)
        now = store.pointer(fresh=True)
        if now is None or now.release != target:
            raise PublishError(f"the store did not take the switch to release {rid}")
        log(f"switched readers to release {rid}" + (
            f" (was {previous.removeprefix(release_iri(''))})" if previous else ""))
    stale = {r: gs for r, gs in registered(store).items() if r != target}
    if stale:
        grace = settings.query_timeout + 2 * POINTER_TTL
        log(f"dropping {len(stale)} previous release(s) in {grace:g} s, once no query "
            "can still read them")
        time.sleep(grace)
        for r, gs in stale.items():
            forget(store, r, gs)
    return Outcome(rid, previous, total, len(expected), len(expected) - len(todo),
                   round(time.monotonic() - start, 2))


def _checked(quads: Iterable[ox.Quad], expected: dict[str, int]) -> Iterable[ox.Quad]:
    """The dump's quads; one outside the graphs the VoID describes is an error."""
    for q in quads:
        if not isinstance(q.graph_name, ox.NamedNode) or q.graph_name.value not in expected:
            where = getattr(q.graph_name, "value", "the default graph")
            raise PublishError(f"the dump has triples in {where}, which the VoID does not list")
        yield q


@click.command("publish")
@click.option("--chunk", type=click.IntRange(min=1), default=CHUNK_TRIPLES, show_default=True,
              help="Triples per upload request.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.pass_obj
def publish_command(settings: Settings, chunk: int, quiet: bool) -> None:
    """Publish the current release into the remote store (remote_* settings), atomically.

    Credentials come from UPRGRAPH_STORE_USER and UPRGRAPH_STORE_PASSWORD or from a
    netrc entry for the store's host.
    """
    say = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    try:
        done = publish(settings, chunk=chunk, progress=not quiet and sys.stderr.isatty(),
                       log=say)
    except (PublishError, StoreError) as exc:
        message = " ".join(str(exc).split())
        click.echo(f"publish failed: {message}; readers stay on the release they had", err=True)
        sys.exit(1)
    say(f"published release {done.release}: {done.triples} triples in {done.graphs} graphs "
        f"({done.reused} already loaded) in {done.seconds} s")
