"""Store backends behind one interface; publishing files with `serve --data`; gunicorn."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rdflib.plugins.sparql.parser import parseQuery

from uprgraph.formats import BY_NAME
from uprgraph.store.analysis import analyse
from uprgraph.store.memory import MemoryStore
from uprgraph.store.remote import RemoteStore

pytest_plugins = ["web_fixtures"]
BIN = Path(sys.executable).parent
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def wait_http(url: str, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def n_of(body: bytes) -> int:
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_memory_store_answers_like_oxigraph(web_project):
    nq = web_project / ".uprgraph/current/dumps/uprgraph.nq.gz"
    mem = MemoryStore.from_files([nq])
    assert n_of(b"".join(_written(mem.query(COUNT).render(BY_NAME["json"])))) > 150
    graph = mem.query("DESCRIBE <http://localhost:8080/id/state/KHM>")
    assert b"Cambodia" in b"".join(_written(graph.render(BY_NAME["turtle"])))
    assert mem.graphs()


def _written(rendered) -> list[bytes]:
    import io

    out = io.BytesIO()
    rendered.write(out)
    return [out.getvalue()]


def test_memory_backend_serves(make_live):
    server = make_live(store="memory")
    r = server.query(COUNT)
    assert r.status == 200 and n_of(r.body) > 150
    assert server.get("/doc/state/KHM", "text/turtle").status == 200


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    exe = BIN / "oxigraph"
    if not exe.exists():
        pytest.skip("the `oxigraph` executable (PyPI package oxigraph) is not installed")
    from web_fixtures import free_port

    port = free_port()
    proc = subprocess.Popen([str(exe), "serve", "--location", str(tmp_path_factory.mktemp("oxi")),
                             "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/query?query=ASK%7B%7D")
        yield url
    finally:
        proc.kill()
        proc.wait(5)


def test_remote_store_publish_and_serve(oxigraph_server, web_project, make_live):
    remote = RemoteStore(oxigraph_server + "/query", oxigraph_server + "/store", timeout=10)
    counts = remote.publish_files([web_project / ".uprgraph/current/dumps/uprgraph.nq.gz"])
    assert len(counts) == 3
    assert len(remote) == sum(counts.values())
    assert "http://localhost:8080/graph/ontology/upr" in remote.graphs()
    server = make_live(store="remote", remote_query_url=oxigraph_server + "/query",
                       remote_store_url=oxigraph_server + "/store")
    r = server.query(COUNT)
    assert r.status == 200 and n_of(r.body) == len(remote)
    r = server.query("SELECT * WHERE { ?s ?p ?o }", "text/csv")
    assert r.header("X-SPARQL-Truncated") == "true"
    assert server.get("/doc/state/KHM", "application/ld+json").status == 200
    assert server.query("SELECT * WHERE {").status == 400


def test_serve_data_files_through_the_cli(tmp_path):
    """`uprgraph serve --data` publishes Turtle and N-Quads (named graphs kept), no release."""
    ttl = tmp_path / "extra.ttl"
    ttl.write_text('<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "A" .\n')
    nq = tmp_path / "more.nq"
    nq.write_text('<http://example.org/b> <http://example.org/p> "B" <http://example.org/g1> .\n')
    jsonld = tmp_path / "x.jsonld"
    jsonld.write_text('{"@id": "http://example.org/c", "http://example.org/p": "C"}')
    from web_fixtures import free_port

    port = free_port()
    env = {**os.environ, "UPRGRAPH_PROJECT_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uprgraph.web", "--port", str(port), "--data", str(ttl),
         "--data", str(nq), "--data", str(jsonld)], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_http(f"http://127.0.0.1:{port}/sparql")
        q = urllib.parse.quote("SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?o")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sparql?query={q}") as resp:
            rows = json.loads(resp.read())["results"]["bindings"]
        assert [(r["g"]["value"], r["o"]["value"]) for r in rows] == [
            ("http://localhost:8080/graph/data/extra.ttl", "A"),
            ("http://example.org/g1", "B"), ("http://localhost:8080/graph/data/x.jsonld", "C")]
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_without_release_says_what_to_do(tmp_path):
    from click.testing import CliRunner

    from uprgraph.web.commands import serve

    os.chdir(tmp_path)
    result = CliRunner().invoke(serve, ["--get", "/sparql"], env={
        "UPRGRAPH_PROJECT_DIR": str(tmp_path)})
    assert result.exit_code != 0 and "uprgraph build" in result.output


def test_serve_get_answers_one_request(web_project, monkeypatch):
    from click.testing import CliRunner

    from uprgraph.web.commands import serve

    monkeypatch.chdir(web_project)
    q = urllib.parse.quote("ASK { ?s ?p ?o }")
    result = CliRunner().invoke(serve, ["--get", f"/sparql?query={q}", "--workers", "0"],
                                env={"UPRGRAPH_PROJECT_DIR": str(web_project)})
    assert result.exit_code == 0, result.output
    assert '"boolean":true' in result.output


def test_gunicorn_with_several_workers_shares_the_store(web_project):
    if shutil.which("gunicorn", path=str(BIN)) is None:
        pytest.skip("gunicorn is not installed (test extra)")
    from web_fixtures import free_port

    port = free_port()
    env = {**os.environ, "UPRGRAPH_PROJECT_DIR": str(web_project), "UPRGRAPH_QUERY_WORKERS": "1"}
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                             "uprgraph.web.wsgi:app"], env=env, cwd=web_project,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/sparql", 30)
        for _ in range(12):
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/sparql?query=ASK%7B%3Fs%3Fp%3Fo%7D") as resp:
                assert b"true" in resp.read()
    finally:
        proc.terminate()
        proc.wait(10)


QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    "PREFIX service: <http://e.org/> SELECT * WHERE { ?s service:x ?o }",
    "BASE <http://e.org/> PREFIX : <x#> ASK { :a :b :c }",
    "CONSTRUCT { ?s ?p ?o } FROM <http://e.org/g> WHERE { ?s ?p ?o }",
    "DESCRIBE <http://e.org/a>",
    'SELECT ?from WHERE { ?from ?p "from SERVICE" } # SERVICE FROM',
    "SELECT * WHERE { SERVICE <http://e.org/sparql> { ?s ?p ?o } }",
    "SELECT * FROM NAMED <http://e.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "select * where { service silent ?svc { ?s ?p ?o } }",
    "SELECT * WHERE { ?s <http://e.org/SERVICE> '''SERVICE\n''' }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?o<3) } GROUP BY ?s",
    'SELECT * WHERE { ?s ?p "x"@service }',
]


def _rdflib_view(q: str) -> tuple[str, bool, bool]:
    parsed = parseQuery(q)
    text = repr(parsed)
    form = parsed[1].name.replace("Query", "").upper()
    return form, "ServiceGraphPattern" in text, "datasetClause" in text


@pytest.mark.parametrize("q", QUERIES)
def test_tokenizer_agrees_with_rdflib(q):
    info = analyse(q)
    form, service, dataset = _rdflib_view(q)
    assert info.form == form
    assert info.uses_from == dataset
    # the tokenizer may only err on the safe side (a language tag named "service")
    assert info.uses_service == service or (info.uses_service and "@service" in q)


def test_tokenizer_sees_updates_and_escapes():
    assert analyse("INSERT DATA { <a> <b> <c> }").is_update
    assert analyse("PREFIX x: <y> DELETE WHERE { ?s ?p ?o }").is_update
    assert analyse("SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }").uses_service
    assert not analyse("SELECT * { ?s ?p ?o }").is_update


def test_pool_replaces_a_dead_worker(make_live):
    server = make_live(query_workers=1)
    site = server.app.extensions["uprgraph"]
    for w in list(site.executor._all):
        w.process.kill()
    r = server.query("ASK { ?s ?p ?o }")
    assert r.status in (200, 502)
    assert server.query("ASK { ?s ?p ?o }").status == 200

