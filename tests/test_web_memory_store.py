"""The ``oxigraph-memory`` store: the release's dump loaded into each query worker's memory.

It must answer exactly as the on-disk store does, and keep the row cap and the
query timeout (a timed-out worker is replaced and loads the data again).
"""

from __future__ import annotations

import json
import time

from uprgraph.formats import BY_NAME
from uprgraph.store.oxigraph import OxigraphStore

pytest_plugins = ["web_fixtures"]

ALL = "SELECT * WHERE { ?s ?p ?o }"
ASK = "ASK { <http://localhost:8080/id/state/KHM> ?p ?o }"
PATHOLOGICAL = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
                "?j ?k ?l . ?m ?n2 ?o }")
QUERIES = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT ?s ?o WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o } ORDER BY ?s ?o",
)


def _answer(store: OxigraphStore, query: str) -> bytes:
    import io

    out = io.BytesIO()
    store.query(query).render(BY_NAME["json"]).write(out)
    return out.getvalue()


def test_memory_store_answers_as_the_disk_store(web_project):
    release = web_project / ".uprgraph" / "current"
    disk = OxigraphStore.open_read_only(release / "store")
    memory = OxigraphStore.in_memory([(release / "dumps" / "uprgraph.nq.gz", None)])
    assert len(memory) == len(disk) > 150
    for query in QUERIES:
        assert json.loads(_answer(memory, query)) == json.loads(_answer(disk, query)), query


def test_memory_mode_serves_with_row_cap_and_timeout(make_live):
    server = make_live(store="oxigraph-memory", query_timeout=4, query_workers=2)
    r = server.query(ALL, "application/sparql-results+json")
    assert r.status == 200
    assert r.header("X-SPARQL-Truncated") == "true"
    assert len(json.loads(r.body)["results"]["bindings"]) == 25
    assert server.get("/doc/state/KHM", "text/turtle").status == 200

    t0 = time.monotonic()
    reply = server.query(PATHOLOGICAL)
    assert reply.status == 503, reply.body
    assert "timeout" in reply.text
    assert time.monotonic() - t0 < 8
    # the replaced worker loads the data again (its start-up counts against a query's
    # timeout, so the first answers may still be 503 on a busy machine)
    end = time.monotonic() + 30
    while server.query(ASK).status != 200:
        assert time.monotonic() < end, "the pool did not recover after a timeout"
        time.sleep(0.5)
    for _ in range(3):
        assert server.query(ASK).status == 200


def test_memory_workers_share_one_load_and_survive_losing_it(make_live):
    """The data is loaded by one process and the workers are forked from it; if that
    process dies, the next worker needed loads the data again and queries go on."""
    server = make_live(store="oxigraph-memory", query_workers=2)
    pool = server.app.extensions["uprgraph"].executor
    assert server.query(ASK).status == 200
    loader = pool._zygote.process
    workers = list(pool._all)
    assert workers and all(w.process.pid != loader.pid for w in workers)
    for w in workers:  # each worker is a child of the one process that loaded the data
        stat = open(f"/proc/{w.process.pid}/stat").read()
        assert int(stat.rsplit(")", 1)[1].split()[1]) == loader.pid
    loader.kill()
    loader.wait()
    for w in workers:  # every worker, the spare too, is killed: a new loader is needed
        w.process.kill()
        w.process.wait(10)
    end = time.monotonic() + 60
    while server.query(ASK).status != 200:
        assert time.monotonic() < end, "no worker answered after the loader died"
        time.sleep(0.5)
    assert pool._zygote.process.pid != loader.pid
