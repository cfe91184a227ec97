"""The three UPR Info samples and both matrices import, validate and publish in one build."""

from __future__ import annotations

import pytest
from import_helpers import project

from uprgraph.build import build
from uprgraph.importing import import_file
from uprgraph.store.oxigraph import OxigraphStore


@pytest.mark.slow
def test_everything_imports_and_publishes(shared_data, tmp_path):
    settings = project(tmp_path)
    files = sorted((shared_data / "upr-info").glob("*.csv"))
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
