"""A project with Cambodia's and Slovenia's real UPR data, cut from ../shared/data.

Only the rows of Cambodia (sessions 6, 18) and Slovenia (sessions 7, 20) are
written, in the export's own format (Mac-Roman, CR), to a temporary folder and
imported from there; the shared files are never copied into the repository.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from uprgraph.config import Settings, load_settings
from uprgraph.importing import import_file

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = {"ui-first": ("upr-info/upr-info-sessions-06-09.csv", {"6", "7"}),
           "ui-second": ("upr-info/upr-info-sessions-18-20.csv", {"18", "20"})}
MATRICES = {"svn-c2": "ohchr-matrix/slovenia-cycle2-UPR20-thematic-list.docx",
            "svn-c3": "ohchr-matrix/slovenia-cycle3-UPR34-thematic-list.docx"}
STATES = {"Cambodia", "Slovenia"}


def cut_export(source: Path, sessions: set[str], target: Path) -> Path:
    """The rows of Cambodia and Slovenia in ``sessions``, as a UPR Info export."""
    text = source.read_bytes().decode("mac_roman")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    kept = [rows[0]] + [r for r in rows[1:] if r and r[0] in STATES and r[-1] in sessions]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r").writerows(kept)
    target.write_bytes(buffer.getvalue().encode("mac_roman"))
    return target


def cambodia_slovenia_project(shared: Path, folder: Path) -> Settings:
    """A project with the seed, the shapes, the ontology and the five imports."""
    for name in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("imported"))
    settings = load_settings(folder)
    cuts = folder.parent / f"{folder.name}-cuts"
    cuts.mkdir(exist_ok=True)
    for name, (path, sessions) in EXPORTS.items():
        import_file(settings, cut_export(shared / path, sessions, cuts / f"{name}.csv"),
                    name=name)
    for name, path in MATRICES.items():
        import_file(settings, shared / path, name=name)
    return settings
