"""The README documents every setting and every command, and keeps its two set-up commands."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import click
import pytest

from uprgraph.cli import main
from uprgraph.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f.name for f in fields(Settings) if f.name != "project_dir"])
def test_every_setting_is_documented(name):
    assert f"`{name}`" in README, f"setting {name!r} is missing from README.md (Settings)"


@pytest.mark.parametrize("command", main.list_commands(click.Context(main)))
def test_every_command_is_documented(command):
    assert f"`uprgraph {command}" in README, f"command {command!r} is missing from README.md"


def test_two_setup_commands():
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^    (\S.*)$", quick_start, flags=re.M)
    assert commands == ["make run", "make test"]
