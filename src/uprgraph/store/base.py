"""The interface every store backend offers to the build, the CLI and the web tier."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol

from ..formats import Format


class StoreError(RuntimeError):
    """The store could not answer (missing release, unreachable server, ...)."""


class QuerySyntaxError(ValueError):
    """The SPARQL text does not parse; the message says where."""


@dataclass
class QueryResult:
    """A query's answer: ``kind`` is ``select``, ``ask`` or ``graph``.

    ``serialize`` writes it in a format of :mod:`uprgraph.formats` straight from
    the backend's own serialisers (no rdflib round trip on the hot path).
    """

    kind: str
    variables: list[str]
    _rows: Iterable | None = None
    _boolean: bool | None = None
    _native: object | None = None

    @property
    def boolean(self) -> bool:
        assert self.kind == "ask"
        return bool(self._boolean)

    def rows(self) -> Iterator[dict[str, object]]:
        """SELECT rows as ``{variable: term}`` (terms of the backend) without unbound ones."""
        assert self.kind == "select"
        yield from self._rows or ()

    def triples(self) -> Iterator[object]:
        assert self.kind == "graph"
        yield from self._rows or ()

    def serialize(self, fmt: Format) -> bytes:  # pragma: no cover - backend specific
        raise NotImplementedError

    def render(
        self, fmt: Format, *, max_rows: int = 0, prefixes: dict[str, str] | None = None
    ) -> Rendered:  # pragma: no cover - backend specific
        """Prepare the answer in ``fmt``, keeping at most ``max_rows`` rows or triples (0: all)."""
        raise NotImplementedError


class FormatMismatch(ValueError):
    """A format that cannot carry this kind of result (e.g. Turtle for a SELECT)."""


@dataclass
class Rendered:
    """A serialised answer: ``truncated`` is known before the body is written.

    ``write`` sends the body to a binary output; for an answer without a row cap
    it streams from the backend's serialiser as the query is evaluated.
    """

    kind: str
    truncated: bool
    write: Callable[[IO[bytes]], None]


class Store(Protocol):
    """What a backend must do; see :class:`uprgraph.store.oxigraph.OxigraphStore`."""

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult: ...

    def graphs(self) -> list[str]: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...
