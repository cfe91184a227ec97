"""Fixtures for the web tests: a small release on disk and real HTTP servers on loopback.

Registered by the web test modules with ``pytest_plugins = ["web_fixtures"]``
(this folder is on ``sys.path`` under pytest's default import mode), so they do
not collide with any ``conftest.py``.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from uprgraph.config import Settings, load_settings
from uprgraph.iris import IRIs
from uprgraph.release.describe import describe
from uprgraph.release.dumps import Dump

BASE = "http://localhost:8080/"
IRI = IRIs(BASE)

ONTOLOGY = """@prefix upr: <def/upr#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<def/upr> a owl:Ontology ; rdfs:label "UPR ontology"@en .
upr:State a owl:Class ; rdfs:label "State"@en ; rdfs:comment "A UN member or observer state."@en .
upr:Recommendation a owl:Class ; rdfs:label "Recommendation"@en .
upr:Review a owl:Class ; rdfs:label "Review"@en .
upr:Finding a owl:Class ; rdfs:label "Finding"@en .
upr:recommendingState a owl:ObjectProperty ; rdfs:label "recommending state"@en .
upr:review a owl:ObjectProperty ; rdfs:label "review"@en .
upr:stateUnderReview a owl:ObjectProperty ; rdfs:label "state under review"@en .
upr:response a owl:ObjectProperty ; rdfs:label "response"@en .
upr:text a owl:DatatypeProperty ; rdfs:label "text"@en .
upr:Supported a skos:Concept ; skos:prefLabel "supported"@en ; skos:inScheme upr:ResponseScheme .
upr:Noted a skos:Concept ; skos:prefLabel "noted"@en ; skos:inScheme upr:ResponseScheme .
upr:ResponseScheme a skos:ConceptScheme ; skos:prefLabel "Responses"@en .
"""
SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix upr: <def/upr#> .
<def/shapes#StateShape> a sh:NodeShape ; sh:targetClass upr:State .
"""


def data_ttl() -> str:
    lines = ["@prefix upr: <def/upr#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
             "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."]
    for code, name in (("KHM", "Cambodia"), ("FRA", "France"), ("THA", "Thailand"),
                       ("NOR", "Norway")):
        lines.append(f'<id/state/{code}> a upr:State ; rdfs:label "{name}"@en ; '
                     f'upr:iso3 "{code}" .')
    lines.append('<id/review/KHM/3> a upr:Review ; rdfs:label "Cambodia, cycle 3"@en ; '
                 'upr:stateUnderReview <id/state/KHM> ; upr:cycle 3 .')
    for i in range(1, 41):
        rec = f"<id/recommendation/KHM/3/110.{i}>"
        state = ("FRA", "THA", "NOR")[i % 3]
        resp = "upr:Supported" if i % 2 else "upr:Noted"
        lines.append(f'{rec} a upr:Recommendation ; upr:paragraph "110.{i}" ; '
                     f'upr:text "Recommendation {i}: protect\\nhuman rights"@en ; '
                     f'upr:review <id/review/KHM/3> ; upr:recommendingState <id/state/{state}> ; '
                     f'upr:response {resp} .')
    lines.append('<id/finding/cchr/f1> a upr:Finding ; upr:headline "Fewer arrests"@en ; '
                 'upr:bearsOn <id/recommendation/KHM/3/110.1> ; '
                 'upr:quantity <id/finding/cchr/f1/q1> .')
    lines.append('<id/finding/cchr/f1/q1> a upr:Quantity ; '
                 'upr:counts "arrests"@en ; '
                 '<http://www.w3.org/1999/02/22-rdf-syntax-ns#value> 12 .')
    return "\n".join(lines) + "\n"


def write_release(project: Path, release_id: str = "test-1") -> Path:
    """A release directory laid out as `uprgraph build` writes it, and `current` -> it."""
    rel = project / ".uprgraph" / "releases" / release_id
    (rel / "dumps").mkdir(parents=True)
    graphs = {
        str(IRI.graph("ontology", "upr")): ONTOLOGY,
        str(IRI.graph("shapes", "upr")): SHAPES,
        str(IRI.graph("data", "test.ttl")): data_ttl(),
    }
    quads: list[ox.Quad] = []
    for g, text in graphs.items():
        for q in ox.parse(text, format=ox.RdfFormat.TURTLE, base_iri=BASE):
            quads.append(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(g)))
    store = ox.Store(str(rel / "store"))
    store.bulk_extend(quads)
    store.flush()
    del store
    triples = [q.triple for q in quads]
    files = {
        "uprgraph.ttl": ("turtle", "text/turtle",
                         ox.serialize(triples, format=ox.RdfFormat.TURTLE)),
        "uprgraph.nt.gz": ("ntriples", "application/n-triples", gzip.compress(
            ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))),
        "uprgraph.jsonld": ("jsonld", "application/ld+json",
                            ox.serialize(triples, format=ox.RdfFormat.JSON_LD)),
        "uprgraph.nq.gz": ("nquads", "application/n-quads", gzip.compress(
            ox.serialize(quads, format=ox.RdfFormat.N_QUADS))),
    }
    dumps = []
    for name, (fmt, media, body) in files.items():
        (rel / "dumps" / name).write_bytes(body)
        dumps.append({"file": name, "format": fmt, "media_type": media, "bytes": len(body),
                      "sha256": hashlib.sha256(body).hexdigest(), "triples": len(triples)})
    settings = load_settings(project, dataset_title="uprgraph test release")
    describe(settings, built="2026-11-27T12:00:00Z", triples=len(quads),
             graphs=[(g, len(list(ox.parse(t, format=ox.RdfFormat.TURTLE, base_iri=BASE))))
                     for g, t in graphs.items()],
             dumps=[Dump(**d, compressed=d["file"].endswith(".gz")) for d in dumps],
             ).serialize(rel / "void.ttl", format="turtle")
    manifest = {"id": release_id, "version": "0.1.0", "built": "2026-11-27T12:00:00+00:00",
                "base_iri": BASE, "triples": len(quads), "graphs": sorted(graphs), "dumps": dumps}
    (rel / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    current = project / ".uprgraph" / "current"
    if current.is_symlink():
        current.unlink()
    current.symlink_to(rel.relative_to(current.parent))
    queries = project / "queries"
    queries.mkdir(exist_ok=True)
    (queries / "states.rq").write_text(
        "# States and their names\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?state ?name WHERE { ?state a <http://localhost:8080/def/upr#State> ; "
        "rdfs:label ?name } ORDER BY ?name\n", encoding="utf-8")
    return rel


@pytest.fixture(scope="session")
def web_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("webproject")
    write_release(project)
    return project


@pytest.fixture(scope="session")
def web_settings(web_project: Path) -> Settings:
    return Settings(project_dir=web_project, query_timeout=3.0, max_rows=25,
                    max_request_bytes=20_000, query_workers=2, cache_max_age=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name) or ""

    @property
    def media_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Server:
    """A running server: ``url`` ends with ``/``; ``request`` speaks raw HTTP."""

    url: str
    host: str
    port: int
    app: object = None

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> Reply:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def get(self, path: str, accept: str | None = None, **headers: str) -> Reply:
        h = {k.replace("_", "-"): v for k, v in headers.items()}
        if accept is not None:
            h["Accept"] = accept
        return self.request("GET", path, headers=h)

    def query(self, query: str, accept: str | None = None, **params: str) -> Reply:
        qs = urllib.parse.urlencode({"query": query, **params})
        return self.get("/sparql?" + qs, accept)


def start_waitress(app: object) -> tuple[Server, object]:
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=6,
                           clear_untrusted_proxy_headers=False)
    port = server.effective_port  # type: ignore[attr-defined]
    threading.Thread(target=server.run, daemon=True).start()
    return Server(f"http://127.0.0.1:{port}/", "127.0.0.1", port, app), server


@pytest.fixture(scope="session")
def web_app(web_settings: Settings):
    from uprgraph.web import create_app

    app = create_app(web_settings)
    yield app
    app.extensions["uprgraph"].close()


@pytest.fixture(scope="session")
def live(web_app) -> Iterator[Server]:
    """The app on waitress in a thread, on a free loopback port."""
    server, handle = start_waitress(web_app)
    yield server
    handle.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def make_live(web_settings: Settings):
    """Start another server with changed settings; all are stopped at the end."""
    from uprgraph.web import create_app

    started = []

    def make(**changes: object) -> Server:
        app = create_app(replace(web_settings, **changes))
        server, handle = start_waitress(app)
        started.append((app, handle))
        return server

    yield make
    for app, handle in started:
        handle.close()  # type: ignore[attr-defined]
        app.extensions["uprgraph"].close()
