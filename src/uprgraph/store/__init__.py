"""Stores that hold a release and answer SPARQL: embedded Oxigraph by default.

Every backend offers the :class:`~uprgraph.store.base.Store` interface and
hands back :class:`~uprgraph.store.base.QueryResult` objects that render
themselves with pyoxigraph's serialisers.
"""

from .base import FormatMismatch, QueryResult, QuerySyntaxError, Rendered, Store, StoreError
from .oxigraph import OxigraphStore

__all__ = [
    "FormatMismatch",
    "OxigraphStore",
    "QueryResult",
    "QuerySyntaxError",
    "Rendered",
    "Store",
    "StoreError",
]
