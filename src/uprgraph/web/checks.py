"""Refusing a damaged release before serving it, at a cost paid once per store.

The store's files are checked against the checksums the build wrote, then its
number of quads against the manifest's (a manifest from another build, or edited,
is caught there). Counting means reading the whole store - about half a second
per million quads, on the way to the first answer - yet a store whose every file
matched its checksums holds exactly the quads it held when it was counted. So
the build that wrote the store leaves its count beside the releases, keyed by
the checksum list (:func:`layout.remember_count`), and a start only compares
the manifest with it; a store without a kept count is counted once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..release import layout
from ..store.base import StoreError

if TYPE_CHECKING:
    from .site import Release


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
    found = layout.remembered_count(release.path)
    if found is None:
        try:
            found = len(ox.Store.read_only(str(store)))
        except (OSError, RuntimeError) as exc:  # RocksDB reports corruption as RuntimeError
            raise StoreError(f"release {release.id} is damaged: its store cannot be read "
                             f"({exc}); rebuild it with `uprgraph build`") from None
        layout.remember_count(release.path, found)
    if found != int(expected):
        raise StoreError(f"release {release.id} is damaged: its store holds {found} quads, "
                         f"its manifest says {expected}; rebuild it with `uprgraph build`")
