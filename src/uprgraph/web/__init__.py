"""The Linked Data server: ``create_app()`` builds the Flask application.

Blueprints, one per concern: :mod:`.sparql` (the SPARQL 1.1 Protocol),
:mod:`.resources` (``/id/`` -> ``/doc/``, ``/def/``), :mod:`.dumps` (dumps,
VoID/DCAT) and :mod:`.pages` (home). Views return plain data; :mod:`.render`
turns it into HTML or RDF. Queries run through :mod:`.executor` (worker
processes with a timeout) on the store chosen in :mod:`.site`.
"""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from ..config import Settings


def create_app(
    settings: Settings | None = None, test_config: dict[str, Any] | None = None,
    inprocess: bool = False, defence: str | None = None,
) -> Flask:
    """The application for ``settings`` (loaded from the project when None).

    ``inprocess``: queries run in threads of this process, which :mod:`.prefork` has
    confined already (``defence``: how it is cut off from the network)."""
    # imported here: query workers (``python -m uprgraph.web.executor``) import this
    # package, and should start without loading Flask
    from flask import Flask
    from werkzeug.exceptions import HTTPException
    from werkzeug.middleware.proxy_fix import ProxyFix

    from ..config import load_settings
    from . import dumps, pages, resources, sparql
    from .context import bp as context_bp
    from .fastpath import FastSparql
    from .render import error_response
    from .site import Site

    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_request_bytes,
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    site = Site(settings, inprocess, defence)
    app.extensions["uprgraph"] = site
    atexit.register(site.close)
    app.before_request(site.pin)
    app.teardown_request(site.unpin)
    for bp in (pages.bp, sparql.bp, resources.bp, dumps.bp):
        app.register_blueprint(bp)
    app.register_blueprint(context_bp)  # /def/context.jsonld, the JSON-LD context
    app.register_error_handler(HTTPException, error_response)
    app.wsgi_app = FastSparql(app.wsgi_app, app, site)  # type: ignore[method-assign]
    if settings.forwarded_hops > 0:
        hops = settings.forwarded_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    return app


__all__ = ["create_app"]
