"""UPR Info's To-Org and From-Org columns become membership data (upr:memberOf)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from import_helpers import project
from rdflib import Graph, Literal, Namespace
from rdflib.namespace import FOAF

from uprgraph.importing import import_file

HEADER = ["To", "To-Rgrp", "To-Org", "Text", "From", "From-Rgrp", "From-Org", "Response",
          "Action", "Issue", "Session"]
ROWS = [
    ["Slovenia", "EEG", "EU", "Ratify the Optional Protocol to the Covenant", "Portugal",
     "WEOG", "EU, OEI", "Accepted", "5", "International instruments", "20"],
    ["Slovenia", "EEG", "EU", "Combat trafficking in persons", "Senegal", "African Group",
     "AU, OIC, OIF", "Accepted", "3", "Trafficking", "20"],
    ["Slovenia", "EEG", "EU", "Protect the rights of Roma", "Somewhere",
     "Unknown", "&#40;Unknown&#41;", "Accepted", "3", "Minorities", "20"],
]


def _csv(path: Path) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r").writerows([HEADER, *ROWS])
    path.write_bytes(buffer.getvalue().encode("mac_roman"))
    return path


def test_organisations_become_memberships(tmp_path):
    settings = project(tmp_path)
    result = import_file(settings, _csv(tmp_path / "orgs.csv"))
    graph = Graph().parse(settings.imported_dir / f"{result.name}.nt", format="nt")
    base = settings.iris.base
    upr = Namespace(base + "def/upr#")

    def members(iso3: str) -> set[str]:
        state = settings.iris.state(iso3)
        return {str(o)[len(base):] for o in graph.objects(state, upr.memberOf)}

    assert members("SVN") == {"id/organisation/eu"}                        # To-Org
    assert members("PRT") == {"id/organisation/eu", "id/organisation/oei"}  # From-Org
    assert members("SEN") == {"id/organisation/au", "id/organisation/oic",
                              "id/organisation/oif"}
    eu = settings.iris.organisation("EU")
    assert (eu, FOAF.name, Literal("European Union", lang="en")) in graph
    # "(Unknown)" is no organisation, and the row with an unknown state was rejected
    assert not any("unknown" in str(o) for o in graph.objects(None, upr.memberOf))
