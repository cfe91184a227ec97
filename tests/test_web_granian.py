"""``http_server = "granian"``: the serving processes on granian keep waitress's limits.

Run as a user runs it (``uprgraph serve --processes 2`` on loopback, in memory mode), with
short timeouts: a header block trickled byte by byte, an idle or silent connection, an
oversized header block or body, bodies trickled in (the process retires once two hold
request threads, and its exit closes them), bodies read whole (SPARQL POST, form, chunked),
and the ``Server`` header. What every serving process does whatever its HTTP server
(confinement, row cap, timeouts and retiring, new releases, the end of the parent) is
run for granian too, in tests/test_web_prefork.py.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.parse

import pytest
from test_web_memory_store import ASK
from test_web_prefork import children, forked_server

pytest_plugins = ["web_fixtures"]

ENV = {"UPRGRAPH_HTTP_SERVER": "granian", "UPRGRAPH_CHANNEL_TIMEOUT": "2",
       "UPRGRAPH_CONNECTION_LIMIT": "20", "UPRGRAPH_MAX_REQUEST_BYTES": "5000",
       "UPRGRAPH_QUERY_TIMEOUT": "2"}


def closed(s: socket.socket, wait: float) -> bool:
    """Whether the server closed ``s`` within ``wait`` seconds (whatever it sent first)."""
    s.settimeout(wait)
    end = time.monotonic() + wait
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                return True
    except TimeoutError:
        return False
    except OSError:
        return True
    return False


def raw(host: str, port: int, request: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and b"Connection: close" not in request:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [int(x.split(b":")[1]) for x in head.split(b"\r\n")
                          if x.lower().startswith(b"content-length:")]
                if length and len(body) >= length[0]:
                    break
        return data


@pytest.fixture(scope="module")
def granian_server(web_project):
    with forked_server(web_project, **ENV) as (server, proc):
        yield server, proc


def test_slow_idle_and_oversized_requests_are_cut_off(granian_server):
    """More trickling connections than the connection limit: each is closed once its
    header block is channel_timeout seconds old though it keeps sending, as are idle and
    silent ones; the server answers again right after, and refuses a 20 kB header block."""
    server, _ = granian_server
    slow = []
    for _ in range(25):
        s = socket.create_connection((server.host, server.port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    started = time.monotonic()
    cut: set[int] = set()
    while time.monotonic() - started < 8 and len(cut) < len(slow):
        for i, s in enumerate(slow):
            if i in cut:
                continue
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                cut.add(i)
        time.sleep(0.3)
    assert len(cut) == len(slow), f"{len(slow) - len(cut)} trickling connections still open"
    assert time.monotonic() - started < 8
    for s in slow:
        s.close()
    assert server.query(ASK).status == 200
    with socket.create_connection((server.host, server.port)) as silent:
        assert closed(silent, 5)
    with socket.create_connection((server.host, server.port)) as idle:
        idle.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle.recv(100).startswith(b"HTTP/1.1 200")
        assert closed(idle, 5)
    r = server.get("/sparql?query=ASK%7B%7D", accept="text/html;q=0.1, " * 1200)  # 20 kB
    assert r.status == 431


def test_bodies_are_read_whole_and_capped(granian_server):
    server, _ = granian_server
    query = "ASK { ?s ?p ?o }"
    head = "POST /sparql HTTP/1.1\r\nHost: x\r\nAccept: application/sparql-results+json\r\n"
    direct = raw(server.host, server.port, (
        f"{head}Content-Type: application/sparql-query\r\n"
        f"Content-Length: {len(query)}\r\n\r\n{query}").encode())
    assert direct.startswith(b"HTTP/1.1 200"), direct[:300]
    assert json.loads(direct.partition(b"\r\n\r\n")[2]) == {"head": {}, "boolean": True}
    form = urllib.parse.urlencode({"query": query})
    chunked = raw(server.host, server.port, (
        f"{head}Content-Type: application/x-www-form-urlencoded\r\n"
        f"Transfer-Encoding: chunked\r\n\r\n{len(form):x}\r\n{form}\r\n0\r\n\r\n").encode())
    assert chunked.startswith(b"HTTP/1.1 200"), chunked[:300]
    for big in (f"Content-Length: 6000\r\n\r\n{'#' * 6000}",
                f"Transfer-Encoding: chunked\r\n\r\n1770\r\n{'#' * 6000}\r\n0\r\n\r\n"):
        answer = raw(server.host, server.port, (
            f"{head}Content-Type: application/sparql-query\r\n{big}").encode())
        assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
        assert b"Traceback" not in answer


def test_answers_name_the_server(granian_server):
    server, _ = granian_server
    for r in (server.query(ASK), server.get("/"), server.get("/doc/state/KHM", "text/turtle"),
              server.get("/id/state/NOWHERE")):
        assert r.header("Server") == "uprgraph", r.status


def test_trickled_bodies_retire_their_process_which_closes_them(web_project):
    """Bodies still incomplete after channel_timeout hold request threads (a read cannot
    be abandoned): once two do in one process, it retires, a fresh one is forked and its
    exit closes them, the other answering meanwhile."""
    with forked_server(web_project, **ENV) as (server, proc):
        before = children(proc.pid)
        trickling = []
        for _ in range(4):  # two processes: at least two land on one of them
            s = socket.create_connection((server.host, server.port))
            s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      b"application/sparql-query\r\nContent-Length: 1000\r\n\r\nASK")
            trickling.append(s)
        started = time.monotonic()
        cut: set[int] = set()
        while len(cut) < 2:
            assert time.monotonic() - started < 20, "no trickling connection was closed"
            for i, s in enumerate(trickling):
                try:
                    s.sendall(b" ")
                except OSError:
                    cut.add(i)
            assert server.query(ASK).status == 200
            time.sleep(0.3)
        assert time.monotonic() - started > 2  # not before channel_timeout
        assert len(children(proc.pid) - before) >= 1, "the retired process was not replaced"
        for _ in range(5):
            assert server.query(ASK).status == 200
        for s in trickling:
            s.close()


def test_files_are_streamed_whole_and_by_range(granian_server, web_project):
    """A dump (sent as an iterable the server closes) arrives whole, and a byte range of it."""
    server, _ = granian_server
    dump = (web_project / ".uprgraph" / "current" / "dumps" / "uprgraph.ttl").read_bytes()
    whole = server.get("/dumps/uprgraph.ttl", "text/turtle")
    assert whole.status == 200 and whole.body == dump
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"GET /dumps/uprgraph.ttl HTTP/1.1\r\nHost: x\r\nRange: bytes=10-99\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 206")
    assert data.partition(b"\r\n\r\n")[2] == dump[10:100]
