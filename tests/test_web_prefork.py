"""``serve_processes``: HTTP serving processes forked from the process that loaded the store.

Run as a user runs it (``uprgraph serve --processes 2`` on loopback, in memory mode and,
for the confinement, on the disk store too): the serving
processes share one listening socket, have no network and the memory cap, keep the
row cap and the timeout (a process whose query overran retires and a fresh one
is forked while the other keeps answering), follow a new release, and all end
with the server; on waitress and on granian (``http_server``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hardening_helpers import small_project
from test_web_memory_store import ALL, ASK, PATHOLOGICAL
from web_fixtures import Server, free_port

pytest_plugins = ["web_fixtures"]

MEMORY_MB = 3072


@pytest.fixture(autouse=True, params=["waitress", "granian"])
def http_server(request, monkeypatch) -> str:
    """Every test here runs on each HTTP server the serving processes can use."""
    monkeypatch.setenv("UPRGRAPH_HTTP_SERVER", request.param)
    return request.param


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


@contextmanager
def forked_server(project: Path, store: str = "oxigraph-memory",
                  **env: str) -> Iterator[tuple[Server, subprocess.Popen]]:
    port = free_port()
    settings = {"UPRGRAPH_STORE": store, "UPRGRAPH_SERVE_PROCESSES": "2",
                "UPRGRAPH_QUERY_MEMORY_MB": str(MEMORY_MB), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uprgraph", "--project", str(project), "serve", "--port",
         str(port)], env={**os.environ, **settings}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    server = Server(f"http://127.0.0.1:{port}/", "127.0.0.1", port)
    try:
        end = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
            try:
                if server.query(ASK).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < end, "the server did not answer"
            time.sleep(0.2)
        yield server, proc
    finally:
        forked = children(proc.pid)
        if proc.poll() is None:  # SIGTERM ends the server and every serving process
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            assert proc.returncode == 0
        assert not alive(forked)


def alive(pids: set[int]) -> set[int]:
    def running(pid: int) -> bool:
        try:
            return "zombie" not in Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return False
    return {pid for pid in pids if running(pid)}


@pytest.mark.parametrize("store", ["oxigraph-memory", "oxigraph"])
def test_forked_processes_are_confined_and_keep_the_row_cap(web_project, store):
    with forked_server(web_project, store, UPRGRAPH_MAX_ROWS="25") as (server, proc):
        forked = children(proc.pid)
        assert len(forked) == 2
        ours = os.readlink("/proc/self/ns/net")
        for pid in (proc.pid, *forked):
            # a new network namespace where the platform allows one (as for query workers)
            if os.readlink(f"/proc/{pid}/ns/net") == ours:
                status = Path(f"/proc/{pid}/status").read_text()
                assert "Seccomp:\t2" in status, f"process {pid} has the host's network"
            limits = Path(f"/proc/{pid}/limits").read_text()
            line = next(x for x in limits.splitlines() if x.startswith("Max address space"))
            assert str(MEMORY_MB * 1024 * 1024) in line
        r = server.query(ALL, "application/sparql-results+json")
        assert r.status == 200
        assert r.header("X-SPARQL-Truncated") == "true"
        assert len(json.loads(r.body)["results"]["bindings"]) == 25
        assert server.get("/doc/state/KHM", "text/turtle").status == 200
        assert children(proc.pid) == forked


def test_a_query_over_the_timeout_retires_its_process(web_project):
    with forked_server(web_project, UPRGRAPH_QUERY_TIMEOUT="2") as (server, proc):
        before = children(proc.pid)
        t0 = time.monotonic()
        reply = server.query(PATHOLOGICAL)
        assert reply.status == 503, reply.body
        assert "timeout" in reply.text
        assert time.monotonic() - t0 < 6
        # the other process answers at once, and the overrun one is replaced
        for _ in range(5):
            assert server.query(ASK).status == 200
        end = time.monotonic() + 20
        while True:
            now = children(proc.pid)
            if len(now) == 2 and now != before and len(now & before) == 1:
                break
            assert time.monotonic() < end, f"not replaced: {before} -> {now}"
            time.sleep(0.2)
        for _ in range(5):
            assert server.query(ASK).status == 200


def test_forked_processes_follow_a_new_release(tmp_path):
    from test_hardening_release import served_release, wait_for_release

    from uprgraph.build import build
    from uprgraph.config import load_settings

    project = small_project(tmp_path)
    settings = load_settings(project)
    first = build(settings).release
    with forked_server(project) as (server, proc):
        assert served_release(server) == first.id
        before = children(proc.pid)
        time.sleep(1.1)  # release ids have a one-second resolution
        second = build(settings).release
        wait_for_release(server, second.id)
        for _ in range(5):  # every serving process now answers from the new release
            assert served_release(server) == second.id
        assert server.query(ASK).status == 200
        end = time.monotonic() + 20
        while children(proc.pid) & before:
            assert time.monotonic() < end, "the old serving processes did not end"
            time.sleep(0.2)


def test_serving_processes_end_with_their_parent(web_project):
    with forked_server(web_project) as (server, proc):
        forked = children(proc.pid)
        proc.kill()  # no chance to stop them: they notice on their own
        proc.wait(10)
        end = time.monotonic() + 10
        while alive(forked):
            assert time.monotonic() < end, f"orphaned serving processes: {alive(forked)}"
            time.sleep(0.1)


#: why a test of retiring without losing a connection does not run on granian
GRANIAN_DROPS = ("a retiring granian process closes the connections it accepted whose request "
                 "has not arrived yet (hyper's graceful shutdown; docs/deployment.md)")


def test_a_retiring_process_answers_the_connections_it_accepted(web_project, http_server):
    """Clients that connect, then take a moment to send: every serving process retires
    meanwhile (a new release, a stop, an overrun), and each client is still answered."""
    import threading

    if http_server == "granian":
        pytest.skip(GRANIAN_DROPS)
    with forked_server(web_project) as (server, proc):
        answers: list[int | str] = []

        def client() -> None:
            with socket.create_connection((server.host, server.port), timeout=10) as s:
                time.sleep(0.3)
                s.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: "
                          b"application/sparql-results+json\r\nConnection: close\r\n\r\n")
                try:
                    answers.append(int(s.recv(100).split(b" ")[1]))
                except (OSError, IndexError) as exc:
                    answers.append(repr(exc))

        threads = [threading.Thread(target=client) for _ in range(10)]
        for t in threads:
            t.start()
        time.sleep(0.1)
        for pid in children(proc.pid):
            os.kill(pid, signal.SIGTERM)
        for t in threads:
            t.join()
        assert answers == [200] * 10


def test_heavy_queries_retire_processes_without_dropping_cheap_requests(web_project,
                                                                        http_server):
    """Clients sending overrunning queries retire serving process after serving process;
    every other request is still answered, none loses its connection."""
    import threading

    if http_server == "granian":
        pytest.skip(GRANIAN_DROPS)
    from collections import Counter

    env = {"UPRGRAPH_QUERY_TIMEOUT": "2", "UPRGRAPH_LONG_QUERY_SECONDS": "1"}
    with forked_server(web_project, **env) as (server, proc):
        statuses: Counter[str] = Counter()
        problems: list[str] = []
        stop = time.monotonic() + 8

        def client(heavy: bool, n: int) -> None:
            while time.monotonic() < stop:
                n += 1
                try:
                    if heavy:
                        r = server.query(f"{PATHOLOGICAL} # {n}")
                    elif n % 2:
                        r = server.get("/doc/state/KHM", "text/turtle")
                    else:
                        r = server.query(ASK)
                except OSError as exc:
                    problems.append(f"{'heavy' if heavy else 'cheap'}: {exc!r}")
                    continue
                statuses[f"{'heavy' if heavy else 'cheap'} {r.status}"] += 1
                if not heavy and r.status == 503 and r.header("Retry-After"):
                    # every client here has the heavy ones' address: a process forked in
                    # place of a retired one knows no query text yet, and for a while an
                    # unknown text of that address waits for a long slot (as documented)
                    time.sleep(float(r.header("Retry-After")))
                    continue
                if r.status != 200 and not (heavy and r.status == 503):
                    problems.append(f"{r.status} {r.body[:200]!r}")

        threads = [threading.Thread(target=client, args=(i < 2, i)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"\nheavy and cheap clients on two serving processes: {dict(statuses)}")
        assert not problems, problems[:5]
        assert statuses["cheap 503"] * 100 <= statuses["cheap 200"]  # now and then only
        assert statuses["heavy 503"] > 0 and statuses["cheap 200"] > 0


def test_a_long_query_without_a_long_slot_runs_on_to_the_timeout(web_project):
    """Stopping it would end the serving process: a second long query is not cut at
    ``long_query_seconds`` (as a worker's would be) but answered at the timeout."""
    import threading

    env = {"UPRGRAPH_QUERY_TIMEOUT": "4", "UPRGRAPH_LONG_QUERY_SECONDS": "0.5",
           "UPRGRAPH_SERVE_PROCESSES": "1"}
    with forked_server(web_project, **env) as (server, proc):
        answers: list[tuple[float, int, str]] = []

        def heavy(n: int) -> None:
            started = time.monotonic()
            r = server.query(f"{PATHOLOGICAL} # {n}")
            answers.append((time.monotonic() - started, r.status, r.text))

        threads = [threading.Thread(target=heavy, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
            time.sleep(0.1)
        for t in threads:
            t.join()
        assert [a[1] for a in answers] == [503, 503]
        assert all("timeout" in a[2] for a in answers), answers
        assert all(a[0] > 3 for a in answers), answers
