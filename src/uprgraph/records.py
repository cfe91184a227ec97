"""Plain records read from the sources, before any RDF.

Importers (``uprgraph.sources``) turn rows and table cells into these
dataclasses; graph builders (``uprgraph.graph``) turn them into triples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .states import State

SUPPORTED = "Supported"
NOTED = "Noted"


@dataclass(frozen=True, order=True)
class Concept:
    """A theme, issue or group of persons in one concept scheme (per source and version)."""

    scheme: str
    #: the code that ends the concept IRI (UHRI code "A12", or a slug of the label)
    code: str
    label: str
    #: a code as printed in the source (skos:notation), if there is one
    notation: str | None = None


@dataclass(frozen=True, order=True)
class Organisation:
    """An intergovernmental organisation states belong to (EU, AU, OIC, ...)."""

    code: str
    name: str


@dataclass(frozen=True)
class Review:
    state: State
    cycle: int
    session: int | None = None
    #: the Working Group report's symbol, e.g. "A/HRC/28/15"
    report: str | None = None


@dataclass
class Recommendation:
    """One recommendation as read from a row or a table row."""

    review: Review
    #: paragraph number ("115.3") or, where the source has none, a derived stable id
    local_id: str
    text: str
    #: where it was read: "row 17", "paragraph 115.3"
    location: str
    paragraph: str | None = None
    recommending_states: list[State] = field(default_factory=list)
    #: SUPPORTED, NOTED or None when the source gives no position
    response: str | None = None
    position_source: str | None = None
    position_paragraph: str | None = None
    themes: list[Concept] = field(default_factory=list)
    affected_groups: list[Concept] = field(default_factory=list)
    #: SDG goal or target codes ("16", "16.10")
    sdgs: list[str] = field(default_factory=list)
    cluster: Concept | None = None
    action_category: int | None = None
    #: organisations the recommending state belongs to (UPR Info From-Org), when it is one
    organisations: list[Organisation] = field(default_factory=list)
    #: organisations the state under review belongs to (UPR Info To-Org)
    state_organisations: list[Organisation] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """A row or cell that could not be read as it should: where and why."""

    file: str
    location: str
    reason: str
    #: "error" rejects the row; "warning" keeps it and reports it
    level: str = "error"

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.reason}"


@dataclass(frozen=True)
class ThemeMapping:
    """``skos:exactMatch`` or ``skos:closeMatch`` between concepts of two schemes."""

    source: Concept
    target: Concept
    relation: str = "closeMatch"


@dataclass
class ParsedSource:
    """What one importer read from one file."""

    path: str
    #: "ohchr-matrix" or "upr-info"
    format: str
    #: layout within the format ("2014", "2019", "cycle4", "csv")
    layout: str
    recommendations: list[Recommendation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    mappings: list[ThemeMapping] = field(default_factory=list)
    #: rows read, good or bad
    rows: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


class SourceError(ValueError):
    """A file that cannot be imported at all (unknown layout, conflicting options...)."""
