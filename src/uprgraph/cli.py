"""The ``uprgraph`` command: thin commands over the build, the store and the server."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, Settings, load_settings
from .release import ReleaseError, current
from .store.base import QuerySyntaxError, StoreError
from .store.oxigraph import OxigraphStore
from .textout import render_result

PROJECT_OPTION = click.option(
    "--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
    default=None, help="Project directory (default: the working directory).",
)
BASE_OPTION = click.option(
    "--base-iri", default=None, help="Canonical base of the data's IRIs (setting base_iri).",
)
QUIET_OPTION = click.option("--quiet", "-q", is_flag=True, help="No progress output.")


def settings_from(ctx: click.Context) -> Settings:
    return ctx.obj


class LazyGroup(click.Group):
    """A command group whose ``lazy`` commands are imported only when asked for."""

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.lazy: dict[str, Callable[[], click.Command]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name](), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="uprgraph")
@PROJECT_OPTION
@BASE_OPTION
@click.pass_context
def main(ctx: click.Context, project_dir: Path | None, base_iri: str | None) -> None:
    """Publish the UN Universal Periodic Review as validated Linked Data."""
    try:
        ctx.obj = load_settings(project_dir, base_iri=base_iri)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("build")
@QUIET_OPTION
@click.pass_obj
def build_command(settings: Settings, quiet: bool) -> None:
    """Validate the sources and publish a new release (dumps, description, store)."""
    from .build import BuildError, build  # here: ``serve`` starts without the build's imports

    progress = not quiet and sys.stderr.isatty()
    say = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    try:
        result = build(settings, progress=progress, log=say)
    except BuildError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    manifest = result.release.manifest
    say(
        f"published release {manifest['id']}: {manifest['triples']} triples in "
        f"{len(manifest['graphs'])} graphs, {result.withheld} restricted statement(s) withheld\n"
        f"  at {result.release.path}\n"
        + (f"  its store made from release {result.store_from}'s, changed graphs only\n"
           if result.store_from else "")
        + f"  timings (s): {', '.join(f'{k} {v}' for k, v in result.timings.items())}"
    )
    for warning in (r for r in result.report.results if r.severity != "Violation"):
        say(warning.render())


@main.command("query")
@click.argument("sparql", required=False)
@click.option("--file", "-f", "query_file", type=click.File("r", encoding="utf-8"),
              help="Read the query from a .rq file.")
@click.option("--format", "output", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True,
              help="json is the SPARQL 1.1 Query Results JSON Format.")
@click.pass_obj
def query_command(settings: Settings, sparql: str | None, query_file, output: str) -> None:
    """Answer a SPARQL query against the published release's store."""
    if (sparql is None) == (query_file is None):
        raise click.UsageError("give the query either as an argument or with --file, not both")
    text = sparql if sparql is not None else query_file.read()
    try:
        store = OxigraphStore.open_read_only(current(settings).store_path)
        result = store.query(text, base_iri=settings.iris.base)
        click.echo(render_result(result, output), nl=False)
    except (ReleaseError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    except QuerySyntaxError as exc:
        raise click.ClickException(f"the query does not parse: {exc}") from exc


def _serve() -> click.Command:
    from .web.commands import serve

    return serve


def _import() -> click.Command:
    from .sources.commands import import_

    return import_


def _vocab() -> click.Command:
    from .links.commands import vocab

    return vocab


def _links() -> click.Command:
    from .linking.commands import evaluate_command
    from .links.commands import links

    if "evaluate" not in links.commands:
        links.add_command(evaluate_command)
    return links


def _publish() -> click.Command:
    from .publish import publish_command

    return publish_command


#: commands that live beside the part of the code they drive, imported when used
#: (``uprgraph serve`` starts without loading the build's and the linking's libraries)
main.lazy.update({"serve": _serve, "import": _import, "vocab": _vocab, "links": _links,
                  "publish": _publish})

if __name__ == "__main__":  # pragma: no cover
    main()
