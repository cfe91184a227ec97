"""`uprgraph publish` into real stores (``oxigraph serve``, Virtuoso 7), served from them.

Two releases: the bundled data (A) and A plus the imported Slovenia cycle-3 matrix (B).
Readers go through `uprgraph serve` with the remote store and must always see one whole
release: the one the store's pointer names.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from test_build import copy_project
from test_queries import QUERIES, plain
from web_fixtures import start_waitress

from uprgraph.build import build
from uprgraph.config import Settings, load_settings
from uprgraph.publish import publish, registered
from uprgraph.release import current
from uprgraph.store.oxigraph import OxigraphStore
from uprgraph.store.remote import RemoteStore, release_iri

if TYPE_CHECKING:
    from store_servers import StoreServer

pytest_plugins = ["web_fixtures", "store_servers"]
ROOT = Path(__file__).resolve().parents[1]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SLOVENIA = ROOT.parent / "shared/data/ohchr-matrix/slovenia-cycle3-UPR34-thematic-list.docx"
#: the query timeout of the publishes here: the publisher waits this long (plus the readers'
#: pointer cache) before it drops the previous release. Servers get more: Virtuoso compiles a
#: query the first time it sees it, which on a busy machine takes seconds.
TIMEOUT = 2.0
SERVER_TIMEOUT = 20.0


@dataclass
class Built:
    settings: Settings
    triples: int

    @property
    def release_id(self) -> str:
        return current(self.settings).id


def _project(folder: Path, *, imported: bool) -> Built:
    project = copy_project(folder)
    shutil.copytree(ROOT / "queries", project / "queries")
    settings = load_settings(project, query_timeout=TIMEOUT)
    if imported:
        from uprgraph.importing import import_file

        import_file(settings, SLOVENIA)
    result = build(settings)
    return Built(settings, int(result.release.manifest["triples"]))


@pytest.fixture(scope="session")
def bundled(tmp_path_factory) -> Built:
    return _project(tmp_path_factory.mktemp("bundled"), imported=False)


@pytest.fixture(scope="session")
def imported(tmp_path_factory) -> Built:
    if not SLOVENIA.is_file():
        pytest.skip(f"the Slovenia cycle-3 matrix is not at {SLOVENIA} (shared fixtures)")
    return _project(tmp_path_factory.mktemp("imported"), imported=True)


def on(built: Built, store: StoreServer) -> Settings:
    return replace(built.settings, **store.settings())  # type: ignore[arg-type]


@pytest.fixture
def credentials(store_server: StoreServer, monkeypatch):
    for key, value in store_server.env().items():
        if key.startswith("UPRGRAPH_STORE_"):
            monkeypatch.setenv(key, value)
    return store_server


@pytest.fixture
def serving(store_server: StoreServer):
    """Start `uprgraph serve`'s app on a built project, reading the remote store."""
    from uprgraph.web import create_app

    started = []

    def start(built: Built):
        app = create_app(replace(on(built, store_server), query_timeout=SERVER_TIMEOUT))
        server, handle = start_waitress(app)
        started.append((app, handle))
        return server

    yield start
    for app, handle in started:
        handle.close()
        app.extensions["uprgraph"].close()


def count_over_http(server) -> int:
    client = SPARQLWrapper(server.url + "sparql")
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setQuery(COUNT)
    return int(client.query().convert()["results"]["bindings"][0]["n"]["value"])


def answers(rows: list[dict[str, object]], whole: bool) -> list[object]:
    """Rows in a comparable order, or (not ``whole``) only the numbers they hold.

    Virtuoso 7 stores some literals in its own way (an ``xsd:duration`` as months, a
    comparison's value as 0 or 1), so against it the counts are compared.
    """
    if whole:
        return sorted(repr(row) for row in rows)
    return sorted(int(v) for row in rows for v in row.values()
                  if isinstance(v, int | float) and v == int(v))


def value(term, base: str) -> object:
    """A term as plain Python; blank node labels are each store's own."""
    import pyoxigraph as ox

    return "_:" if isinstance(term, ox.BlankNode) else plain(term, base)


def embedded(built: Built, query: str) -> list[dict[str, object]] | bool:
    store = OxigraphStore.open_read_only(current(built.settings).store_path)
    base = built.settings.iris.base
    result = store.query(query, base_iri=base)
    if result.kind == "ask":
        return result.boolean
    return [{k: value(v, base) for k, v in row.items()} for row in result.rows()]


def _rows(body: bytes, built: Built) -> list[dict[str, object]] | bool:
    import pyoxigraph as ox

    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    base = built.settings.iris.base
    names = [v.value for v in parsed.variables]
    return [{n: value(s[n], base) for n in names if s[n] is not None} for s in parsed]


def remote(server, built: Built, query: str) -> list[dict[str, object]] | bool:
    """The answer over HTTP, sent as `curl --data-urlencode 'query@F.rq'` sends it
    (SPARQLWrapper takes a word in a query's comment for an update)."""
    import urllib.parse

    reply = server.request("POST", "/sparql", urllib.parse.urlencode({"query": query}), {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.text
    return _rows(reply.body, built)


def check_served(server, built: Built, whole: bool = True) -> None:
    """Every named query answers as the embedded store does; IRIs dereference; dumps load."""
    for path in QUERIES:
        query = path.read_text(encoding="utf-8")
        local, seen = embedded(built, query), remote(server, built, query)
        if isinstance(local, bool):
            assert seen == local, path.name
        else:
            assert isinstance(seen, list) and len(seen) == len(local), path.name
            assert answers(seen, whole) == answers(local, whole), path.name
    assert count_over_http(server) == built.triples
    # graph names as the embedded store has them: FROM, GRAPH, the protocol's dataset
    ontology = str(built.settings.iris.graph("ontology", "upr"))
    for query, params in (
            (f"SELECT (COUNT(*) AS ?n) FROM <{ontology}> WHERE {{ ?s ?p ?o }}", {}),
            ("PREFIX g: <graph/ontology/> SELECT (COUNT(*) AS ?n) "
             "WHERE { GRAPH g:upr { ?s ?p ?o } }", {}),
            ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", {}),
            ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {"default-graph-uri": ontology})):
        local = embedded(built, query) if not params else embedded(built, query.replace(
            "WHERE", f"FROM <{ontology}> WHERE"))
        if isinstance(local, list):  # the description graph is the embedded store's alone
            local = [row for row in local if row.get("g") != "graph/void"]
        got = server.query(query, "application/sparql-results+json", **params)
        assert got.status == 200, got.text
        assert answers(_rows(got.body, built), True) == answers(local, True), query
    # nothing else in the store can be reached by name
    hidden = server.query("ASK { GRAPH <urn:x-uprgraph:releases> { ?s ?p ?o } }",
                          "application/sparql-results+json")
    assert hidden.status == 200 and b"false" in hidden.body
    seen = server.get("/id/state/KHM", accept="text/turtle")
    assert seen.status == 303
    doc = server.get("/doc/state/KHM.ttl")
    assert doc.status == 200 and "Cambodia" in doc.text
    assert server.get("/doc/state/KHM", accept="text/html").status == 200
    vocabulary = server.get("/def/upr.ttl")  # read with GRAPH <the ontology's graph>
    assert vocabulary.status == 200 and "owl:Ontology" in vocabulary.text
    manifest = current(built.settings).manifest
    for dump in manifest["dumps"]:
        got = server.get("/dumps/" + dump["file"])
        assert got.status == 200 and hashlib.sha256(got.body).hexdigest() == dump["sha256"]


def test_publish_bundled_and_serve(store_server, credentials, bundled, serving):
    settings = on(bundled, store_server)
    done = publish(settings, chunk=500)
    assert done.graphs == len(current(settings).manifest["graphs"])
    store = RemoteStore.from_settings(settings)
    assert store.pointer(fresh=True).release == release_iri(bundled.release_id)
    check_served(serving(bundled), bundled, store_server.name == "oxigraph")
    again = publish(settings)  # nothing to load: the release is already the current one
    assert again.reused == again.graphs


def test_publish_while_reading(store_server, credentials, bundled, imported, serving):
    """A reader in a loop sees the old release or the new one, never a mixture; the
    server follows the switch without a restart, and the old graphs go afterwards."""
    publish(on(bundled, store_server))
    server = serving(imported)
    assert count_over_http(server) == bundled.triples
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(count_over_http(server))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        publish(on(imported, store_server), chunk=200)
        time.sleep(1.5)  # the readers' pointer cache
    finally:
        stop.set()
        reader.join(30)
    assert set(seen) <= {bundled.triples, imported.triples}, sorted(set(seen))
    assert seen[0] == bundled.triples and seen[-1] == imported.triples
    check_served(server, imported, store_server.name == "oxigraph")
    store = RemoteStore.from_settings(on(imported, store_server))
    assert list(registered(store)) == [release_iri(imported.release_id)]


def _clean_env() -> dict[str, str]:
    """This process's environment without any UPRGRAPH_* setting or credential."""
    return {k: v for k, v in os.environ.items() if not k.startswith("UPRGRAPH_")}


def _publish_process(built: Built, store: StoreServer, *args: str,
                     password: str | None = None) -> subprocess.Popen:
    env = {**_clean_env(), **store.env(password), "UPRGRAPH_QUERY_TIMEOUT": str(TIMEOUT)}
    return subprocess.Popen([sys.executable, "-m", "uprgraph", "publish", *args],
                            cwd=built.settings.project_dir, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_killed_publish_leaves_readers_on_the_old_release(
        store_server, credentials, bundled, imported, serving):
    publish(on(bundled, store_server))
    server = serving(bundled)
    store = RemoteStore.from_settings(on(imported, store_server))
    target = release_iri(imported.release_id)
    proc = _publish_process(imported, store_server, "--chunk", "40", "--quiet")
    try:
        while proc.poll() is None:  # kill it once its first graphs are in the store
            if registered(store).get(target) and store.counts(registered(store)[target]):
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the publish finished before it could be interrupted"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    time.sleep(1.5)
    assert store.pointer(fresh=True).release == release_iri(bundled.release_id)
    assert count_over_http(server) == bundled.triples
    expected = {g["iri"]: g["triples"] for g in current(imported.settings).manifest["graphs"]}
    present = store.counts(registered(store)[target])
    complete = sum(1 for g, n in expected.items()
                   if present.get(f"{target}:{g}") == n)
    resumed = publish(on(imported, store_server))
    assert resumed.reused == complete and resumed.previous == release_iri(bundled.release_id)
    time.sleep(1.5)
    assert count_over_http(server) == imported.triples


def _snapshot(store: StoreServer) -> tuple:
    reader = RemoteStore(store.query_url)
    rows = reader.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return tuple(sorted((r["g"], r["n"]) for r in rows))


def test_refused_and_unreachable_stores_say_so_in_one_line(store_server, tmp_path):
    from web_fixtures import free_port, write_release

    write_release(tmp_path, "never-published")
    small = Built(load_settings(tmp_path), 0)
    before = _snapshot(store_server)
    if store_server.user:  # Virtuoso's digest auth: a wrong password, from env or netrc
        proc = _publish_process(small, store_server, password="wrong-" + store_server.password)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1
        assert len(err.strip().splitlines()) == 1, err
        assert "HTTP 401" in err and f"refused the credentials of {store_server.user!r}" in err
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1 login {store_server.user} password nope\n")
        netrc.chmod(0o600)
        env = {k: v for k, v in store_server.env().items()
               if not k.startswith("UPRGRAPH_STORE_")}
        done = subprocess.run([sys.executable, "-m", "uprgraph", "publish"], cwd=tmp_path,
                              env={**_clean_env(), **env, "NETRC": str(netrc)},
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert f"refused the credentials of {store_server.user!r}" in done.stderr
        assert _snapshot(store_server) == before
    closed = f"http://127.0.0.1:{free_port()}"
    gone = replace(store_server, query_url=closed + "/query", update_url=closed + "/update",
                   store_url=closed + "/store")
    proc = _publish_process(small, gone)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("publish failed: cannot reach the store at " + closed)
    assert _snapshot(store_server) == before


def test_a_miscounted_graph_is_not_switched_to(store_server, credentials, tmp_path):
    """Counts are checked after loading: a graph short of what the VoID states stops the
    publish before the switch, and says which graph."""
    import json

    import pyoxigraph as ox
    from web_fixtures import write_release

    from uprgraph.publish import PublishError

    release = write_release(tmp_path, "miscounted")
    manifest = json.loads((release / "manifest.json").read_text())
    graph = manifest["graphs"][0]
    store = RemoteStore(store_server.query_url)
    before = store.pointer(fresh=True)
    void = (release / "void.ttl").read_text()
    described = ox.Store()
    described.load(void.encode(), format=ox.RdfFormat.TURTLE)
    (n,) = [int(r["n"].value) for r in described.query(
        f"SELECT ?n WHERE {{ <{graph}> <http://rdfs.org/ns/void#triples> ?n }}")]
    described.update(f"DELETE DATA {{ <{graph}> <http://rdfs.org/ns/void#triples> {n} }} ;"
                     f"INSERT DATA {{ <{graph}> <http://rdfs.org/ns/void#triples> {n + 1} }}")
    (release / "void.ttl").write_bytes(described.dump(format=ox.RdfFormat.TURTLE,
                                                      from_graph=ox.DefaultGraph()))
    manifest["triples"] += 1
    (release / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PublishError, match=f"graph <{graph}>: {n} triples in the store after "
                                           f"loading, the release's VoID states {n + 1}"):
        publish(on(Built(load_settings(tmp_path), 0), store_server))
    assert store.pointer(fresh=True) == before
