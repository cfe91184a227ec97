"""The pages' named SPARQL queries (``web/queries/*.rq``) and how a page runs one.

Every number a page shows is the answer of one of these files, run live through
``site.run`` (a worker with a timeout): pages never count in Python. Parameters
are written ``{{name}}`` in the file and filled with checked IRIs or literals, so
the text a page shows under "the SPARQL behind this page" is exactly what ran.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app

from ...store.base import StoreError
from ..executor import Busy, QueryError, QueryTimeout, TooLarge
from ..render import WebError
from ..sparql import store_failure

FOLDER = Path(__file__).resolve().parents[1] / "queries"
_PARAM = re.compile(r"\{\{(\w+)\}\}")
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


@lru_cache(maxsize=64)
def text_of(name: str) -> str:
    """The file ``queries/<name>.rq`` as shipped with the package."""
    return (FOLDER / f"{name}.rq").read_text(encoding="utf-8")


def iri(value: str) -> str:
    """An IRI as a SPARQL term; refuses what could break out of ``<...>``."""
    if not value or _BAD_IRI.search(value):
        raise WebError(404, "not an IRI of this dataset")
    return f"<{value}>"


def literal(value: str) -> str:
    """A string as a SPARQL literal, escaped."""
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


def fill(text: str, **params: str) -> str:
    """The query with every ``{{name}}`` replaced by an already-formatted SPARQL term."""
    def one(m: re.Match) -> str:
        if m.group(1) not in params:
            raise KeyError(f"query parameter {m.group(1)} not given")
        return params[m.group(1)]
    return _PARAM.sub(one, text)


def query(name: str, **params: str) -> str:
    return fill(text_of(name), **params)


@dataclass(frozen=True)
class Value:
    """One bound value of a result row: its lexical form, kind and datatype."""

    value: str
    kind: str  # "uri", "literal", "bnode"
    datatype: str = ""
    lang: str = ""

    def __str__(self) -> str:
        return self.value

    @property
    def number(self) -> int | float | None:
        if self.datatype.endswith(("#integer", "#int", "#long", "#nonNegativeInteger")):
            return int(self.value)
        if self.datatype.endswith(("#decimal", "#double", "#float")):
            return float(self.value)
        return None


Row = dict[str, Value]


#: answers of page queries per (release, query text): a release never changes under its id,
#: so a page asked again (another page of results, the same facets) costs no store work
_ANSWERS: OrderedDict[tuple[str, str], list[Row]] = OrderedDict()
_ANSWERS_KEPT = 512
_LOCK = threading.Lock()


def run(text: str) -> list[Row]:
    """The rows of a SELECT through the worker pool; store trouble becomes a 503."""
    site = current_app.extensions["uprgraph"]
    key = (site.release.id if site.release is not None else "", text)
    with _LOCK:
        if key in _ANSWERS:
            _ANSWERS.move_to_end(key)
            return _ANSWERS[key]
    rows = _ask(site, text)
    with _LOCK:
        _ANSWERS[key] = rows
        while len(_ANSWERS) > _ANSWERS_KEPT:
            _ANSWERS.popitem(last=False)
    return rows


def _ask(site, text: str) -> list[Row]:
    try:
        body = site.run(text, "json").read()
    except QueryError as exc:
        raise WebError(500, f"a page query failed: {exc}") from None
    except (QueryTimeout, Busy, TooLarge, StoreError) as exc:
        raise store_failure(exc) from None
    rows = []
    for binding in json.loads(body)["results"]["bindings"]:
        rows.append({k: Value(v["value"], v["type"].replace("typed-literal", "literal"),
                              v.get("datatype", ""), v.get("xml:lang", ""))
                     for k, v in binding.items()})
    return rows


def asker(param: str, subject: str):
    """``ask(name)`` running named queries about ``subject`` (as ``param``), and the texts
    that ran, by name, for the page to show."""
    term = iri(subject)
    queries: dict[str, str] = {}

    def ask(name: str) -> list[Row]:
        text, rows = run_named(name, **{param: term})
        queries[name] = text
        return rows

    return ask, queries


def run_named(name: str, **params: str) -> tuple[str, list[Row]]:
    """Run ``queries/<name>.rq``; returns the text that ran (to show) and its rows."""
    text = query(name, **params)
    return text, run(text)
