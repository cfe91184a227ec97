"""Refusing a damaged release before serving it, at a cost paid once per store.

The store's files are checked against the checksums the build wrote, then its
number of quads against the manifest's (a manifest from another build, or edited,
is caught there). Counting means reading the whole store - about a second per
million quads, on the way to the first answer - yet a store whose every file
matched its checksums holds exactly the quads it held when first counted. So
the count of a verified store is remembered beside the releases, keyed by its
checksum list, and a restart only compares the manifest with it.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..release import layout
from ..store.base import StoreError

if TYPE_CHECKING:
    from .site import Release

#: counts of verified stores, one file per release and checksum list, beside the releases
COUNTED = ".counted"


def check_release(release: Release) -> None:
    """Refuse a damaged release: its store's files against their checksums, then the number
    of quads against the manifest's. One line saying what is wrong (StoreError)."""
    assert release.path is not None
    store = release.store_path
    if store is None or not store.is_dir():
        return
    problem = layout.verify_store(release.path)
    if problem:
        raise StoreError(f"release {release.id} is damaged: {problem}; "
                         "rebuild it with `uprgraph build`")
    expected = release.manifest.get("store_quads", release.manifest.get("triples"))
    if expected is None:
        return
    memo = _memo(release.path)
    found = _remembered(memo)
    if found is None:
        try:
            found = len(ox.Store.read_only(str(store)))
        except (OSError, RuntimeError) as exc:  # RocksDB reports corruption as RuntimeError
            raise StoreError(f"release {release.id} is damaged: its store cannot be read "
                             f"({exc}); rebuild it with `uprgraph build`") from None
        _remember(memo, found)
    if found != int(expected):
        raise StoreError(f"release {release.id} is damaged: its store holds {found} quads, "
                         f"its manifest says {expected}; rebuild it with `uprgraph build`")


def _memo(release: Path) -> Path | None:
    """Where the count of this release's verified store is kept (None: no checksum list,
    so nothing was verified and the store is counted every time)."""
    listing = release / layout.STORE_CHECKSUMS
    try:
        digest = hashlib.sha256(listing.read_bytes()).hexdigest()[:32]
    except OSError:
        return None
    return release.parent / COUNTED / f"{release.name}-{digest}"


def _remembered(memo: Path | None) -> int | None:
    if memo is None:
        return None
    try:
        return int(memo.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def _remember(memo: Path | None, count: int) -> None:
    """Keep ``count``, and forget the counts of releases pruned since (best effort: a
    read-only project is counted at every start)."""
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
