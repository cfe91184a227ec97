"""The README's promise: the bundled data, built and served, answers every named query
over HTTP the way `curl --data-urlencode 'query@queries/X.rq'` sends it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_build import copy_project
from test_queries import QUERIES, check, plain
from web_fixtures import start_waitress

from uprgraph.build import build
from uprgraph.config import load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from uprgraph.web import create_app

    project = copy_project(tmp_path_factory.mktemp("served"))
    shutil.copytree(ROOT / "queries", project / "queries")
    settings = load_settings(project)
    build(settings)
    app = create_app(settings)
    server, handle = start_waitress(app)
    yield settings, server
    handle.close()
    app.extensions["uprgraph"].close()


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_named_query_over_http(served, path: Path) -> None:
    settings, server = served
    import urllib.parse

    body = urllib.parse.urlencode({"query": path.read_text(encoding="utf-8")})
    reply = server.request(
        "POST", "/sparql", body,
        {"Content-Type": "application/x-www-form-urlencoded",
         "Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.text
    parsed = ox.parse_query_results(reply.body, format=ox.QueryResultsFormat.JSON)
    if isinstance(parsed, ox.QueryBoolean):
        answer: bool | list[dict[str, object]] = bool(parsed)
    else:
        names = [v.value for v in parsed.variables]
        answer = [{n: plain(s[n], settings.iris.base) for n in names} for s in parsed]
    check(path, answer)


def test_query_page_lists_the_named_queries(served) -> None:
    _settings, server = served
    page = server.get("/sparql", accept="text/html")
    assert page.status == 200
    from markupsafe import escape

    for path in QUERIES:
        title = next(ln.split(":", 1)[1].strip() for ln in path.read_text().splitlines()
                     if ln.startswith("# title:"))
        assert str(escape(title)) in page.text, f"{path.name} is not offered on the query page"


def test_example_query_runs_in_the_browser(served) -> None:
    """The README's browser path: the query page's example link answers with a table."""
    from test_web_browser import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("headless Chromium (/usr/bin/chromium) is not installed: "
                    "apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    _settings, server = served
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(server.url + "sparql")
            page.click("text=Cambodia's third review: recommendations received")
            # the editor (YASGUI) runs the example in place and draws its own table
            page.wait_for_selector("#yasgui .yasr table tbody tr")
            cells = page.inner_text("#yasgui .yasr table")
            assert "198" in cells and "173" in cells and "25" in cells
        finally:
            browser.close()


def test_links_report_is_published(served) -> None:
    settings, server = served
    reply = server.get("/links-report.json")
    assert reply.status == 200 and reply.media_type == "application/json"
    import json

    report = json.loads(reply.body)
    on_disk = json.loads((settings.current_release / "links-report.json").read_text())
    assert report == on_disk
    states = {row["name"]: row for row in report["coverage"] if row["group"] == "states"}
    assert states, report
    assert all(row["total"] >= 1 for row in states.values())


def test_finding_page_is_titled_by_its_headline(served) -> None:
    settings, server = served
    page = server.get("/doc/finding/cchr-upr-2021/regression-land-rights-1", accept="text/html")
    assert page.status == 200
    assert "<title>Land rights violations and land disputes" in page.text
    review = server.get("/doc/review/KHM/3", accept="text/html")
    assert "Land rights violations and land disputes" in review.text, "incoming links labelled"
