"""Queries run in the request thread (:mod:`uprgraph.web.inprocess`): a text known to be
short skips the hand-over to a query thread, and its clock is still kept.

The store is a real in-memory Oxigraph store; the test grows it between two runs of
the same text, so a text remembered as short becomes one that runs past the timeout.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from uprgraph.web.executor import Job, QueryTimeout, StoreSpec
from uprgraph.web.inprocess import WATCH_SECONDS, ThreadExecutor

CUBE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
TIMEOUT = 0.4


def triple(i: int) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                   ox.Literal(str(i)), ox.DefaultGraph())


@pytest.fixture
def executor(tmp_path: Path):
    data = tmp_path / "small.nt"
    data.write_text("".join(f"{triple(i).triple} .\n" for i in range(10)), encoding="utf-8")
    ex = ThreadExecutor(StoreSpec("oxigraph-memory", files=((str(data), None),)), slots=2,
                        timeout=TIMEOUT, long_after=0.1)
    overran = threading.Event()
    ex.on_overrun = overran.set
    ex.prepare()
    yield ex, overran
    ex.close()


def count(answer) -> int:
    return int(json.loads(answer.read())["results"]["bindings"][0]["n"]["value"])


def test_a_short_text_that_runs_long_in_the_request_thread_retires_the_process(executor):
    ex, overran = executor
    job = Job(CUBE, "json")
    assert count(ex.run(job)) == 10**3  # unknown: ran in a query thread, and was short
    assert ex.admission.known_short(CUBE)
    ex.store.native.extend(triple(i) for i in range(10, 200))  # the same text, now long

    answers: list = []
    running = threading.Thread(target=lambda: answers.append(ex.run(job)))
    started = time.monotonic()
    running.start()
    assert overran.wait(TIMEOUT + 5 * WATCH_SECONDS + 2), "the watchdog did not see it overrun"
    overrun_after = time.monotonic() - started
    if running.is_alive():  # it took the long slot at long_after, as a threaded query would
        assert ex.admission.running_long == 1
    running.join(120)
    # in the request thread it cannot be cut: it is answered (late), and the process retires
    assert overrun_after < TIMEOUT + 5 * WATCH_SECONDS + 2
    assert count(answers[0]) == 200**3
    assert ex.admission.running_long == 0
    assert not ex.admission.known_short(CUBE)

    # now known as long: back to a query thread, cut at the timeout with the usual error
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout):
        ex.run(job)
    assert time.monotonic() - t0 < TIMEOUT + 1


def test_a_text_calling_rand_is_never_run_in_the_request_thread(executor):
    ex, _ = executor
    query = CUBE.replace(" }", " FILTER(RAND() >= 0) }")
    job = Job(query, "json")
    assert count(ex.run(job)) == 10**3
    assert ex.admission.known_short(query)
    ex.store.native.extend(triple(i) for i in range(10, 200))
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout):
        ex.run(job)
    assert time.monotonic() - t0 < TIMEOUT + 1
