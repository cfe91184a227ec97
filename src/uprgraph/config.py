"""Settings: built-in defaults, then ``uprgraph.toml``, then ``UPRGRAPH_*`` variables.

Paths are resolved against the project directory (the working directory by
default), so two checkouts never share a release or a store.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .iris import DEFAULT_BASE, IRIs

CONFIG_FILE = "uprgraph.toml"
ENV_PREFIX = "UPRGRAPH_"


class ConfigError(ValueError):
    """A setting that cannot be used, with the place it came from."""


@dataclass(frozen=True)
class Settings:
    """Every setting of uprgraph; documented in README.md ("Settings")."""

    project_dir: Path = field(default_factory=Path.cwd)
    base_iri: str = DEFAULT_BASE
    #: where releases (dumps, description, store) are written
    state_dir: Path = Path(".uprgraph")
    data_dir: Path = Path("data")
    ontology_dir: Path = Path("ontology")
    shapes_dir: Path = Path("shapes")
    #: vocabularies (e.g. the UN SDG KOS) added to every build: every file of
    #: ``vocabulary_dir`` (where ``uprgraph vocab add`` puts them) plus these files
    vocabulary_dir: Path = Path("vocabularies")
    vocabularies: tuple[str, ...] = ()
    dataset_title: str = "uprgraph: the Universal Periodic Review as Linked Data"
    license: str = "https://creativecommons.org/licenses/by/4.0/"
    version: str = "0.1.0"
    host: str = "127.0.0.1"
    port: int = 8080
    #: seconds after which a SPARQL query is cancelled
    query_timeout: float = 10.0
    #: most result rows returned by the public endpoint
    max_rows: int = 10000
    #: largest accepted request body, in bytes
    max_request_bytes: int = 1_000_000
    #: most tokens (keywords, operators, terms; not VALUES data) of a SPARQL query: bounds
    #: how deep the store recurses on it, and so the stacks of the threads that evaluate
    max_query_tokens: int = 4000
    #: store backend for serving: "oxigraph" (default, on disk), "oxigraph-memory" (the
    #: release loaded into memory once; query workers are forked from it), "memory"
    #: (rdflib) or "remote"
    store: str = "oxigraph"
    #: remote SPARQL store: query and Graph Store Protocol endpoints
    remote_query_url: str = ""
    remote_update_url: str = ""
    remote_store_url: str = ""
    releases_kept: int = 2
    #: processes that evaluate SPARQL queries, each with the store open read-only
    #: (a query over the timeout is cancelled by replacing its process); 0 runs
    #: queries in the request thread without a timeout
    query_workers: int = 2
    #: with store = "oxigraph-memory": HTTP serving processes forked from the one process that
    #: loaded the store, each running queries in its own threads (0: one HTTP process with
    #: query worker processes)
    serve_processes: int = 0
    #: HTTP server of those processes: "waitress", or "granian" (Rust's hyper behind a WSGI
    #: interface: faster, but see docs/deployment.md)
    http_server: str = "waitress"
    #: address-space cap of each query worker, in MiB (0: none); a query beyond it gets a 503
    query_memory_mb: int = 2048
    #: seconds after which a query counts as long: at most query_workers - 1 long queries
    #: run at once, so one worker stays free for short queries
    long_query_seconds: float = 1.0
    #: reverse proxies in front of the server whose X-Forwarded-* headers are trusted
    #: (0: none; a client's own X-Forwarded-* headers are then ignored)
    forwarded_hops: int = 0
    #: seconds an HTTP connection may stay idle or send an incomplete request
    channel_timeout: int = 10
    #: most simultaneous HTTP connections; more wait in the listen backlog
    connection_limit: int = 200
    #: largest accepted request header block, in bytes
    max_header_bytes: int = 16384
    #: seconds clients and caches may keep documents and dumps (Cache-Control max-age)
    cache_max_age: int = 300
    #: extra RDF files served with the release (``uprgraph serve --data FILE``)
    data_files: tuple[str, ...] = ()
    #: example SPARQL queries (``*.rq``) offered on the query page
    queries_dir: Path = Path("queries")

    @property
    def iris(self) -> IRIs:
        return IRIs(self.base_iri)

    def path(self, value: Path | str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else self.project_dir / p

    @property
    def releases_dir(self) -> Path:
        return self.path(self.state_dir) / "releases"

    @property
    def current_release(self) -> Path:
        """A symlink to the published release; swapped atomically by a build."""
        return self.path(self.state_dir) / "current"

    @property
    def imported_dir(self) -> Path:
        return self.path(self.data_dir) / "imported"


def _cast(name: str, raw: object, where: str) -> object:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    try:
        if kind in ("Path", Path):
            return Path(str(raw))
        if kind in ("int", int):
            return int(raw)  # type: ignore[arg-type]
        if kind in ("float", float):
            return float(raw)  # type: ignore[arg-type]
        if kind.startswith("tuple"):
            if isinstance(raw, str):
                return tuple(p for p in raw.split(os.pathsep) if p)
            return tuple(str(p) for p in raw)  # type: ignore[union-attr]
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: setting {name!r}: {exc}") from exc


def load_settings(project_dir: Path | None = None, **overrides: object) -> Settings:
    """Defaults -> ``uprgraph.toml`` in the project dir -> environment -> overrides."""
    project = Path(project_dir or os.environ.get(ENV_PREFIX + "PROJECT_DIR") or Path.cwd())
    values: dict[str, object] = {"project_dir": project.resolve()}
    names = {f.name for f in fields(Settings)} - {"project_dir"}
    toml_path = project / CONFIG_FILE
    if toml_path.is_file():
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{toml_path}: {exc}") from exc
        for key, raw in data.items():
            name = key.replace("-", "_")
            if name not in names:
                raise ConfigError(f"{toml_path}: unknown setting {key!r}")
            values[name] = _cast(name, raw, str(toml_path))
    for name in names:
        raw = os.environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _cast(name, raw, f"${ENV_PREFIX}{name.upper()}")
    for name, raw in overrides.items():
        if raw is not None:
            values[name] = _cast(name, raw, "option") if name in names else raw
    settings = Settings(**values)  # type: ignore[arg-type]
    try:
        settings.iris  # noqa: B018 - validates the base IRI early
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return replace(settings)
