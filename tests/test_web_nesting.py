"""Deep and long queries: answered just under ``max_query_tokens``, refused with a 400 above.

The store's parser, optimiser and evaluator recurse on a query's structure, and a
stack overflow ends the process evaluating it (and every request it holds). Each
worst shape, at the limit, is sent to a real server on loopback in each serving mode
(query worker processes on the disk store, workers forked from an in-memory store, the
inline executor, serving processes on waitress and on granian): it is answered, and no
process of the server died (the same processes answer the next query). Without the
bigger stacks, the deepest of these shapes (nested calls, DESCRIBE lists, nested groups)
killed the process on every mode.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from test_web_memory_store import ASK
from test_web_prefork import forked_server
from web_fixtures import Server

from uprgraph.config import Settings
from uprgraph.store.analysis import analyse
from uprgraph.web.executor import Job, Limits, StoreSpec
from uprgraph.web.inprocess import ThreadExecutor
from uprgraph.web.sparql import UNCHECKED
from uprgraph.web.stacks import current_stack, evaluation_stack, fits

pytest_plugins = ["web_fixtures"]

LIMIT = Settings().max_query_tokens
A = "<http://localhost:8080/def/upr#nothing>"

#: shapes that are planned and answered at once, each as a function of its repetitions
SHAPES: dict[str, Callable[[int], str]] = {
    "nested groups": lambda n: "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n,
    "nested subqueries": lambda n: (
        "SELECT * WHERE { " + "{ SELECT * WHERE " * n + "{ ?s ?p ?o }" + " }" * n + " }"),
    "FILTER EXISTS nesting": lambda n: (
        "ASK { ?s ?p ?o " + "FILTER EXISTS { ?s ?p ?o " * n + "}" * n + " }"),
    "nested OPTIONALs": lambda n: (
        "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * n + "}" * n + " }"),
    "UNION chain": lambda n: "ASK { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }",
    "path alternatives": lambda n: "ASK { ?s " + "|".join([A] * n) + " ?o }",
    "nested parens": lambda n: "ASK { ?s ?p ?o FILTER(" + "(" * n + "1" + ")" * n + ") }",
    "&& chain": lambda n: "ASK { ?s ?p ?o FILTER(" + " && ".join(["true"] * n) + ") }",
    "|| chain": lambda n: "ASK { ?s ?p ?o FILTER(" + " || ".join(["false"] * n) + ") }",
    "! chain": lambda n: "ASK { ?s ?p ?o FILTER(" + "!" * n + "true) }",
    "BIND chain": lambda n: "ASK { ?s ?p ?o BIND(1 AS ?v0) " + " ".join(
        f"BIND(?v{i} + 1 AS ?v{i + 1})" for i in range(n)) + " }",
    "nested calls": lambda n: "ASK { ?s ?p ?o FILTER(" + "ABS(" * n + "1" + ")" * n + ") }",
    "nested COALESCE": lambda n: (
        "ASK { ?s ?p ?o FILTER(" + "COALESCE(" * n + "1" + ")" * n + ") }"),
    "nested IF": lambda n: (
        "ASK { ?s ?p ?o FILTER(" + "IF(true, " * n + "1" + ", 0)" * n + ") }"),
    "DESCRIBE list": lambda n: "DESCRIBE " + " ".join(
        f"<http://localhost:8080/id/x{i}>" for i in range(n)),
}
#: shapes the store plans for minutes at the limit: answered, or ended by the timeout
SLOW: dict[str, Callable[[int], str]] = {
    "flat triple patterns": lambda n: "SELECT * WHERE { " + " ".join(
        f"?s {A} ?o{i} ." for i in range(n)) + " }",
    "OPTIONAL chain": lambda n: "SELECT * WHERE { ?s ?p ?o " + " ".join(
        f"OPTIONAL {{ ?s {A} ?o{i} }}" for i in range(n)) + " }",
    "nested path parens": lambda n: "ASK { ?s " + "(" * n + A + ")*" * n + " ?o }",
    "path sequence": lambda n: "ASK { ?s " + "/".join([A] * n) + " ?o }",
    "RDF collection": lambda n: "ASK { ?s " + A + " (" + " ".join(
        f"?c{i}" for i in range(n)) + ") }",
}
#: the shapes a stack overflow ended first (with 2 and 8 MiB stacks)
DEEPEST = ("nested calls", "DESCRIBE list", "nested groups", "FILTER EXISTS nesting")


def at_most(shape: Callable[[int], str], tokens: int) -> str:
    """The largest query of ``shape`` with at most ``tokens`` tokens."""
    lo, hi = 1, tokens
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if analyse(shape(mid)).size <= tokens:
            lo = mid
        else:
            hi = mid - 1
    return shape(lo)


def descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (serving processes, query workers, the zygote)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            kids = task / "children"
            for child in (kids.read_text().split() if kids.exists() else ()):
                found.add(int(child))
                todo.append(int(child))
    return found


MODES = {
    "worker processes (disk)": {"UPRGRAPH_STORE": "oxigraph", "UPRGRAPH_SERVE_PROCESSES": "0"},
    "workers forked from memory": {"UPRGRAPH_STORE": "oxigraph-memory",
                                   "UPRGRAPH_SERVE_PROCESSES": "0"},
    "inline executor": {"UPRGRAPH_STORE": "oxigraph", "UPRGRAPH_SERVE_PROCESSES": "0",
                        "UPRGRAPH_QUERY_WORKERS": "0"},
    "serving processes (waitress)": {"UPRGRAPH_HTTP_SERVER": "waitress"},
    "serving processes (granian)": {"UPRGRAPH_HTTP_SERVER": "granian"},
}


@pytest.mark.parametrize("mode", MODES)
def test_the_deepest_queries_under_the_limit_are_answered(web_project, mode):
    env = {"UPRGRAPH_QUERY_TIMEOUT": "5", **MODES[mode]}
    store = env.pop("UPRGRAPH_STORE", "oxigraph-memory")
    shapes = SHAPES if mode.startswith("worker processes") else DEEPEST
    with forked_server(web_project, store, **env) as (server, proc):
        before = descendants(proc.pid)
        answered = set()
        for name in shapes:
            query = at_most(SHAPES[name], LIMIT)
            assert analyse(query).size > LIMIT * 0.99
            for _ in range(2):  # once unknown, once known short (the request thread's turn)
                reply = post(server, query, "text/turtle" if name.startswith("DESCRIBE")
                             else "application/sparql-results+json")
                if reply.status == 200:
                    answered.add(name)
                elif mode == "inline executor":  # its process has the network: rdflib's
                    assert reply.status == 400, reply.body[:300]  # parser looks for SERVICE
                    assert UNCHECKED in reply.text  # first, and gives up on deep queries
                else:
                    raise AssertionError((name, reply.status, reply.body[:300]))
            assert server.query(ASK).status == 200
            assert descendants(proc.pid) == before, f"a process died on the {name}"
        assert "DESCRIBE list" in answered  # rdflib parses it: the store evaluated it
        assert proc.poll() is None


def test_shapes_planned_for_long_are_answered_or_timed_out(web_project):
    with forked_server(web_project, "oxigraph", UPRGRAPH_SERVE_PROCESSES="0",
                       UPRGRAPH_QUERY_TIMEOUT="1") as (server, proc):
        for name, shape in SLOW.items():
            reply = post(server, at_most(shape, LIMIT))
            assert reply.status in (200, 503), (name, reply.status, reply.body[:300])
            if reply.status == 503:
                assert "timeout" in reply.text
            assert server.query(ASK).status == 200
        assert proc.poll() is None


@pytest.fixture(scope="module")
def roomy(make_live) -> Server:
    """A server (query worker processes) that takes requests as long as deep queries are."""
    return make_live(max_request_bytes=1_000_000)


def post(server: Server, query: str, accept: str = "application/sparql-results+json"):
    return server.request("POST", "/sparql", query, {"Content-Type": "application/sparql-query",
                                                     "Accept": accept})


def test_queries_over_the_limit_get_a_400_that_names_it(roomy):
    for name, shape in {**SHAPES, **SLOW}.items():
        query = at_most(shape, LIMIT + 40)
        assert analyse(query).size > LIMIT
        for reply in (post(roomy, query), post(roomy, query, "text/html")):
            assert reply.status == 400, (name, reply.status)
            text = reply.text
            assert f"at most {LIMIT:,}" in text and "max_query_tokens" in text, text[:300]
            assert "Traceback" not in text and "/tmp" not in text and "/work" not in text
    # a GET short enough for a URL goes the fast path's way first
    reply = roomy.query(at_most(SHAPES["! chain"], LIMIT + 1), "application/sparql-results+json")
    assert reply.status == 400 and f"at most {LIMIT:,}" in reply.text


def test_values_with_thousands_of_rows_are_answered(roomy):
    rows = " ".join(f'("{i}" <http://localhost:8080/id/x{i}>)' for i in range(3000))
    query = ("SELECT (COUNT(*) AS ?n) WHERE { VALUES (?label ?x) { " + rows + " } }")
    assert analyse(query).size < 30
    reply = post(roomy, query)
    assert reply.status == 200, reply.body[:300]
    assert json.loads(reply.body)["results"]["bindings"][0]["n"]["value"] == "3000"


def test_the_token_count_skips_values_data_but_not_what_hides_there():
    flat = analyse("SELECT * { VALUES ?x { 1 2 3 4 5 6 7 8 9 } }").size
    assert flat == analyse("SELECT * { VALUES ?x { 1 } }").size
    # a group inside what claims to be a data block counts, and so does all after it
    sneaky = "SELECT * { VALUES ?x { 1 { " + "{" * 50 + "}" * 50 + " } } }"
    assert analyse(sneaky).size > 100
    # terms count: an RDF collection is a chain of triple patterns
    assert analyse("ASK { ?s ?p (" + " ?x" * 100 + ") }").size > 100


def test_a_request_thread_with_rusts_small_stack_hands_deep_queries_over(tmp_path):
    """A thread with a 2 MiB stack (Rust's default, which granian's threads get unless
    RUST_MIN_STACK says otherwise) runs a small query itself and hands the deepest one
    to a query thread: both are answered, and this process is still here."""
    data = tmp_path / "one.nt"
    data.write_text("<http://localhost:8080/id/x1> <http://example.org/p> \"1\" .\n",
                    encoding="utf-8")
    ex = ThreadExecutor(StoreSpec("oxigraph-memory", files=((str(data), None),)),
                        limits=Limits(stack=evaluation_stack(LIMIT)))
    ex.prepare()
    deep = at_most(SHAPES["DESCRIBE list"], LIMIT)
    seen: dict[str, object] = {}

    def request() -> None:
        seen["stack"] = current_stack()
        seen["fits"] = (fits(analyse(ASK).size), fits(analyse(deep).size))
        for _ in range(2):  # the second time, the text is known to be short
            seen["ask"] = ex.run(Job(ASK, "json")).read()
            seen["deep"] = ex.run(Job(deep, "ntriples")).read()

    before = threading.stack_size(2 * 1024 * 1024)
    try:
        thread = threading.Thread(target=request)
        thread.start()
    finally:
        threading.stack_size(before)
    thread.join(60)
    ex.close()
    assert seen["stack"] == 2 * 1024 * 1024
    assert seen["fits"] == (True, False)
    assert json.loads(seen["ask"])["boolean"] is False  # type: ignore[arg-type]
    assert b"<http://localhost:8080/id/x1> <http://example.org/p>" in seen["deep"]
