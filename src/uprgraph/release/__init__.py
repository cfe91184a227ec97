"""Releases: dumps, their description (VoID + DCAT), the store, and the atomic swap."""

from .layout import Release, ReleaseError, current

__all__ = ["Release", "ReleaseError", "current"]
