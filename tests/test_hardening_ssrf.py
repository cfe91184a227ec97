"""No SERVICE request ever leaves the endpoint: a listener on loopback sees zero connections.

The corpus hides SERVICE with comments, strings, IRIs, codepoint escapes, case and
the comparison/IRI ambiguity (``1<'>'``). It is sent to a server whose workers
have no network (the default) and to one running queries in-process, where only
the full parse stands between a query and the network.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse

import pytest

from uprgraph.store.analysis import uses_service

pytest_plugins = ["web_fixtures"]


class Listener:
    """A TCP listener on loopback that counts connections and answers like a SPARQL server."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            body = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal",' \
                   b'"value":"LEAKED-SECRET"}}]}}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json"
                         b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            conn.close()

    def close(self) -> None:
        self.sock.close()


def corpus(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/sparql"
    pattern = "{ ?x ?y ?z }"
    forms = [
        f"SELECT * WHERE {{ SERVICE <{url}> {pattern} }}",
        f"select * where {{ service <{url}> {pattern} }}",
        f"SELECT * WHERE {{ SeRvIcE SILENT <{url}> {pattern} }}",
        f"SELECT * WHERE {{ BIND(1<'>' AS ?w) SERVICE <{url}> {pattern} FILTER('' = '') }}",
        f'SELECT * WHERE {{ BIND(1<">" AS ?w) SERVICE <{url}> {pattern} FILTER("" = "") }}',
        f"SELECT * WHERE {{ FILTER(1<'>') SERVICE <{url}> {pattern} }} # '",
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ \\U00000053\\U00000045RVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ SERV\\u0049CE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE#hidden\n<{url}> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE\n\t<{url}>\n{pattern} }}",
        f"PREFIX e: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE e:sparql {pattern} }}",
        f"BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE <sparql> {pattern} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {pattern} }} }} }}",
        f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ FILTER EXISTS {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ MINUS {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{url}> {pattern} }} }}",
        f"ASK {{ SERVICE <{url}> {pattern} }}",
        f"CONSTRUCT {{ ?x ?y ?z }} WHERE {{ SERVICE <{url}> {pattern} }}",
        f"DESCRIBE ?x WHERE {{ SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {pattern} }}",
        f"SELECT * WHERE {{ BIND(1<'>' AS ?w) SERVICE ?unbound {pattern} FILTER('' = '') }}",
        f"SELECT * WHERE {{ BIND(1<'>' AS ?w) VALUES ?e {{ <{url}> }} SERVICE ?e {pattern} "
        "FILTER('' = '') }",
        f"SELECT * WHERE {{ BIND('''x''' AS ?a) SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ BIND(\"a#b\" AS ?a) SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ ?s ?p 'it''s' . SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ BIND(1 < 2 AS ?a) SERVICE <{url}> {pattern} BIND(2 > 1 AS ?b) }}",
        f"SELECT * WHERE {{ SERVICE <http://localhost:{port}/sparql> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE <http://[::ffff:127.0.0.1]:{port}/sparql> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE <http://2130706433:{port}/sparql> {pattern} }}",
    ]
    return forms


@pytest.fixture()
def listener():
    lst = Listener()
    yield lst
    lst.close()


def _send_all(server, queries: list[str]) -> list:
    replies = []
    for q in queries:
        replies.append(server.query(q, "application/sparql-results+json"))
        replies.append(server.request(
            "POST", "/sparql", urllib.parse.urlencode({"query": q}),
            {"Content-Type": "application/x-www-form-urlencoded"}))
        replies.append(server.request("POST", "/sparql", q,
                                      {"Content-Type": "application/sparql-query"}))
    return replies


def _check(replies: list, listener: Listener) -> None:
    port = str(listener.port).encode()
    for r in replies:
        assert r.status in (200, 400), (r.status, r.body[:300])
        assert b"LEAKED-SECRET" not in r.body
        assert port not in r.body and b"refused" not in r.body.lower()
        assert b"unreachable" not in r.body.lower() and b"Traceback" not in r.body
    assert listener.connections == 0


def test_service_corpus_makes_no_connection(live, listener):
    site = live.app.extensions["uprgraph"]  # type: ignore[attr-defined]
    queries = corpus(listener.port)
    replies = _send_all(live, queries)
    _check(replies, listener)
    print(f"\nSSRF corpus: {len(queries)} queries x 3 encodings = {len(replies)} requests, "
          f"{listener.connections} connections; defence: {site.defence_line()}")
    # the plain forms are refused with the message that says why
    assert "SERVICE is not allowed" in live.query(queries[0]).text


def test_workers_have_no_network(live, listener):
    """Where the platform allows it (Linux, root or user namespaces), workers have no
    network at all; the defence is reported in one line at start."""
    site = live.app.extensions["uprgraph"]  # type: ignore[attr-defined]
    if site.executor.defence is None:
        pytest.skip("network namespaces are not permitted here: the parser check applies")
    assert "no network" in site.defence_line()


def test_parser_check_without_isolation(make_live, listener):
    """Queries run in the request thread (the network is there): the full parse refuses
    every query of the corpus, and nothing connects."""
    server = make_live(query_workers=0)
    site = server.app.extensions["uprgraph"]  # type: ignore[attr-defined]
    assert site.executor.defence is None and "parsed" in site.defence_line()
    queries = corpus(listener.port)
    replies = _send_all(server, queries)
    _check(replies, listener)
    assert all(r.status == 400 for r in replies)
    assert server.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1").status == 200


def test_parse_finds_every_service():
    """True: SERVICE found; None: the parse failed (refused too); never False."""
    for q in corpus(9999):
        assert uses_service(q) is not False, q
    assert uses_service(corpus(9999)[3]) is True  # the comparison/IRI ambiguity
    assert uses_service("SELECT * WHERE { ?s <http://x/SERVICE> 'SERVICE' }") is False


def test_seccomp_fallback_denies_ip_sockets(listener):
    """Where namespaces are not allowed, a seccomp filter stands in: in such a process
    Oxigraph's SERVICE client cannot open a socket, whatever the query."""
    import json
    import subprocess
    import sys

    script = """
import json, socket, sys
import pyoxigraph as ox
from uprgraph.web.confine import deny_ip_sockets
if not deny_ip_sockets():
    print("unavailable"); sys.exit(0)
errors = 0
for q in json.loads(sys.stdin.read()):
    try:
        list(ox.Store().query(q))
    except (OSError, SyntaxError, RuntimeError):  # RuntimeError: SERVICE ?unbound
        errors += 1
a, b = socket.socketpair()  # local sockets still work (the pipe to the server)
a.send(b"x")
print(json.dumps({"errors": errors, "unix": b.recv(1).decode()}))
"""
    queries = [q for q in corpus(listener.port) if uses_service(q)]
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(queries),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if done.stdout.strip() == "unavailable":
        pytest.skip("libseccomp or seccomp filters are not available here")
    result = json.loads(done.stdout)
    assert result["unix"] == "x" and result["errors"] > 0
    assert listener.connections == 0
