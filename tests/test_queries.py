"""Every named query in queries/ answers the seed's questions as its header says.

The header convention is documented in queries/README.md.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "queries").glob("*.rq"))


def expectations(path: Path) -> tuple[int | None, list[object]]:
    rows: int | None = None
    expects: list[object] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(":")
        if key == "expect-rows":
            rows = int(value)
        elif key == "expect":
            expects.append(json.loads(value))
    return rows, expects


def plain(term: ox.NamedNode | ox.Literal | ox.BlankNode | None, base: str) -> object:
    """A result term as JSON-like Python: numbers, booleans, strings; local IRIs relative."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value[len(base):] if term.value.startswith(base) else term.value
    if isinstance(term, ox.Literal):
        dt = term.datatype.value.rsplit("#", 1)[-1]
        if dt in {"integer", "int", "long", "nonNegativeInteger"}:
            return int(term.value)
        if dt in {"decimal", "double", "float"}:
            number = Decimal(term.value)
            return int(number) if number == number.to_integral_value() else float(number)
        if dt == "boolean":
            return term.value == "true"
        return term.value
    return term.value


def run(store: ox.Store, path: Path, base: str) -> bool | list[dict[str, object]]:
    result = store.query(path.read_text(encoding="utf-8"), base_iri=base,
                         use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return [{n: plain(solution[n], base) for n in names} for solution in result]


def test_there_are_queries() -> None:
    assert len(QUERIES) >= 10


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_query_answers_as_expected(path: Path, seed_store: ox.Store, base_iri: str) -> None:
    check(path, run(seed_store, path, base_iri))


def check(path: Path, answer: bool | list[dict[str, object]]) -> None:
    """The answer holds what the query's header expects."""
    rows, expects = expectations(path)
    assert rows is not None or expects, f"{path.name} has no '# expect' header"
    if isinstance(answer, bool):
        assert expects == [answer], f"{path.name}: ASK answered {answer}"
        return
    if rows is not None:
        assert len(answer) == rows, f"{path.name}: {len(answer)} rows, expected {rows}:\n{answer}"
    for expected in expects:
        assert isinstance(expected, dict)
        matches = [row for row in answer if all(row.get(k) == v for k, v in expected.items())]
        assert matches, f"{path.name}: no row matches {expected}; rows:\n" + "\n".join(
            json.dumps(r, ensure_ascii=False) for r in answer)


def test_relative_iris_resolve_against_the_base(seed_store: ox.Store) -> None:
    """Queries write <def/upr#> and <id/...>; the base passed at query time decides them."""
    query = "PREFIX upr: <def/upr#> ASK { <id/review/KHM/3> a upr:Review }"
    assert seed_store.query(query, base_iri="http://localhost:8080/",
                            use_default_graph_as_union=True)
    assert not seed_store.query(query, base_iri="https://upr.example.org/",
                                use_default_graph_as_union=True)
