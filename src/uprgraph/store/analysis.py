"""What a SPARQL query asks for, found without executing it (no I/O here).

The endpoint must know a query's form (to negotiate the response format before
running it) and whether it uses ``SERVICE`` (refused: a public endpoint never
makes requests on a client's behalf) or a ``FROM`` dataset clause (which
changes how the store's default graph is chosen).

rdflib's SPARQL parser would answer all three, but it takes about 14 ms per
query (pyparsing), more than most queries take to run in Oxigraph. So this
module uses a lexical tokenizer instead: it processes ``\\u`` escapes as the
SPARQL grammar does (section 19.2), then skips whatever cannot hold a keyword -
strings (all four quote styles, with escapes), IRI references, comments,
variables and prefixed names - and reads the remaining bare words. Keywords can
only be bare words, and an IRI reference cannot contain ``{``, ``}``, spaces or
``<``, so no keyword can hide inside a token that is skipped. The test suite
checks the tokenizer against rdflib's parser on a corpus of queries.

A lexical scan cannot decide every case, though: ``1<'>'`` is a comparison to
SPARQL's parser but an IRI followed by a string to a tokenizer, which can then
hide a ``SERVICE`` inside what it takes for a string. So the scan only gives
early, friendly answers; the endpoint's guarantee against ``SERVICE`` is that
query workers have no network (:mod:`uprgraph.web.confine`), and where they do,
:func:`uses_service` answers from a complete parse (rdflib's), cached by query
text so a repeated query costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_WORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
#: functions whose value changes from one evaluation to the next (so may a query's cost)
VOLATILE_WORDS = frozenset({"RAND", "NOW", "UUID", "STRUUID"})

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<long>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
    | (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]*)
    | (?P<pname>[\w.\-\u00b7]*:(?:[\w.\-:%\u00b7]|\\.)*)
    | (?P<number>\d*\.\d+(?:[eE][+-]?\d+)?|\d+\.\d*[eE][+-]?\d+|\d+(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_][\w\-]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def unescape(text: str) -> str:
    """Apply SPARQL's codepoint escapes (``\\u0053`` -> ``S``) to the whole text."""

    def repl(m: re.Match[str]) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except ValueError:
            return m.group(0)

    return _ESCAPE.sub(repl, text) if "\\u" in text or "\\U" in text else text


def words(text: str) -> list[str]:
    """The bare words of a query, upper-cased, in order (keywords and function names)."""
    return _scan(text)[0]


def _scan(text: str) -> tuple[list[str], int]:
    """The bare words of a query, and how many tokens it has outside ``VALUES`` data.

    Every token counts (keywords, punctuation, terms): a term can be structure too (an
    RDF collection ``(?a ?b ...)`` is a chain of triple patterns). The rows of a
    ``VALUES`` block are data the engine keeps in a list, so they do not count; a ``{``
    among them is not data, and from there on everything counts again."""
    found: list[str] = []
    count = 0
    values = 0  # 1: after VALUES, before its block; 2: in its data rows
    for m in _TOKEN.finditer(unescape(text)):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        token = m.group()
        if kind == "word":
            found.append(token.upper())
            if token.upper() == "VALUES":
                values = 1
        if values == 2:
            if token == "}":
                values = 0
            elif token == "{":
                values = 0
                count += 1
            continue
        if values == 1 and token == "{":
            values = 2
        count += 1
    return found, count


@dataclass(frozen=True)
class QueryInfo:
    """The form of a query and the features the endpoint treats specially."""

    form: str | None
    uses_service: bool
    uses_from: bool
    is_update: bool
    #: calls a function whose value differs between runs (``RAND()``, ``NOW()``, ...): how
    #: long one run took says little about the next
    volatile: bool = False
    #: tokens outside ``VALUES`` data (:func:`_scan`): bounds how deep the engine's
    #: parser, optimiser and evaluator may recurse on this text
    size: int = 0

    @property
    def kind(self) -> str | None:
        """``select``/``ask`` give results, ``graph`` gives triples; None if unknown."""
        if self.form in ("SELECT", "ASK"):
            return self.form.lower()
        if self.form in ("CONSTRUCT", "DESCRIBE"):
            return "graph"
        return None


@lru_cache(maxsize=1024)
def analyse(text: str) -> QueryInfo:
    """Classify a query; the store's parser still reports syntax errors itself (cached by
    text: clients and pages repeat their queries)."""
    ws, size = _scan(text)
    # The prologue has only BASE and PREFIX (whose IRIs and names are skipped).
    first = next((w for w in ws if w not in ("BASE", "PREFIX")), None)
    form = first if first in FORMS else None
    return QueryInfo(
        form=form,
        uses_service="SERVICE" in ws,
        uses_from="FROM" in ws,
        is_update=form is None and first in UPDATE_WORDS,
        volatile=not VOLATILE_WORDS.isdisjoint(ws),
        size=size,
    )


def size_error(size: int, limit: int) -> str | None:
    """Why a query of ``size`` tokens is refused under ``limit`` (None: it is not)."""
    if size <= limit:
        return None
    return (f"the query has {size:,} tokens (keywords, operators and terms, not counting "
            f"VALUES data); this endpoint accepts at most {limit:,} (max_query_tokens): "
            "split it into smaller queries, or give long lists of values in a VALUES block")


@lru_cache(maxsize=1024)
def uses_service(text: str) -> bool | None:
    """Whether the parsed query holds a ``SERVICE`` pattern; None when it does not parse.

    rdflib's parser applies SPARQL's escapes and grammar as a whole, so a pattern
    that Oxigraph would evaluate as ``SERVICE`` is one here too.
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(text)
    except (ParseBaseException, ValueError, TypeError, RecursionError):
        return None
    return _has_service(tree)


def _has_service(node: object) -> bool:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            return True
        return any(_has_service(v) for v in node.values())
    if isinstance(node, (list, tuple)) or hasattr(node, "asList"):
        return any(_has_service(v) for v in node)  # type: ignore[union-attr]
    return False
