"""``uprgraph serve``: the Linked Data server on a production WSGI server (waitress; or
granian in the serving processes of ``--processes``, setting ``http_server``)."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import ConfigError, Settings, load_settings
from ..store.base import StoreError

HOST = click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
PORT = click.option("--port", type=int, default=None, help="Port (default 8080).")
DATA = click.option(
    "--data", "data", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also publish this RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD; "
    "repeatable). N-Quads/TriG keep their named graphs.")
PROCESSES = click.option("--processes", type=int, default=None,
                         help="HTTP serving processes forked from the loaded in-memory store "
                         "(setting serve_processes).")
WORKERS = click.option("--workers", type=int, default=None,
                       help="Query worker processes (setting query_workers).")
THREADS = click.option("--threads", type=int, default=8, show_default=True,
                       help="HTTP threads of the server (of each serving process with "
                       "--processes).")
#: stores served by pre-forked processes when ``serve_processes`` > 0
PREFORKED = ("oxigraph", "oxigraph-memory")
GET = click.option("--get", "get_path", default=None, metavar="PATH",
                   help="Answer one GET request for PATH on stdout and exit (no server).")


@click.command("serve")
@HOST
@PORT
@DATA
@WORKERS
@PROCESSES
@THREADS
@GET
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, data: tuple[Path, ...],
          workers: int | None, processes: int | None, threads: int,
          get_path: str | None) -> None:
    """Serve the current release (and --data files): SPARQL, documents, dumps."""
    settings = _settings(host, port, data, workers, processes, ctx.obj)
    if get_path is None and settings.serve_processes > 0 and settings.store in PREFORKED:
        from . import prefork

        try:
            prefork.serve(settings, threads, lambda line: click.echo(line, err=True))
        except (ConfigError, StoreError, OSError) as exc:  # OSError: the port is taken
            raise click.ClickException(str(exc)) from exc
        return
    app = make_app(host=host, port=port, data=data, workers=workers, base=ctx.obj,
                   settings=settings)
    settings = app.extensions["uprgraph"].settings
    if get_path is not None:
        resp = app.test_client().get(get_path)
        click.echo(resp.get_data(as_text=True), nl=False)
        raise SystemExit(0 if resp.status_code < 400 else 1)
    import signal
    import sys

    from .server import create

    # SIGTERM ends like Ctrl-C: workers stopped, release leases given back
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = create(app, settings, threads)
    click.echo(f"uprgraph: {app.extensions['uprgraph'].defence_line()}", err=True)
    click.echo(f"uprgraph: serving on http://{settings.host}:{server.effective_port}/ "
               f"(SPARQL at /sparql); Ctrl-C to stop", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _settings(host, port, data, workers, processes, base: Settings | None) -> Settings:
    try:
        return load_settings(
            base.project_dir if base else None,
            base_iri=base.base_iri if base else None,
            host=host, port=port, query_workers=workers, serve_processes=processes,
            data_files=tuple(str(p.resolve()) for p in data) or None)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def make_app(host=None, port=None, data=(), workers=None, base: Settings | None = None,
             settings: Settings | None = None):
    """The app for the command line's options (errors become one readable line).

    ``base`` carries the group's ``--project`` / ``--base-iri`` when run as ``uprgraph serve``.
    """
    from . import create_app

    settings = settings or _settings(host, port, data, workers, None, base)
    try:
        return create_app(settings)
    except (ConfigError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
