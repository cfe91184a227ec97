"""What every importer shares: review options, cycles, problems."""

from __future__ import annotations

from dataclasses import dataclass

from ..records import SourceError
from ..states import State, UnknownState, resolve

#: the last session of each cycle (Working Group sessions 1-12 are cycle 1, ...)
CYCLE_ENDS = ((12, 1), (26, 2), (40, 3), (54, 4))


def cycle_of_session(session: int) -> int:
    """Sessions 1-12 -> cycle 1, 13-26 -> 2, 27-40 -> 3, 41-54 -> 4."""
    for last, cycle in CYCLE_ENDS:
        if 1 <= session <= last:
            return cycle
    raise ValueError(f"session {session} is outside cycles 1-4 (sessions 1-54)")


@dataclass(frozen=True)
class ReviewOptions:
    """What the user said on the command line about the file's review."""

    state: str | None = None
    cycle: int | None = None
    session: int | None = None
    report: str | None = None

    def state_ref(self) -> State | None:
        if self.state is None:
            return None
        try:
            return resolve(self.state)
        except UnknownState as exc:
            raise SourceError(f"--state {self.state!r}: {exc}") from None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def agree(what: str, in_file: object, option: object, path: str) -> object:
    """The value of the file or of the option; both given and different is an error."""
    if in_file is not None and option is not None and in_file != option:
        raise SourceError(
            f"{path}: conflicting {what}: the file says {in_file!r}, the option says {option!r}"
        )
    return in_file if in_file is not None else option
