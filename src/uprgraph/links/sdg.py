"""SDG goals and targets as the sources state them, as UN SDG KOS IRIs.

OHCHR's matrices list the SDGs of a recommendation as ``16 - PEACE, JUSTICE AND
STRONG INSTITUTIONS`` (goal) or ``16.10 ...`` (target). Only what a source states
becomes a link: nothing is inferred from themes or text.
"""

from __future__ import annotations

import re

from rdflib import URIRef

from ..iris import SDG, IRIs

#: the UN SDG KOS concept scheme (and VoID target dataset)
SDG_SCHEME = URIRef("http://metadata.un.org/sdg")
#: what an SDG goal or target IRI looks like (the same rule as shapes/links.ttl)
SDG_IRI_PATTERN = r"^http://metadata\.un\.org/sdg/([1-9]|1[0-7])(\.([1-9][0-9]?|[a-z]))?$"

_STATED = re.compile(r"^\s*(?:SDG\s*)?(\d{1,2}(?:\.(?:\d{1,2}|[a-z]))?)(?=\s*[-–:]|\s|$)", re.I)


def stated_code(text: str) -> str | None:
    """The goal or target code at the start of a source's SDG line, else None.

    >>> stated_code("16 - PEACE, JUSTICE AND STRONG INSTITUTIONS")
    '16'
    >>> stated_code("SDG 16.10: public access to information")
    '16.10'
    """
    match = _STATED.match(text)
    if not match:
        return None
    code = match.group(1)
    try:
        IRIs.sdg(code)
    except ValueError:
        return None
    return code


def goal_of(iri: str) -> URIRef:
    """The goal an SDG goal or target IRI belongs to (``.../16.10`` -> ``.../16``)."""
    if not re.match(SDG_IRI_PATTERN, str(iri)):
        raise ValueError(f"not an SDG goal or target IRI: {iri}")
    return SDG[str(iri)[len(str(SDG)):].split(".")[0]]


def is_target(iri: str) -> bool:
    return bool(re.match(SDG_IRI_PATTERN, str(iri))) and "." in str(iri)[len(str(SDG)):]
