"""`uprgraph links fetch-wikidata` against a real local SPARQL server (``oxigraph serve``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from links_helpers import WIKIDATA_FIXTURE, make_project
from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from uprgraph.build import build
from uprgraph.config import load_settings
from uprgraph.links import wikidata
from uprgraph.links.commands import links
from uprgraph.links.linksets import count_links
from uprgraph.links.report import coverage
from uprgraph.release import current
from uprgraph.store.oxigraph import OxigraphStore

OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(location: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=1).read()
            return process, url
        except OSError as exc:
            if process.poll() is not None:
                message = process.stderr.read().decode()
                raise RuntimeError(f"oxigraph serve exited: {message}") from exc
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("oxigraph serve did not start within 20 s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    if not OXIGRAPH.exists() and shutil.which("oxigraph") is None:
        pytest.skip("the `oxigraph` server (PyPI package oxigraph, test extra) is not installed")
    folder = tmp_path_factory.mktemp("wikidata")
    fixture = folder / "wikidata.ttl"
    fixture.write_text(WIKIDATA_FIXTURE, encoding="utf-8")
    store = folder / "store"
    subprocess.run([str(OXIGRAPH), "load", "--location", str(store), "--file", str(fixture)],
                   check=True, capture_output=True)
    process, url = _serve(store)
    yield url
    _stop(process)


@pytest.fixture(scope="module")
def empty_endpoint(tmp_path_factory):
    if not OXIGRAPH.exists():
        pytest.skip("the `oxigraph` server is not installed")
    process, url = _serve(tmp_path_factory.mktemp("empty") / "store")
    yield url
    _stop(process)


def test_fetch_writes_relative_sameas_links(endpoint, tmp_path):
    project = make_project(tmp_path / "p")
    settings = load_settings(project)
    result = CliRunner().invoke(links, ["fetch-wikidata", "--endpoint", endpoint], obj=settings)
    assert result.exit_code == 0, result.output
    assert "4 states with a Wikidata item, 3 with a GeoNames id" in result.output
    out = project / "data" / "links" / "wikidata.ttl"
    text = out.read_text(encoding="utf-8")
    assert "<id/state/FRA>" in text and "localhost" not in text
    g = Graph().parse(data=text, format="turtle", publicID="https://upr.example/")
    fra = URIRef("https://upr.example/id/state/FRA")
    assert set(g.objects(fra, OWL.sameAs)) == {
        URIRef("http://www.wikidata.org/entity/Q142"), URIRef("https://sws.geonames.org/3017382/")}
    khm = URIRef("https://upr.example/id/state/KHM")
    assert set(g.objects(khm, OWL.sameAs)) == {URIRef("http://www.wikidata.org/entity/Q424")}


def test_build_with_the_mapping_carries_sameas_and_linksets(endpoint, tmp_path):
    project = make_project(tmp_path / "p")
    settings = load_settings(project)
    wikidata.fetch(settings.iris, project / "data" / "links" / "wikidata.ttl", endpoint)
    build(settings)
    store = OxigraphStore.open_read_only(current(settings).store_path)
    iris = settings.iris
    query = f"SELECT ?o WHERE {{ <{iris.state('SVN')}> <{OWL.sameAs}> ?o }}"
    rows = list(store.query(query).rows())
    assert {r["o"].value for r in rows} == {"http://www.wikidata.org/entity/Q215",
                                            "https://sws.geonames.org/3190538/"}
    lithuania = store.query(f"ASK {{ <{iris.state('LTU')}> ?p ?o }}").boolean
    assert not lithuania, "a state the data does not describe keeps no links"
    counts = {ls.target: ls.triples for ls in count_links(store, iris)}
    assert counts["wikidata"] == 3 and counts["geonames"] == 2
    report = coverage(store, iris)
    assert report.figure("states_with_wikidata").count == 3
    assert report.figure("states_with_geonames").count == 2


def test_build_without_the_mapping_succeeds(tmp_path):
    settings = load_settings(make_project(tmp_path / "p"))
    build(settings)
    store = OxigraphStore.open_read_only(current(settings).store_path)
    assert coverage(store, settings.iris).figure("states_with_wikidata").count == 0


def test_unreachable_endpoint_is_a_clear_error(tmp_path):
    settings = load_settings(make_project(tmp_path / "p"))
    url = f"http://127.0.0.1:{_free_port()}/query"
    result = CliRunner().invoke(links, ["fetch-wikidata", "--endpoint", url, "--timeout", "5"],
                                obj=settings)
    assert result.exit_code == 1
    assert "cannot reach the SPARQL endpoint" in result.output and url in result.output
    assert not (settings.project_dir / "data" / "links" / "wikidata.ttl").exists()


def test_endpoint_without_results_is_a_clear_error(empty_endpoint, tmp_path):
    settings = load_settings(make_project(tmp_path / "p"))
    result = CliRunner().invoke(links, ["fetch-wikidata", "--endpoint", empty_endpoint],
                                obj=settings)
    assert result.exit_code == 1
    assert "returned no item with an ISO 3166-1 alpha-3 code" in result.output


def test_choose_prefers_current_countries():
    def row(q, iso3, country="false", dissolved="false", geonames=None):
        r = {"item": {"value": f"http://www.wikidata.org/entity/{q}"}, "iso3": {"value": iso3},
             "country": {"value": country}, "dissolved": {"value": dissolved}}
        if geonames:
            r["geonames"] = {"value": geonames}
        return r
    chosen = wikidata.choose([
        row("Q5", "NLD", dissolved="true"), row("Q29999", "NLD"),
        row("Q55", "NLD", country="true", geonames="2750405"), row("Q1", "bad!"),
    ])
    assert chosen == [wikidata.Mapping("NLD", "Q55", ("2750405",))]
