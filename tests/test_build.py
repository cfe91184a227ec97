"""`uprgraph build` on a copy of the project's own ontology, shapes and data."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import Namespace

from uprgraph import build as build_mod
from uprgraph.build import BuildError, build
from uprgraph.cli import main
from uprgraph.config import load_settings
from uprgraph.release import current, layout
from uprgraph.store.oxigraph import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
VOID = Namespace("http://rdfs.org/ns/void#")


def copy_project(dest: Path) -> Path:
    for name in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("imported"))
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("project"))
    settings = load_settings(project)
    result = build(settings)
    return settings, result


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_release_layout_and_manifest(built):
    settings, result = built
    release = current(settings)
    assert release.path == result.release.path
    files = {d["file"] for d in release.manifest["dumps"]}
    assert files == {"uprgraph.ttl", "uprgraph.nt.gz", "uprgraph.jsonld", "uprgraph.nq.gz"}
    for dump in release.manifest["dumps"]:
        path = release.dumps_path / dump["file"]
        assert path.stat().st_size == dump["bytes"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == dump["sha256"]
    assert release.manifest["triples"] > 500, "the seed data should be in the release"


def test_build_leaves_the_store_count_a_server_checks_against(built):
    settings, result = built
    release = current(settings)
    assert layout.verify_store(release.path) is None
    stored = len(ox.Store.read_only(str(release.path / layout.STORE)))
    assert release.manifest["store_quads"] == stored
    # a server starting on this release compares the manifest with this, not a new count
    assert layout.remembered_count(release.path) == stored
    # the count belongs to these files: another checksum list has none
    listing = release.path / layout.STORE_CHECKSUMS
    listing.write_text(listing.read_text() + "0" * 64 + "  store/extra\n")
    try:
        assert layout.remembered_count(release.path) is None
    finally:
        listing.write_text("".join(listing.read_text().splitlines(keepends=True)[:-1]))


def data_count(store: OxigraphStore, settings) -> int:
    """Quads of the store outside the release's own description (``{base}graph/void``)."""
    query = (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
             f"FILTER(?g != <{settings.iris.description_graph}>) }}")
    return int(next(store.query(query).rows())["n"].value)


@pytest.mark.parametrize(
    "name,rdflib_format,ox_format",
    [
        ("uprgraph.ttl", "turtle", ox.RdfFormat.TURTLE),
        ("uprgraph.nt.gz", "nt", ox.RdfFormat.N_TRIPLES),
        ("uprgraph.jsonld", "json-ld", ox.RdfFormat.JSON_LD),
        ("uprgraph.nq.gz", "nquads", ox.RdfFormat.N_QUADS),
    ],
)
def test_every_dump_parses_back_to_the_store_count(built, name, rdflib_format, ox_format):
    settings, _ = built
    release = current(settings)
    path = release.dumps_path / name
    data = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    store = OxigraphStore.open_read_only(release.store_path)
    stored = data_count(store, settings)
    if rdflib_format == "nquads":
        from rdflib import Dataset

        ds = Dataset()
        ds.parse(data=data, format="nquads")
        assert sum(len(g) for g in ds.graphs() if len(g)) == stored
    else:
        g = Graph()
        g.parse(data=data, format=rdflib_format)
        assert len(g) == stored
    assert len(list(ox.parse(data, format=ox_format))) == stored


def test_void_triple_count_equals_store(built):
    settings, _ = built
    release = current(settings)
    void = Graph().parse(release.void_path)
    dataset = settings.iris.dataset()
    stated = int(void.value(dataset, VOID.triples))
    store = OxigraphStore.open_read_only(release.store_path)
    # the description's own graph is in the store (for SPARQL) but not in the data it counts
    assert stated == data_count(store, settings) == len(store) - len(void)
    dumps = set(void.objects(dataset, VOID.dataDump))
    assert URIRef(settings.iris.dump("uprgraph.nq.gz")) in dumps


def test_same_input_gives_the_same_triples(tmp_path):
    project = copy_project(tmp_path)
    settings = load_settings(project)
    first = build(settings).release
    first_nq = gzip.decompress((first.dumps_path / "uprgraph.nq.gz").read_bytes())
    second = build(settings).release
    second_nq = gzip.decompress((second.dumps_path / "uprgraph.nq.gz").read_bytes())
    assert first.path != second.path
    assert first_nq == second_nq


def _break(project: Path) -> tuple[Path, str]:
    """Remove the state under review of the Cambodia review: a core cardinality violation."""
    for path in sorted((project / "data").rglob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        if "upr:stateUnderReview" in text:
            lines = [ln for ln in text.splitlines() if "upr:stateUnderReview" not in ln]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return path, str(path.relative_to(project))
    raise AssertionError("no review with upr:stateUnderReview in the data")


def test_violation_fails_and_leaves_release_untouched(tmp_path):
    project = copy_project(tmp_path)
    settings = load_settings(project)
    build(settings)
    before = tree_digest(current(settings).path)
    link_before = settings.current_release.resolve()
    _path, relative = _break(project)
    with pytest.raises(BuildError) as caught:
        build(settings)
    message = str(caught.value)
    assert "nothing was published" in message
    assert relative in message, message
    assert "id/review/KHM/3" in message
    assert settings.current_release.resolve() == link_before
    assert tree_digest(current(settings).path) == before
    assert not list(settings.releases_dir.glob(".building-*"))


def test_a_violation_found_after_the_release_was_written_leaves_no_trace(tmp_path,
                                                                          monkeypatch):
    """The dumps and the store are written while validation runs: a verdict that comes
    after they were written still publishes nothing and leaves nothing behind."""
    project = copy_project(tmp_path / "project")
    settings = load_settings(project)
    build(settings)
    before = tree_digest(current(settings).path)
    around = sorted(p.name for p in settings.releases_dir.iterdir())
    _break(project)
    written = {"store": tmp_path / "store-written", "dumps": tmp_path / "dumps-written"}

    def marking(name, fn):
        def wrapper(*args, **kwargs):
            value = fn(*args, **kwargs)
            written[name].touch()
            return value
        return wrapper

    monkeypatch.setattr(build_mod, "write_store", marking("store", build_mod.write_store))
    monkeypatch.setattr(build_mod, "write_dumps", marking("dumps", build_mod.write_dumps))
    validate = build_mod.validation_cache.validate_data

    def late(*args, **kwargs):  # in the validation process: the verdict waits for both
        deadline = time.monotonic() + 120
        while not all(m.exists() for m in written.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return validate(*args, **kwargs)

    monkeypatch.setattr(build_mod.validation_cache, "validate_data", late)
    with pytest.raises(BuildError, match="nothing was published"):
        build(settings)
    assert all(m.exists() for m in written.values())  # written before the verdict came
    assert sorted(p.name for p in settings.releases_dir.iterdir()) == around
    assert tree_digest(current(settings).path) == before


def test_a_violation_known_before_the_writing_starts_writes_nothing(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    settings = load_settings(project)
    _break(project)
    known = tmp_path / "validated"
    validate = build_mod.validation_cache.validate_data

    def marked(*args, **kwargs):  # in the validation process
        report = validate(*args, **kwargs)
        known.touch()
        return report

    link = build_mod.finish_links

    def after_validation(*args, **kwargs):  # linking ends once the verdict is in
        deadline = time.monotonic() + 120
        while not known.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the report on its way back
        return link(*args, **kwargs)

    started = []
    monkeypatch.setattr(build_mod.validation_cache, "validate_data", marked)
    monkeypatch.setattr(build_mod, "finish_links", after_validation)
    monkeypatch.setattr(build_mod, "write_store", lambda *a, **k: started.append("store"))
    monkeypatch.setattr(build_mod, "write_dumps", lambda *a, **k: started.append("dumps"))
    with pytest.raises(BuildError, match="nothing was published"):
        build(settings)
    assert known.exists() and not started
    assert not settings.current_release.exists()
    assert [p.name for p in settings.releases_dir.iterdir()] == []


def test_cli_build_reports_violation_with_exit_code(tmp_path):
    project = copy_project(tmp_path)
    _break(project)
    result = CliRunner().invoke(main, ["--project", str(project), "build", "-q"])
    assert result.exit_code == 1
    assert "Violation" in result.output and "node:" in result.output and "file:" in result.output
    assert not (project / ".uprgraph" / "current").exists()


def test_interrupted_build_publishes_nothing(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    settings = load_settings(project)
    build(settings)
    before = tree_digest(current(settings).path)

    def explode(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod, "describe", explode)
    with pytest.raises(KeyboardInterrupt):
        build(settings)
    assert tree_digest(current(settings).path) == before
    assert not list(settings.releases_dir.glob(".building-*"))


def test_restricted_finding_never_published(tmp_path):
    project = copy_project(tmp_path)
    fixture = FIXTURES / "restricted-finding.ttl"
    shutil.copy(fixture, project / "data" / "restricted-finding.ttl")
    settings = load_settings(project)
    restricted = Graph().parse(fixture, publicID=settings.iris.base)
    upr = settings.iris.upr
    secret_nodes = {str(s) for s in restricted.subjects(upr.accessLevel, upr.Restricted)}
    assert secret_nodes, "the fixture must hold a restricted node"
    secret_texts = {str(o) for s in restricted.subjects(upr.accessLevel, upr.Restricted)
                    for o in restricted.objects(s, upr.statement)}
    result = build(settings)
    assert result.withheld > 0
    release = result.release
    for dump in release.manifest["dumps"]:
        raw = (release.dumps_path / dump["file"]).read_bytes()
        text = (gzip.decompress(raw) if dump["compressed"] else raw).decode("utf-8")
        for node in secret_nodes:
            assert node not in text, f"{node} leaked into {dump['file']}"
        for secret in secret_texts:
            assert secret not in text
    store = OxigraphStore.open_read_only(release.store_path)
    for node in secret_nodes:
        assert not store.query(f"ASK {{ {{ <{node}> ?p ?o }} UNION {{ ?s ?p <{node}> }} }}").boolean
    hits = store.query("SELECT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), '/finding/')) }")
    assert not {r["s"].value for r in hits.rows()} & secret_nodes


def test_query_command_formats(built):
    settings, _ = built
    runner = CliRunner()
    base = ["--project", str(settings.project_dir), "query"]
    q = "PREFIX upr: <def/upr#> SELECT ?iso WHERE { ?s upr:iso3 ?iso } ORDER BY ?iso LIMIT 1"
    table = runner.invoke(main, [*base, q])
    assert table.exit_code == 0, table.output
    assert "iso" in table.output and "(1 row)" in table.output
    as_json = runner.invoke(main, [*base, "--format", "json", q])
    assert json.loads(as_json.output)["head"]["vars"] == ["iso"]
    as_csv = runner.invoke(main, [*base, "--format", "csv", q])
    assert as_csv.output.splitlines()[0] == "iso"
    bad = runner.invoke(main, [*base, "SELECT WHERE {"])
    assert bad.exit_code != 0 and "does not parse" in bad.output


def test_query_without_release_says_build_first(tmp_path):
    result = CliRunner().invoke(main, ["--project", str(tmp_path), "query", "ASK {}"])
    assert result.exit_code != 0
    assert "uprgraph build" in result.output


def test_a_triple_two_files_state_is_published_once_in_the_first(tmp_path):
    """Each triple goes into the named graph of the first file (in build order) stating it,
    whichever parser read the files (Turtle through rdflib or Oxigraph, N-Triples)."""
    project = copy_project(tmp_path)
    settings = load_settings(project)
    before = build(settings).release.manifest["triples"]
    base = settings.iris.base
    khm, label = f"<{base}id/state/KHM>", "<http://www.w3.org/2000/01/rdf-schema#label>"
    comment = "<http://www.w3.org/2000/01/rdf-schema#comment>"
    (project / "data" / "zz-restated.nt").write_text(
        f'{khm} {label} "Cambodia"@en .\n{khm} {comment} "Restated here"@en .\n',
        encoding="utf-8")
    release = build(settings).release
    assert release.manifest["triples"] == before + 1
    files = {i["file"]: i["triples"] for i in release.manifest["inputs"]}
    assert files["data/zz-restated.nt"] == 2  # what the file holds, before the rule
    store = OxigraphStore.open_read_only(release.store_path)
    graphs = store.query(f'SELECT ?g WHERE {{ GRAPH ?g {{ {khm} {label} "Cambodia"@en }} }}')
    assert [r["g"].value for r in graphs.rows()] == [str(settings.iris.graph("data", "states"))]
    graphs = store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ {khm} {comment} ?c }} }}")
    assert [r["g"].value for r in graphs.rows()] == [str(settings.iris.graph("data",
                                                                             "zz-restated"))]


def test_timings_name_every_stage(built):
    _, result = built
    assert list(result.timings) == list(build_mod.STAGES)
    assert all(seconds >= 0 for seconds in result.timings.values())
    assert result.timings["validate"] > 0  # the validation process reported its own time
