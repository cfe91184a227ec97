"""The pages in headless Chromium: home, review, state, finding, source, search (two facets,
a CSV download) and the query editor (an example run in YASGUI); no request leaves loopback.
Screenshots of the main pages, desktop and phone width, are saved to tests/screenshots/ for a
reviewer."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

pytest_plugins = ["web_fixtures", "pages_fixtures"]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) "
                       "is not installed: apt-get install -y chromium"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        outside: list[str] = []
        b.outside = outside  # type: ignore[attr-defined]
        yield b
        b.close()
        assert outside == [], f"pages loaded from elsewhere: {outside}"


def _page(browser, viewport: dict[str, int], **kw):
    context = browser.new_context(viewport=viewport, **kw)
    pg = context.new_page()
    pg.on("request", lambda r: browser.outside.append(r.url)
          if not r.url.startswith("http://127.0.0.1") else None)
    return pg


@pytest.fixture
def page(browser):
    pg = _page(browser, DESKTOP, accept_downloads=True)
    yield pg
    pg.context.close()


@pytest.fixture
def phone(browser):
    pg = _page(browser, PHONE)
    yield pg
    pg.context.close()


def shoot(pg, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# -- the small test release (no shared data needed) ---------------------------
def test_query_page_without_javascript_runs_an_example(live, browser):
    pg = _page(browser, DESKTOP, java_script_enabled=False)
    pg.goto(live.url + "sparql")
    assert "States and their names" in pg.content()
    pg.click("#query-form button[type=submit]")
    pg.wait_for_selector("table.results")
    assert "Cambodia" in pg.inner_text("table.results")
    pg.context.close()


def test_state_page_links_its_review(live, page):
    page.goto(live.url + "id/state/KHM")
    assert page.title().startswith("Cambodia")
    page.click("table.cycles >> text=Cycle 3")
    assert page.url == live.url + "doc/review/KHM/3"


# -- the seed with the Slovenia matrices ------------------------------------------
def test_home_review_and_state_pages(matrix_site, page, phone):
    _settings, server, _store = matrix_site
    page.goto(server.url)
    assert page.locator("script[type='application/ld+json']").count() == 1
    assert "Slovenia" in page.inner_text("table.reviews")
    shoot(page, "home-desktop")
    shoot_phone(phone, server.url, "home-phone")

    page.goto(server.url + "id/review/KHM/3")
    assert page.url.endswith("/doc/review/KHM/3")
    assert "more than 20" in page.inner_text("table.themes")
    assert page.locator("figure#progress-regression svg[role=img]").count() == 1
    shoot(page, "review-desktop")
    shoot_phone(phone, server.url + "doc/review/KHM/3", "review-phone")

    page.goto(server.url + "doc/state/SVN")
    assert page.locator("figure#acceptance svg").count() == 1
    shoot(page, "state-desktop")
    shoot_phone(phone, server.url + "doc/state/SVN", "state-phone")


def shoot_phone(phone, url: str, name: str) -> None:
    phone.goto(url)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{name}: the page is {width}px wide on a phone"
    shoot(phone, name)


def test_finding_and_source_pages_from_the_review(matrix_site, page, phone):
    _settings, server, _store = matrix_site
    page.goto(server.url + "doc/review/KHM/3")
    headline = page.inner_text("ul.findings.progress li >> nth=0 >> strong a")
    page.click("ul.findings.progress li >> nth=0 >> strong a")
    page.wait_for_url("**/doc/finding/**")
    assert page.inner_text("h1") == headline
    assert "Cambodia" in page.inner_text("dl.meta")
    shoot(page, "finding-desktop")
    shoot_phone(phone, page.url, "finding-phone")
    page.click("dl.meta >> text=Implementation of the Universal Periodic Review")
    page.wait_for_url("**/doc/source/**")
    assert page.locator(f"section[aria-labelledby=findings] >> text={headline}").count() == 1
    shoot(page, "source-desktop")
    shoot_phone(phone, page.url, "source-phone")


def test_search_with_two_facets_and_a_csv_download(matrix_site, page, phone):
    _settings, server, _store = matrix_site
    page.goto(server.url + "search")
    before = int(page.inner_text("p.count strong"))
    page.click("section.facet[aria-labelledby=facet-response] li >> nth=0 >> a")
    page.wait_for_url("**response=**")
    page.click("section.facet[aria-labelledby=facet-theme] li >> nth=0 >> a")
    page.wait_for_url("**theme=**")
    assert "response=" in page.url
    after = int(page.inner_text("p.count strong"))
    assert 0 < after < before
    shoot(page, "search-desktop")
    shoot_phone(phone, page.url, "search-phone")
    with page.expect_download() as info:
        page.click("p.count >> text=CSV >> nth=0")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert len(rows) == after


def test_editor_runs_an_example_query(matrix_site, page):
    _settings, server, _store = matrix_site
    page.goto(server.url + "sparql")
    page.wait_for_selector("#yasgui .CodeMirror")
    assert not page.is_visible("#query-form")
    # one query per page: its one tab can be neither added to nor closed (which would
    # only empty the editor); YASGUI draws both controls, the page hides them
    for control in ("#yasgui .tabsList .addTab", "#yasgui .tabsList .closeTab"):
        assert page.locator(control).count() == 1, control
        assert not page.is_visible(control), control
    page.click("a[data-example] >> text=Recommendations per theme")
    page.wait_for_selector("#yasgui .yasr table tbody tr", timeout=15000)
    assert "Access to justice" in page.inner_text("#yasgui .yasr")
    href = page.get_attribute("#editor-downloads a[data-format=csv]", "href")
    assert "ThemeCount" in page.evaluate("h => decodeURIComponent(h)", href)
    shoot(page, "editor-desktop")


def test_editor_text_stays_clear_of_its_buttons(matrix_site, page, phone):
    """The run and share buttons float over the editor's corner: no word of the query
    lies under them, on a desktop or a phone."""
    _settings, server, _store = matrix_site
    for pg in (page, phone):
        pg.goto(server.url + "sparql")
        pg.wait_for_selector("#yasgui .CodeMirror")
        covered = pg.evaluate("""() => {
          const b = document.querySelector('#yasgui .yasqe_buttons').getBoundingClientRect();
          const hit = r => r.width > 0 && r.left < b.right && r.right > b.left
                           && r.top < b.bottom && r.bottom > b.top;
          return [...document.querySelectorAll('#yasgui .CodeMirror-line > span')]
            .filter(s => [...s.getClientRects()].some(hit)).map(s => s.textContent);
        }""")
        assert covered == [], (pg.viewport_size, covered)
    shoot(phone, "editor-phone")


def test_editor_controls_have_names(matrix_site, page):
    """A screen reader announces every control of the query editor by a name."""
    _settings, server, _store = matrix_site
    page.goto(server.url + "sparql")
    page.wait_for_selector("#yasgui .CodeMirror")
    nameless = page.evaluate("""() => [...document.querySelectorAll(
        '#yasgui input, #yasgui textarea, #yasgui select, #yasgui button')]
      .filter(e => e.getClientRects().length > 0 && e.type !== 'hidden')
      .filter(e => !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')
                     || e.title || (e.labels && e.labels.length) || e.textContent.trim()))
      .map(e => e.outerHTML.slice(0, 120))""")
    assert nameless == []
    assert page.get_attribute("#yasgui .CodeMirror textarea", "aria-label") == "SPARQL query"


# -- reading on a phone, and a search that finds nothing ------------------------------------
def test_state_page_reads_on_a_phone_and_a_desktop(matrix_site, page, phone):
    _settings, server, _store = matrix_site
    for iso3 in ("KHM", "SVN"):
        phone.goto(server.url + f"doc/state/{iso3}")
        table = phone.locator("table.cycles")
        assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
        for cell in table.locator("td").all():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], cell.inner_text()
        named = table.locator("td[data-label=Noted] >> nth=0").evaluate(
            "td => getComputedStyle(td, '::before').content")
        assert named == '"Noted: "'  # each number says what it counts, the header being hidden
        chart_labels_read_well(phone, "figure#acceptance")
    shoot(phone, "state-phone-svn")
    chart_labels_read_well(phone, "figure#themes")
    page.goto(server.url + "doc/state/SVN")
    assert page.is_visible("table.cycles thead")
    chart_labels_read_well(page, "figure#themes")
    # a review the graph knows only by its cycle shows no figures rather than "0 received"
    page.goto(server.url + "doc/state/KHM")
    rows = {r.locator("th").inner_text(): r for r in page.locator("table.cycles tbody tr").all()}
    assert rows["Cycle 1"].locator("td[data-label=Received]").inner_text() == "—"
    assert rows["Cycle 1"].locator("td[data-label=Counts]").inner_text() == (
        "no figures in the graph")
    assert rows["Cycle 3"].locator("td[data-label=Received]").inner_text() == "198"


def chart_labels_read_well(pg, figure: str) -> None:
    """Every label of the chart is drawn at least 12px tall and inside the chart."""
    svg = pg.locator(f"{figure} svg").bounding_box()
    labels = pg.locator(f"{figure} svg text.label").all()
    assert labels
    for label in labels:
        box = label.bounding_box()
        assert box["height"] >= 12, f"{label.inner_text()}: drawn {box['height']:.1f}px tall"
        assert svg["x"] <= box["x"] and box["x"] + box["width"] <= svg["x"] + svg["width"] + 1


def test_search_that_finds_nothing_says_what_to_drop(matrix_site, page, phone):
    _settings, server, _store = matrix_site
    page.goto(server.url + "search")
    chosen = page.inner_text("section.facet[aria-labelledby=facet-response] li >> nth=0 >> a")
    page.click("section.facet[aria-labelledby=facet-response] li >> nth=0 >> a")
    page.wait_for_url("**response=**")
    page.fill("#q", "no such words zqx")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**q=**")
    nothing = page.locator("div.nothing")
    assert "Nothing matched" in nothing.inner_text()
    assert "the words “no such words zqx”" in nothing.inner_text()
    assert f"Response: {chosen}" in nothing.inner_text()
    assert page.locator("table.recs").count() == 0
    shoot(page, "search-nothing-desktop")
    shoot_phone(phone, page.url, "search-nothing-phone")
    widen = page.url
    page.click("ul.widen >> text=search without the words")
    assert "response=" in page.url and "q=" not in page.url
    assert int(page.inner_text("p.count strong")) > 0
    page.goto(widen)
    page.click(f"ul.widen >> text=drop the filter Response: {chosen}")
    assert "response=" not in page.url and "q=" in page.url
    assert page.locator("ul.widen li").count() == 1  # only the words are left to drop
    page.click("ul.widen >> text=search without the words")
    assert int(page.inner_text("p.count strong")) > 0


def test_reference_pages_fit_a_phone(matrix_site, phone):
    """Dumps, vocabularies, the dataset description and a query's table: long IRIs, names and
    digests wrap instead of widening the page."""
    _settings, server, _store = matrix_site
    pages = {"dumps/": "dumps", "def/upr": "ontology", "def/shapes": "shapes",
             ".well-known/void": "dataset",
             "sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%2050": "query"}
    for path, name in pages.items():
        shoot_phone(phone, server.url + path, f"{name}-phone")
