"""WSGI entry point for production servers: ``gunicorn 'uprgraph.web.wsgi:app'``.

Settings come from ``uprgraph.toml`` in the working directory (or
``UPRGRAPH_PROJECT_DIR``) and ``UPRGRAPH_*`` variables. Each server process
builds its own app with its own query workers; all open the store read-only.
"""

from . import create_app

app = create_app()
