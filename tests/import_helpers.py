"""Helpers for the import tests: a throw-away project directory."""

from __future__ import annotations

import shutil
from pathlib import Path

from uprgraph.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]

MINI_ONTOLOGY = """@prefix upr: <def/upr#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<def/upr> a owl:Ontology .
upr:Supported a skos:Concept . upr:Noted a skos:Concept .
"""


def project(tmp_path: Path) -> Settings:
    """A project with this checkout's shapes (and ontology when there is one)."""
    (tmp_path / "ontology").mkdir(exist_ok=True)
    if (ROOT / "ontology").is_dir() and any((ROOT / "ontology").glob("*.ttl")):
        for ttl in (ROOT / "ontology").glob("*.ttl"):
            shutil.copy(ttl, tmp_path / "ontology")
    else:
        (tmp_path / "ontology" / "upr.ttl").write_text(MINI_ONTOLOGY)
    shutil.copytree(ROOT / "shapes", tmp_path / "shapes", dirs_exist_ok=True)
    return load_settings(tmp_path)
