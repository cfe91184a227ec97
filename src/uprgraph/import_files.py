"""What an import leaves in ``data/imported/``, written in one place for every kind of import.

``<name>.nt`` (the triples), ``<name>.report.txt`` (rejected rows and warnings, one a
line) and ``<name>.json`` (the manifest), each written whole and renamed into place.
A recommendations file and an evidence sheet share the manifest's fields and order;
the counts in the middle are their own.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from .config import Settings
from .records import Problem


def write_whole(path: Path, data: str) -> None:
    """Write ``data`` whole or not at all (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


def manifest_path(settings: Settings, name: str) -> Path:
    return settings.imported_dir / f"{name}.json"


def list_imports(settings: Settings) -> list[dict]:
    folder = settings.imported_dir
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def previous(settings: Settings, name: str) -> dict | None:
    """The manifest of the last import of that name, if any."""
    path = manifest_path(settings, name)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def stamp(settings: Settings, name: str, sha256: str, options: dict) -> tuple[bool, str]:
    """Whether the last import of ``name`` read the same bytes with the same options, and
    the import time to record: that import's when so (an identical file stays
    identical), now otherwise."""
    last = previous(settings, name)
    same = bool(last and last.get("sha256") == sha256 and last.get("options") == options)
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return same, last["imported"] if same and last else now


def manifest(name: str, path: Path, sha256: str, fmt: str, layout: str, options: dict,
             imported: str, rows: int, counts: dict, triples: int,
             rejected: list[Problem], warnings: list[Problem]) -> dict:
    """An import's manifest: where it came from, when, what it holds and what it left out."""
    return {
        "name": name,
        "source": str(path.resolve()),
        "file": path.name,
        "sha256": sha256,
        "format": fmt,
        "layout": layout,
        "options": options,
        "imported": imported,
        "rows": rows,
        **counts,
        "triples": triples,
        "graph_file": f"{name}.nt",
        "rejected": [{"location": p.location, "reason": p.reason} for p in rejected],
        "warnings": [{"location": p.location, "reason": p.reason} for p in warnings],
    }


def write_manifest(settings: Settings, data: dict) -> None:
    write_whole(manifest_path(settings, data["name"]),
           json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_import(settings: Settings, name: str, nt_text: str, data: dict,
                 rejected: list[Problem], warnings: list[Problem], same_input: bool) -> bool:
    """Write an import's N-Triples, report and manifest; True when the file was unchanged."""
    folder = settings.imported_dir
    folder.mkdir(parents=True, exist_ok=True)
    nt_path = folder / f"{name}.nt"
    unchanged = (same_input and nt_path.exists()
                 and nt_path.read_text(encoding="utf-8") == nt_text)
    if not unchanged:
        write_whole(nt_path, nt_text)
    report = "".join(f"rejected\t{p.location}\t{p.reason}\n" for p in rejected)
    report += "".join(f"warning\t{p.location}\t{p.reason}\n" for p in warnings)
    write_whole(folder / f"{name}.report.txt", report)
    write_manifest(settings, data)
    return unchanged
