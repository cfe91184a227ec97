"""A build step in a forked process: its value, its exception or its death reach the parent."""

from __future__ import annotations

import os

import pytest

from uprgraph.forked import ChildFailed, Forked
from uprgraph.validate import Report, Result


def test_the_value_comes_back_from_the_child():
    seen = {"in the parent before the fork": 1}
    step = Forked(lambda: (os.getpid(), sorted(seen)), "test")
    seen["changed after the fork"] = 2  # the child sees memory as it was at the fork
    pid, keys = step.result()
    assert pid != os.getpid()
    assert keys == ["in the parent before the fork"]
    assert step.done() and step.seconds is not None and step.seconds >= 0


def test_a_report_crosses_whole():
    report = Report([Result("Violation", "http://example.org/x", "http://example.org/p",
                            '"v"', "message", None, ("data/a.ttl",))])
    assert Forked(lambda: report, "test").result() == report


def test_the_child_exception_is_raised_in_the_parent():
    def fails() -> None:
        raise ValueError("bad input in data/x.ttl")

    step = Forked(fails, "test")
    with pytest.raises(ValueError, match="bad input in data/x.ttl") as caught:
        step.result()
    assert any("forked process" in note for note in caught.value.__notes__)


def test_a_child_that_dies_is_named():
    step = Forked(lambda: os._exit(3), "validation")
    with pytest.raises(ChildFailed, match="validation process ended without a result .exit "
                                          "code 3"):
        step.result()
    with pytest.raises(ChildFailed):  # asked again: the same answer, no hang
        step.result()
