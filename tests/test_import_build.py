"""UPR Info sessions 1-13 and both matrices import, validate and publish in one build."""

from __future__ import annotations

import pytest
from import_helpers import project

from uprgraph.build import build
from uprgraph.importing import import_file
from uprgraph.store.oxigraph import OxigraphStore


@pytest.mark.slow
def test_everything_imports_and_publishes(shared_data, tmp_path):
    settings = project(tmp_path)
    # the first cycle and the start of the second (sessions 1-13), as PROVENANCE.md counts them
    files = [shared_data / "upr-info" / f"upr-info-sessions-{span}.csv"
             for span in ("01-05", "06-09", "10-13")]
    files += sorted((shared_data / "ohchr-matrix").glob("*.docx"))
    total = sum(import_file(settings, f).manifest["recommendations"] for f in files)
    assert total == 23484 + 163 + 215
    result = build(settings)
    store = OxigraphStore.open_read_only(result.release.store_path)
    upr = settings.iris.upr

    def count(sparql: str) -> int:
        (row,) = list(store.query(sparql).rows())
        return int(row["n"].value)

    assert count(
        f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r a <{upr.Recommendation}> }}") == total
    assert count(
        f"SELECT (COUNT(?r) AS ?n) WHERE {{ ?r <{upr.review}> ?v . "
        f"?v <{upr.stateUnderReview}> <{settings.iris.state('KHM')}> ; <{upr.session}> 6 }}") == 138

    # served by the endpoint and the pages like the seed data
    from markupsafe import escape
    from SPARQLWrapper import JSON, SPARQLWrapper
    from web_fixtures import start_waitress

    from uprgraph.web import create_app

    app = create_app(settings)
    server, handle = start_waitress(app)
    try:
        client = SPARQLWrapper(server.url + "sparql")
        client.setReturnFormat(JSON)
        client.setQuery(
            "PREFIX upr: <def/upr#> SELECT (COUNT(?r) AS ?n) WHERE { ?r upr:review ?v . "
            "?v upr:stateUnderReview <id/state/SVN> ; upr:cycle 3 }")
        answer = client.query().convert()
        assert int(answer["results"]["bindings"][0]["n"]["value"]) == 215
        some = next(store.query(
            f"SELECT ?r ?t WHERE {{ ?r <{upr.review}> <{settings.iris.review('SVN', 3)}> ; "
            f"<{upr.text}> ?t }} LIMIT 1").rows())
        path = "/" + settings.iris.path_of(some["r"].value)
        seen = server.get(path, accept="text/html")
        assert seen.status == 303
        page = server.get(seen.header("Location").replace(server.url.rstrip("/"), ""),
                          accept="text/html")
        assert page.status == 200 and page.media_type == "text/html"
        assert str(escape(some["t"].value[:60])) in page.text
        turtle = server.get(path.replace("/id/", "/doc/") + ".ttl")
        assert turtle.status == 200 and turtle.media_type == "text/turtle"
    finally:
        handle.close()
        app.extensions["uprgraph"].close()
