"""Faults while serving: killed workers, a query too big for memory, damaged stores."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest
from hardening_helpers import leaks, serving
from web_fixtures import write_release

from uprgraph.config import Settings
from uprgraph.release import layout
from uprgraph.store.base import StoreError

pytest_plugins = ["web_fixtures"]

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g a <%s> }"
HUGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"


def _busy_workers(pool) -> list:
    idle = set(pool._idle.queue)
    return [w for w in list(pool._all) if w not in idle and w.ready]


def test_killed_workers_are_replaced_before_use(make_live):
    server = make_live()
    pool = server.app.extensions["uprgraph"].executor  # type: ignore[attr-defined]
    end = time.monotonic() + 60
    while len(pool._idle.queue) < 2:  # both workers started and idle
        assert time.monotonic() < end
        time.sleep(0.05)
    for worker in list(pool._all):  # the idle ones and the spare
        worker.process.kill()
        worker.process.wait()
    r = server.query("ASK { ?s ?p ?o }", "application/sparql-results+json")
    assert r.status == 200 and b"true" in r.body
    page = server.get("/doc/state/KHM", "text/html")
    assert page.status == 200 and b"Traceback" not in page.body


def test_query_retried_once_when_its_worker_dies(make_live):
    server = make_live(query_timeout=30.0, long_query_seconds=30.0)
    site = server.app.extensions["uprgraph"]  # type: ignore[attr-defined]
    query = COUNT % f"{site.iris.upr}Recommendation"
    answers = []
    t = threading.Thread(target=lambda: answers.append(
        server.query(query, "text/tab-separated-values")))
    t.start()
    killed = 0
    end = time.monotonic() + 10
    while not killed and time.monotonic() < end and t.is_alive():
        for worker in _busy_workers(site.executor):
            worker.process.kill()
            killed += 1
        time.sleep(0.05)
    t.join()
    assert killed == 1, "the query ended before its worker could be killed"
    (r,) = answers
    assert r.status == 200, r.body
    assert int(r.text.split()[-1]) > 0


def test_memory_cap_ends_a_huge_query_with_503(make_live):
    server = make_live(query_memory_mb=1024, query_timeout=60.0, long_query_seconds=60.0)
    started = time.monotonic()
    r = server.query(HUGE, "application/sparql-results+json")
    print(f"\nhuge query under a 1024 MB cap: {r.status} after "
          f"{time.monotonic() - started:.1f} s")
    assert r.status == 503, r.body[:300]
    assert "more than the 1024 MB" in r.text and r.header("Retry-After")
    assert server.query("ASK { ?s ?p ?o }").status == 200  # the pool recovered


# -- damaged stores ------------------------------------------------------------------------
@pytest.fixture()
def damaged(tmp_path, web_settings: Settings):
    rel = write_release(tmp_path)
    layout.write_store_checksums(rel)
    return replace(web_settings, project_dir=tmp_path), rel


def _flip(path, at: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if at is None else at
    data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _start(settings: Settings) -> str:
    from uprgraph.web import create_app

    with pytest.raises(StoreError) as info:
        create_app(settings)
    return str(info.value)


def test_flipped_byte_in_a_data_block_is_refused(damaged):
    settings, rel = damaged
    sst = max((rel / "store").glob("*.sst"), key=lambda p: p.stat().st_size)
    _flip(sst)
    message = _start(settings)
    assert "release test-1 is damaged" in message and "checksum" in message
    assert "\n" not in message


def test_damaged_manifest_without_checksums_is_refused(damaged):
    settings, rel = damaged
    (rel / layout.STORE_CHECKSUMS).unlink()
    manifest = next((rel / "store").glob("MANIFEST-*"))
    manifest.write_bytes(manifest.read_bytes()[:40])
    message = _start(settings)
    assert "release test-1 is damaged" in message and "\n" not in message


def test_count_mismatch_is_refused(damaged):
    settings, rel = damaged
    import json

    manifest = json.loads((rel / "manifest.json").read_text())
    manifest["triples"] += 1
    (rel / "manifest.json").write_text(json.dumps(manifest))
    assert "its manifest says" in _start(settings)


def test_count_mismatch_is_refused_after_a_good_start(damaged):
    """The store's count is remembered once its files are verified; a manifest changed
    later is still compared with it, and a store changed later fails its checksums."""
    import json

    from uprgraph.web import create_app

    settings, rel = damaged
    create_app(settings).extensions["uprgraph"].close()
    manifest = json.loads((rel / "manifest.json").read_text())
    manifest["store_quads"] = manifest.get("store_quads", manifest["triples"]) - 1
    (rel / "manifest.json").write_text(json.dumps(manifest))
    assert "its manifest says" in _start(settings)
    _flip(max((rel / "store").glob("*.sst"), key=lambda p: p.stat().st_size))
    assert "checksum" in _start(settings)


def test_cli_says_one_line(damaged):
    settings, rel = damaged
    _flip(max((rel / "store").glob("*.sst"), key=lambda p: p.stat().st_size))
    done = subprocess.run(
        [sys.executable, "-m", "uprgraph", "--project", str(settings.project_dir), "serve",
         "--get", "/"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "damaged" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_damaged_new_release_keeps_the_old_one_served(tmp_path, web_settings: Settings):
    write_release(tmp_path, "good-1")
    settings = replace(web_settings, project_dir=tmp_path)
    with serving(settings) as server:
        assert server.get("/doc/state/KHM", "text/html").status == 200
        bad = write_release(tmp_path, "bad-2")
        layout.write_store_checksums(bad)
        _flip(max((bad / "store").glob("*.sst"), key=lambda p: p.stat().st_size))
        end = time.monotonic() + 5
        while time.monotonic() < end:
            r = server.get("/doc/state/KHM", "text/turtle")
            assert r.status == 200 and not leaks(r.body, str(tmp_path))
            assert r.header("ETag").strip('"').startswith("good-1")
            time.sleep(0.2)
    shutil.rmtree(bad)


# -- a remote store that goes away and comes back --------------------------------------------
def test_remote_store_gone_and_back(tmp_path, web_project, make_live):
    from test_web_stores import BIN, wait_http
    from web_fixtures import free_port

    from uprgraph.store.remote import RemoteStore

    exe = BIN / "oxigraph"
    if not exe.exists():
        pytest.skip("the `oxigraph` executable (PyPI package oxigraph) is not installed")
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen:
        proc = subprocess.Popen([str(exe), "serve", "--location", str(tmp_path / "oxi"),
                                 "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(url + "/query?query=ASK%7B%7D")
        return proc

    proc = start()
    try:
        RemoteStore(url + "/query", url + "/store", timeout=10).publish_files(
            [web_project / ".uprgraph/current/dumps/uprgraph.nq.gz"])
        server = make_live(store="remote", remote_query_url=url + "/query",
                           remote_store_url=url + "/store")
        assert server.query("ASK { ?s ?p ?o }").status == 200
        proc.kill()
        proc.wait(5)
        for path in ("/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", "/doc/state/KHM",
                     "/id/state/KHM"):
            r = server.get(path, "text/turtle, application/sparql-results+json")
            assert r.status == 503, (path, r.status, r.body)
            assert r.header("Retry-After") and "try again" in r.text
            assert str(port) not in r.text and not leaks(r.body, str(tmp_path))
        proc = start()
        assert server.query("ASK { ?s ?p ?o }").status == 200
        assert server.get("/doc/state/KHM", "text/turtle").status == 200
    finally:
        proc.kill()
        proc.wait(5)
