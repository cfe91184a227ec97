"""The pages in headless Chromium: the query page runs a query, documents link on the site."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["web_fixtures"]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) "
                       "is not installed: apt-get install -y chromium"),
]


@pytest.fixture(scope="module")
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pg = browser.new_page()
        outside: list[str] = []
        pg.on("request", lambda r: outside.append(r.url)
              if not r.url.startswith("http://127.0.0.1") else None)
        yield pg
        browser.close()
        assert outside == [], f"pages loaded from elsewhere: {outside}"


def test_query_page_runs_an_example(live, page):
    page.goto(live.url + "sparql")
    assert "States and their names" in page.content()
    page.click("button[type=submit]")
    page.wait_for_selector("table.results")
    assert "Cambodia" in page.inner_text("table.results")


def test_document_page_and_links(live, page):
    page.goto(live.url + "id/state/KHM")
    assert page.title().startswith("Cambodia")
    page.click("text=Cambodia, cycle 3")
    assert page.url == live.url + "doc/review/KHM/3"
