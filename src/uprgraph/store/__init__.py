"""Stores that hold a release and answer SPARQL: embedded Oxigraph by default."""

from .base import QueryResult, Store, StoreError
from .oxigraph import OxigraphStore

__all__ = ["OxigraphStore", "QueryResult", "Store", "StoreError"]
