"""The ``uprgraph vocab`` and ``uprgraph links`` command groups (wired into uprgraph.cli).

Thin commands: each calls one function of :mod:`uprgraph.links` and turns its
named errors into a message and exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..config import ConfigError, Settings, load_settings
from ..release import ReleaseError, current
from ..store.base import StoreError
from ..store.oxigraph import OxigraphStore
from . import vocab as vocab_mod
from . import wikidata
from .report import coverage


def _settings(ctx: click.Context) -> Settings:
    """The settings the main group loaded, or the working directory's when run alone."""
    if isinstance(ctx.obj, Settings):
        return ctx.obj
    try:
        ctx.obj = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    return ctx.obj


@click.group("vocab")
def vocab() -> None:
    """Vocabularies added to every build (e.g. the UN SDG KOS, the M49 regions)."""


@vocab.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Name of the vocabulary (default: the file's stem).")
@click.option("--replace", is_flag=True, help="Replace a vocabulary of the same name.")
@click.pass_context
def vocab_add(ctx: click.Context, file: Path, name: str | None, replace: bool) -> None:
    """Check FILE (RDF, or the ISO 3166 / M49 CSV table) and add it to the vocabularies."""
    settings = _settings(ctx)
    try:
        written = vocab_mod.add(settings, file, name=name, replace=replace)
    except vocab_mod.VocabularyError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in written:
        click.echo(f"wrote {_shown(settings, path)}")
    click.echo("the next `uprgraph build` includes it")


@vocab.command("list")
@click.pass_context
def vocab_list(ctx: click.Context) -> None:
    """List the vocabularies of the build, with their triple counts."""
    settings = _settings(ctx)
    try:
        found = vocab_mod.list_vocabularies(settings)
    except vocab_mod.VocabularyError as exc:
        raise click.ClickException(str(exc)) from exc
    if not found:
        click.echo(f"no vocabularies in {_shown(settings, settings.path(settings.vocabulary_dir))}")
    for v in found:
        extra = "".join(f"  + {_shown(settings, c)}" for c in v.companions)
        click.echo(f"{v.name}\t{v.triples} triples\t{_shown(settings, v.path)}{extra}")


@vocab.command("remove")
@click.argument("name")
@click.pass_context
def vocab_remove(ctx: click.Context, name: str) -> None:
    """Remove the vocabulary NAME (and the state links generated with it)."""
    settings = _settings(ctx)
    try:
        removed = vocab_mod.remove(settings, name)
    except vocab_mod.VocabularyError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in removed:
        click.echo(f"removed {_shown(settings, path)}")


@click.group("links")
def links() -> None:
    """Links to the UN's data: fetch outward mappings, report coverage."""


@links.command("fetch-wikidata")
@click.option("--endpoint", default=wikidata.WIKIDATA_ENDPOINT, show_default=True,
              help="SPARQL endpoint to ask for items with ISO 3166-1 alpha-3 codes (P298).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help=f"File to write (default: {wikidata.DEFAULT_OUTPUT}).")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for the endpoint.")
@click.pass_context
def fetch_wikidata(ctx: click.Context, endpoint: str, output: Path | None,
                   timeout: float) -> None:
    """Fetch owl:sameAs links of the states to Wikidata and GeoNames into data/links/."""
    settings = _settings(ctx)
    target = settings.path(output or wikidata.DEFAULT_OUTPUT)
    try:
        mappings = wikidata.fetch(settings.iris, target, endpoint, timeout)
    except wikidata.FetchError as exc:
        raise click.ClickException(str(exc)) from exc
    geonames = sum(1 for m in mappings if m.geonames)
    click.echo(f"wrote {_shown(settings, target)}: {len(mappings)} states with a Wikidata item, "
               f"{geonames} with a GeoNames id")


@links.command("report")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def links_report(ctx: click.Context, output: str) -> None:
    """Print how much of the published release is linked (SDGs, M49, Wikidata, documents)."""
    settings = _settings(ctx)
    try:
        store = OxigraphStore.open_read_only(current(settings).store_path)
        report = coverage(store, settings.iris)
    except (ReleaseError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    if output == "json":
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo(report.render(), nl=False)


def _shown(settings: Settings, path: Path) -> str:
    try:
        return str(path.relative_to(settings.project_dir))
    except ValueError:
        return str(path)
