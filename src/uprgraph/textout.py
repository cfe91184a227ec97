"""Query results for a terminal: a plain text table, or the standard CSV/JSON formats.

The table is written here (a dozen lines) rather than pulling in a table
library for one command.
"""

from __future__ import annotations

from . import formats
from .store.base import QueryResult


def _text(term: object) -> str:
    value = getattr(term, "value", None)
    return str(value) if value is not None else str(term)


def render_result(result: QueryResult, output: str) -> str:
    if result.kind == "graph":
        fmt = formats.by_name("ntriples" if output != "json" else "jsonld")
        return result.serialize(fmt).decode("utf-8")
    if output in ("csv", "json"):
        return result.serialize(formats.by_name(output)).decode("utf-8")
    if result.kind == "ask":
        return ("yes" if result.boolean else "no") + "\n"
    header = result.variables
    rows = [[_text(row.get(v, "")) if v in row else "" for v in header] for row in result.rows()]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    line = "  ".join("{:<%d}" % w for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(s.rstrip() for s in out) + "\n"
