"""The `uprgraph import` command (wired into the CLI group in uprgraph.cli)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import ConfigError, Settings, load_settings
from ..importing import ImportFailed, import_file, list_imports, remove_import
from ..records import SourceError
from .common import ReviewOptions


def _settings(ctx: click.Context) -> Settings:
    if isinstance(ctx.obj, Settings):
        return ctx.obj
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path))
@click.option("--state", help="State under review (ISO3 or name), when the file does not say.")
@click.option("--cycle", type=click.IntRange(1, 4), help="UPR cycle, when the file does not say.")
@click.option("--session", type=click.IntRange(1, 54), help="Working Group session number.")
@click.option("--report", "report_symbol", help="Working Group report symbol (A/HRC/43/15).")
@click.option("--name", help="Name of the import in data/imported/ (default: from the file name).")
@click.option("--strict", is_flag=True, help="Any rejected row makes the import fail.")
@click.option("--list", "list_", is_flag=True, help="List the imported sources.")
@click.option("--remove", metavar="NAME", help="Remove an imported source.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.pass_context
def import_(ctx: click.Context, file: Path | None, state: str | None, cycle: int | None,
            session: int | None, report_symbol: str | None, name: str | None, strict: bool,
            list_: bool, remove: str | None, quiet: bool) -> None:
    """Import an OHCHR matrix (.docx), a UPR Info export (.csv), or a findings or assessments
    sheet (.csv or .xlsx, see docs/evidence.md) into data/imported/."""
    settings = _settings(ctx)
    if list_:
        for m in list_imports(settings):
            click.echo(f"{m['name']}\t{m['format']}\t{_contents(m)}\t"
                       f"{len(m['rejected'])} rejected\t{m['imported']}\t{m['source']}")
        return
    if remove:
        try:
            for path in remove_import(settings, remove):
                click.echo(f"removed {path}")
        except ImportFailed as exc:
            raise click.ClickException(str(exc)) from exc
        return
    if file is None:
        raise click.UsageError("give a FILE to import, or --list, or --remove NAME")
    say = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    options = ReviewOptions(state, cycle, session, report_symbol)
    try:
        result = import_file(settings, file, options, name=name, strict=strict,
                             progress=not quiet and sys.stderr.isatty(), log=say)
    except (SourceError, ImportFailed) as exc:
        click.echo(f"error: {exc}", err=True)
        for problem in getattr(exc, "problems", []):
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    m = result.manifest
    for problem in result.rejected:
        click.echo(f"rejected: {problem}", err=True)
    for problem in result.warnings:
        say(f"warning: {problem}")
    for other, count in result.superseded.items():
        say(f"{count} recommendation(s) of import {other!r} replaced by this one")
    if "recommendations" in m:
        contents = (f"{m['recommendations']} recommendations ({m['supported']} supported, "
                    f"{m['noted']} noted), {len(m['rejected'])} rejected")
    else:
        contents = _contents(m) + f" ({m['restricted']} restricted, never published)"
    click.echo(
        f"{'unchanged' if result.unchanged else 'imported'} {m['name']}: {contents}, "
        f"{m['triples']} triples -> {settings.imported_dir / m['graph_file']}"
    )


def _contents(manifest: dict) -> str:
    """What an import holds, in a few words."""
    if "recommendations" in manifest:
        return f"{manifest['recommendations']} recommendations"
    return f"{manifest.get('findings', 0)} findings, {manifest.get('assessments', 0)} assessments"
