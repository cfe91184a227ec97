"""The search's downloads: CSV, and JSON-LD compacted with the published ``@context``.

Both hold exactly the rows of the page's ``search-rows.rq`` (all pages, or the one asked
for), in its order. The JSON-LD gives one ``Recommendation`` node a row, keyed with the
short names of ``/def/context.jsonld`` and typed as the store typed them, so a client that
expands it gets the same statements the CSV lists (plus the IRIs the CSV names by label).
"""

from __future__ import annotations

import csv
import io
import json

from ..context import context_url
from .named import Row, Value

#: the CSV's columns, in order (labels where the JSON-LD has the thing itself)
COLUMNS = ("recommendation", "paragraph", "text", "stateUnderReview", "cycle", "session",
           "response", "recommendingStates", "status", "statusDate")
XSD = "http://www.w3.org/2001/XMLSchema#"
_NATIVE = {XSD + "integer", XSD + "boolean", XSD + "double"}
#: what the context lacks for a search row: the assessment that gives a row's status
LOCAL_CONTEXT = {"assessment": {"@reverse": "upr:assesses"}}


def csv_body(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([str(r.get(c, "")) for c in COLUMNS])
    return out.getvalue()


def literal(value: Value, language: str | None = None) -> object:
    """A literal as compact JSON-LD under a key whose context says ``language`` (or none)."""
    if value.lang:
        if value.lang == language:
            return value.value
        return {"@value": value.value, "@language": value.lang}
    if value.datatype in _NATIVE:
        return value.number if value.datatype != XSD + "boolean" else value.value == "true"
    if value.datatype in ("", XSD + "string"):
        return {"@value": value.value} if language else value.value
    return {"@value": value.value, "@type": value.datatype}


def node(row: Row) -> dict[str, object]:
    """One row as a ``Recommendation`` node (only what the row binds)."""
    out: dict[str, object] = {"id": row["recommendation"].value, "type": "Recommendation"}
    if "paragraph" in row:
        out["paragraph"] = literal(row["paragraph"])
    out["text"] = literal(row["text"], "en")
    review: dict[str, object] = {"id": row["review"].value, "cycle": literal(row["cycle"])}
    if "session" in row:
        review["session"] = literal(row["session"])
    review["stateUnderReview"] = {"id": row["state"].value,
                                  "label": literal(row["stateUnderReview"], "en")}
    out["review"] = review
    if "responseTerm" in row:
        response: dict[str, object] = {"id": row["responseTerm"].value}
        if "response" in row:
            response["prefLabel"] = literal(row["response"], "en")
        out["response"] = response
    # "IRI language label" a line, as the rows query writes them
    states = [line.split(" ", 2) for line in str(row.get("recommendingStateList", "")).split("\n")
              if line]
    if states:
        out["recommendingState"] = [{"id": iri, "label": literal(Value(label, "literal",
                                                                       lang=lang), "en")}
                                    for iri, lang, label in states]
    if "assessment" in row:
        out["assessment"] = {
            "id": row["assessment"].value,
            "implementationStatus": {"id": row["statusTerm"].value,
                                     "prefLabel": literal(row["status"], "en")},
            "date": literal(row["statusDate"])}
    return out


def jsonld_body(rows: list[Row], query: str, page: int | None) -> str:
    """The rows as JSON-LD naming the published context; ``query`` and ``page`` say where
    they come from (plain JSON keys, outside the graph)."""
    document = {"@context": [context_url(), LOCAL_CONTEXT], "query": query, "page": page,
                "@graph": [node(r) for r in rows]}
    return json.dumps(document, ensure_ascii=False, indent=1)
