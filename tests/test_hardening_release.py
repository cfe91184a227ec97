"""Builds under a live server: it follows ``current`` without a restart, requests keep
answering throughout, and pruning never removes a release the server still holds."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.parse
from pathlib import Path

from hardening_helpers import Tally, leaks, serving
from hardening_helpers import small_project as copy_project

from uprgraph.build import build
from uprgraph.config import load_settings
from uprgraph.release import layout

pytest_plugins = ["web_fixtures"]


def served_release(server) -> str:
    r = server.get("/.well-known/void", "text/turtle")
    assert r.status == 200, r.body[:300]
    return r.header("ETag").strip('"').rsplit("-void-", 1)[0]


def wait_for_release(server, release_id: str, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while served_release(server) != release_id:
        assert time.monotonic() < end, f"still serving {served_release(server)}"
        time.sleep(0.2)


def check_everything(server, project: Path) -> None:
    """Every kind of resource answers, from the release being served."""
    rid = served_release(server)
    manifest = json.loads((project / ".uprgraph/releases" / rid / "manifest.json").read_text())
    for dump in manifest["dumps"]:
        r = server.get("/dumps/" + dump["file"])
        assert r.status == 200 and hashlib.sha256(r.body).hexdigest() == dump["sha256"]
    assert server.get("/links-report.json").status == 200
    r = server.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/tab-separated-values")
    assert r.status == 200 and int(r.text.split()[-1]) == manifest["store_quads"]
    r = server.get("/id/state/KHM", "text/turtle")
    assert r.status == 303, r.body
    assert server.get("/doc/state/KHM", "text/html").status == 200


def hammer(server, stop: threading.Event, tally: Tally, problems: list) -> None:
    paths = ["/doc/state/KHM", "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", "/dumps/",
             "/links-report.json", "/id/state/KHM", "/.well-known/void", "/",
             "/dumps/uprgraph.ttl", "/doc/review/KHM/3",
             "/sparql?query=" + urllib.parse.quote(
                 "SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), 'RESTRICTED')) }")]
    i = 0
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        try:
            r = server.get(path, "text/html" if i % 2 else "*/*")
        except OSError as exc:
            problems.append(f"{path}: {exc}")
            continue
        tally.add(r.status)
        if backed_off(r):
            continue  # the overload answer a client may get while builds take the cores
        if r.status >= 400 or leaks(r.body, str(server.app.extensions["uprgraph"]
                                                  .settings.project_dir)):
            problems.append(f"{path}: {r.status} {r.body[:200]!r}")


def backed_off(r) -> bool:
    """A 503 that says every worker is busy and when to retry: a build beside the server
    can hold both cores long enough for it, and a client honours it by waiting."""
    retry = r.header("Retry-After")
    if r.status != 503 or not retry or b"busy" not in r.body:
        return False
    time.sleep(float(retry))
    return True


def test_builds_under_a_live_server(tmp_path):
    project = copy_project(tmp_path)
    settings = load_settings(project, query_timeout=5.0, releases_kept=1)
    first = build(settings).release
    with serving(settings) as server:
        check_everything(server, project)
        assert served_release(server) == first.id
        # a build while the server holds the first release: it is kept (releases_kept=1)
        time.sleep(1.1)  # release ids have a one-second resolution
        second = build(settings).release
        assert first.path.is_dir() and layout.held(settings, first.path.name)
        # clients keep asking while the server switches, and during the next build
        stop, tally, problems = threading.Event(), Tally(), []
        readers = [threading.Thread(target=hammer, args=(server, stop, tally, problems))
                   for _ in range(3)]
        for t in readers:
            t.start()
        try:
            wait_for_release(server, second.id)
            check_everything(server, project)
            end = time.monotonic() + 10  # the first release is let go once nothing uses it
            while layout.held(settings, first.path.name):
                assert time.monotonic() < end
                time.sleep(0.1)
            time.sleep(1.1)
            third = build(settings).release
            assert not first.path.exists()  # pruned: no longer held
            wait_for_release(server, third.id)
            check_everything(server, project)
        finally:
            stop.set()
            for t in readers:
                t.join()
    assert not problems, problems[:5]
    print(f"\nbuilds under load: {tally.total} requests, statuses {dict(tally.counts)}")
    assert tally.counts[200] > 0
    assert tally.counts[503] <= tally.total // 10, tally.counts  # back-pressure, not an outage


def test_builds_killed_while_serving(tmp_path):
    """`uprgraph build` killed at random points: what is served never changes, nothing is
    left half-published; the next complete build is served without a restart."""
    import os
    import random
    import signal
    import subprocess
    import sys

    from web_fixtures import write_release

    cmd = [sys.executable, "-m", "uprgraph", "build"]
    # how long a whole build takes here, on a copy: the kills fall well inside it (a build
    # that ended before its kill would rightly have published)
    probe = copy_project(tmp_path / "probe")
    started = time.monotonic()
    subprocess.run(cmd, env={**os.environ, "UPRGRAPH_PROJECT_DIR": str(probe)}, cwd=probe,
                   check=True, capture_output=True, timeout=300)
    whole = time.monotonic() - started
    project = copy_project(tmp_path / "project")
    before = write_release(project, "before-1")
    (before / "links-report.json").write_text("{}\n")  # as a build writes one
    settings = load_settings(project, query_timeout=5.0)
    rng = random.Random(9)
    env = {**os.environ, "UPRGRAPH_PROJECT_DIR": str(project)}
    with serving(settings) as server:
        stop, tally, problems = threading.Event(), Tally(), []
        readers = [threading.Thread(target=hammer, args=(server, stop, tally, problems))
                   for _ in range(2)]
        for t in readers:
            t.start()
        try:
            kills = []
            for _ in range(2):
                proc = subprocess.Popen(cmd, env=env, cwd=project, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                delay = rng.uniform(0.1, 0.7) * whole
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                assert proc.wait() == -signal.SIGKILL, "the build ended before its kill"
                kills.append(round(delay, 1))
                assert served_release(server) == "before-1"
                assert (project / ".uprgraph/current").resolve().name == "before-1"
            done = subprocess.run(cmd, env=env, cwd=project, capture_output=True, timeout=300)
            assert done.returncode == 0, done.stderr[-500:]
            new_id = (project / ".uprgraph/current").resolve().name
            assert new_id != "before-1"
            assert not list((project / ".uprgraph/releases").glob(".building-*"))
            wait_for_release(server, new_id)
            check_everything(server, project)
        finally:
            stop.set()
            for t in readers:
                t.join()
    assert not problems, problems[:5]
    print(f"\nbuilds killed after {kills} s of {whole:.1f} s while serving: "
          f"{tally.total} requests, statuses {dict(tally.counts)}")


def test_a_new_release_takes_over_with_every_query_worker_started(tmp_path):
    """A switch waits for all the new pool's workers, so clients asking at once are not
    queued behind the one worker that was ready first."""
    from uprgraph.web.executor import StoreSpec
    from uprgraph.web.pool import QueryPool

    project = copy_project(tmp_path)
    settings = load_settings(project)
    release = build(settings).release
    pool = QueryPool(StoreSpec("oxigraph", path=str(release.path / layout.STORE)), size=3)
    try:
        assert pool.settle(60)
        assert len(pool._idle.queue) == 3  # every worker of the pool is idle and ready
    finally:
        pool.retire()
        pool.close()
