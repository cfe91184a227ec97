"""Where a release lives on disk, and how a finished one replaces the published one.

A build writes into ``releases/.building-<id>``, renames it to ``releases/<id>``
when every file is complete, and then swaps the ``current`` symlink with one
``os.replace``: readers see the old release or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings

MANIFEST = "manifest.json"
DUMPS = "dumps"
STORE = "store"
DESCRIPTION = "void.ttl"
BUILDING_PREFIX = ".building-"


class ReleaseError(RuntimeError):
    """No release to open, or a release directory that is not complete."""


@dataclass(frozen=True)
class Release:
    path: Path
    manifest: dict

    @property
    def id(self) -> str:
        return str(self.manifest["id"])

    @property
    def store_path(self) -> Path:
        return self.path / STORE

    @property
    def dumps_path(self) -> Path:
        return self.path / DUMPS

    @property
    def void_path(self) -> Path:
        return self.path / DESCRIPTION

    @classmethod
    def open(cls, path: Path) -> Release:
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise ReleaseError(f"{path}: not a complete release (no {MANIFEST})")
        return cls(path.resolve(), json.loads(manifest_path.read_text(encoding="utf-8")))


def current(settings: Settings) -> Release:
    """The published release; a clear error when nothing was built yet."""
    link = settings.current_release
    if not link.exists():
        raise ReleaseError(
            f"no release at {link}: run `uprgraph build` in {settings.project_dir} first"
        )
    return Release.open(link.resolve())


def start(settings: Settings, release_id: str) -> Path:
    """A fresh staging directory; leftovers of interrupted builds are removed first."""
    releases = settings.releases_dir
    releases.mkdir(parents=True, exist_ok=True)
    for leftover in releases.glob(BUILDING_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)
    staging = releases / (BUILDING_PREFIX + release_id)
    staging.mkdir()
    (staging / DUMPS).mkdir()
    return staging


def publish(settings: Settings, staging: Path, release_id: str) -> Release:
    """Rename the staging directory into place and swap ``current`` to it atomically."""
    final = settings.releases_dir / release_id
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    link = settings.current_release
    tmp_link = link.with_name(link.name + ".new")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(os.path.relpath(final, link.parent), tmp_link)
    os.replace(tmp_link, link)
    _prune(settings, keep=final)
    return Release.open(final)


def _prune(settings: Settings, keep: Path) -> None:
    """Keep the newest ``releases_kept`` releases (a server may still read the previous one)."""
    releases = sorted(
        (p for p in settings.releases_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in releases[max(settings.releases_kept, 1):]:
        if old.resolve() != keep.resolve():
            shutil.rmtree(old, ignore_errors=True)
