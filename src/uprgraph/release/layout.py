"""Where a release lives on disk, and how a finished one replaces the published one.

A build writes into ``releases/.building-<id>``, renames it to ``releases/<id>``
when every file is complete, and then swaps the ``current`` symlink with one
``os.replace``: readers see the old release or the new one, never a mix.

A running server holds a *lease* on each release it serves
(``releases/.leases/<id>@<pid>-<token>``); pruning keeps every release with a
lease of a live process, so a build never deletes what a server still reads.
The store's files are listed with their SHA-256 in ``store.sha256`` so a server
can refuse a damaged store before it serves a single query.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings

MANIFEST = "manifest.json"
DUMPS = "dumps"
STORE = "store"
DESCRIPTION = "void.ttl"
LINKS_REPORT = "links-report.json"
STORE_CHECKSUMS = "store.sha256"
#: quad counts of stores that matched their checksums, one file per release, beside them
COUNTED = ".counted"
BUILDING_PREFIX = ".building-"
LEASES = ".leases"
#: files of a store that RocksDB rewrites when it opens one (its lock and info logs)
_VOLATILE = ("LOCK", "LOG")


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

    @property
    def links_report_path(self) -> Path:
        return self.path / LINKS_REPORT

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


def publish(settings: Settings, staging: Path, release_id: str,
            store_quads: int | None = None) -> Release:
    """Rename the staging directory into place and swap ``current`` to it atomically.

    ``store_quads`` is the number of quads the build counted in the store it wrote,
    kept with the store's checksums (:func:`remember_count`)."""
    final = settings.releases_dir / release_id
    if final.exists():
        shutil.rmtree(final)
    if (staging / STORE).is_dir():
        link = settings.current_release
        write_store_checksums(staging, link.resolve() if link.exists() else None)
    os.replace(staging, final)
    if store_quads is not None:
        remember_count(final, store_quads)
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
        if old.resolve() != keep.resolve() and not held(settings, old.name):
            shutil.rmtree(old, ignore_errors=True)


# -- store checksums ----------------------------------------------------------
def _store_files(release: Path) -> list[Path]:
    store = release / STORE
    return sorted(f for f in store.iterdir()
                  if f.is_file() and not f.name.startswith(_VOLATILE))


def sha256_of(path: Path) -> str:
    """A file's SHA-256, hex."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _digests(paths: list[Path]) -> list[str | None]:
    """The SHA-256 of each file (None: missing), several files at once: hashlib lets go
    of the GIL while it hashes, so a store is checked on every core at once."""
    def digest(path: Path) -> str | None:
        try:
            return sha256_of(path)
        except FileNotFoundError:
            return None

    with ThreadPoolExecutor(max_workers=max(1, min(len(paths), os.cpu_count() or 1))) as pool:
        return list(pool.map(digest, paths))


def _listed(release: Path) -> dict[str, str]:
    """The store files ``release`` lists, with their SHA-256 (empty: no list)."""
    try:
        text = (release / STORE_CHECKSUMS).read_text(encoding="utf-8")
    except OSError:
        return {}
    return {name: digest for digest, _, name in (line.partition("  ")
                                                 for line in text.splitlines())}


def write_store_checksums(release: Path, previous: Path | None = None) -> None:
    """List the store's files with their SHA-256 (``sha256sum`` format) beside it.

    A file that is the very file (a hard link) of ``previous``'s store, made from it
    (:mod:`release.storage`) after its files matched their list, keeps its listed
    digest: RocksDB never changes a file once written."""
    files = _store_files(release)
    known = _listed(previous) if previous is not None else {}
    digests: dict[Path, str | None] = {}
    for file in files:
        listed = known.get(f"{STORE}/{file.name}")
        try:
            if listed and previous and os.path.samefile(file, previous / STORE / file.name):
                digests[file] = listed
        except OSError:
            pass
    rest = [f for f in files if f not in digests]
    digests.update(zip(rest, _digests(rest), strict=True))
    lines = [f"{digests[f]}  {STORE}/{f.name}\n" for f in files]
    (release / STORE_CHECKSUMS).write_text("".join(lines), encoding="utf-8")


def verify_store(release: Path) -> str | None:
    """What is wrong with the release's store files (None: they match ``store.sha256``,
    or the release has no list to check against)."""
    if not (release / STORE_CHECKSUMS).is_file():
        return None
    expected = _listed(release)
    names = list(expected)
    for name, found in zip(names, _digests([release / n for n in names]), strict=True):
        if found is None:
            return f"{name} is missing"
        if found != expected[name]:
            return f"{name} does not match its checksum in {STORE_CHECKSUMS}"
    return None


# -- counted stores -----------------------------------------------------------
def counted_file(release: Path) -> Path | None:
    """Where the quad count of this release's store is kept, keyed by its checksum list
    (None: no list, so a count could not be tied to the files and is never kept).

    A store whose every file matches its checksums holds exactly the quads it held when
    it was counted, so the count is kept beside the releases: the build that wrote the
    store counted it, and a server starting on it compares the manifest with that count
    instead of reading every quad again.
    """
    listing = release / STORE_CHECKSUMS
    try:
        digest = hashlib.sha256(listing.read_bytes()).hexdigest()[:32]
    except OSError:
        return None
    return release.parent / COUNTED / f"{release.name}-{digest}"


def remembered_count(release: Path) -> int | None:
    memo = counted_file(release)
    if memo is None:
        return None
    try:
        return int(memo.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def remember_count(release: Path, count: int) -> None:
    """Keep ``count`` for ``release``'s store, and forget the counts of releases pruned
    since (best effort: a read-only project is counted at every start)."""
    memo = counted_file(release)
    if memo is None:
        return
    try:
        memo.parent.mkdir(exist_ok=True)
        for old in memo.parent.iterdir():
            if (memo.parent.parent / old.name.rsplit("-", 1)[0]).is_dir():
                continue
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        tmp = memo.with_suffix(".tmp")
        tmp.write_text(str(count), encoding="ascii")
        tmp.replace(memo)
    except OSError:
        pass


# -- leases -------------------------------------------------------------------
def hold(settings: Settings, release: Path) -> Path:
    """Take a lease on ``release`` for this process; give it back with :func:`let_go`."""
    leases = settings.releases_dir / LEASES
    leases.mkdir(parents=True, exist_ok=True)
    lease = leases / f"{release.name}@{os.getpid()}-{secrets.token_hex(4)}"
    lease.touch()
    return lease


def let_go(lease: Path) -> None:
    lease.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def held(settings: Settings, name: str) -> bool:
    """Whether a live process holds a lease on release ``name`` (stale leases are removed)."""
    leases = settings.releases_dir / LEASES
    if not leases.is_dir():
        return False
    found = False
    for lease in leases.glob(f"{name}@*"):
        try:
            pid = int(lease.name.rsplit("@", 1)[1].split("-", 1)[0])
        except ValueError:
            continue
        if _alive(pid):
            found = True
        else:
            let_go(lease)
    return found
