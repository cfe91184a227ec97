"""``uprgraph links evaluate``: the linking's measured quality (wired into the links group)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..inputs import InputError
from ..links.commands import _settings
from .evaluate import DEFAULT_PAIRS, EvaluationError, evaluate


@click.command("evaluate")
@click.option("--pairs", "pairs_path",
              type=click.Path(dir_okay=False, resolve_path=True, path_type=Path), default=None,
              help=f"Labelled pairs (CSV, relative to the current directory; default: the "
                   f"project's {DEFAULT_PAIRS}).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def evaluate_command(ctx: click.Context, pairs_path: Path | None, output: str) -> None:
    """Print recurrence precision/recall, source-matching counts and suggestion accuracy."""
    settings = _settings(ctx)
    path = pairs_path or settings.path(DEFAULT_PAIRS)  # a path typed is the user's own
    try:
        result = evaluate(settings, path)
    except (EvaluationError, InputError) as exc:
        raise click.ClickException(str(exc)) from exc
    if output == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        click.echo(result.render(), nl=False)
