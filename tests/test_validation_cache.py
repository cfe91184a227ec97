"""A rebuild's validation (cached results, only affected focus nodes validated again) against
validating everything: the same report on every shape fixture and on real data.

Every case validates a first state of the data (which fills the cache), changes the
files and validates again through the cache. The second report must equal the full
turbo validation of the new files result for result (severity, node, path, value,
message, shape and files); the change cases and the real data are also held to
plain pyshacl (``test_validate_oracle.reference``; pyshacl takes seconds per run, so
the 150 fixtures are held to the turbo engine, which ``test_validate_oracle`` holds
to pyshacl on each of them). The log must show that the cache was used.
"""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import pytest
import rdflib
from conftest import ROOT, data_files, parse_turtle
from rdflib.plugins.sparql.processor import prepareUpdate
from test_shapes import CASES, EXTRAS, Case
from test_validate_oracle import key, reference

from uprgraph.inputs import Input, add_graph
from uprgraph.iris import IRIs
from uprgraph.validate import Report
from uprgraph.validation_cache import validate_data
from uprgraph.validation_scope import analyse
from uprgraph.working import WorkingSet, graph_name

UPR = "http://localhost:8080/def/upr#"
INCREMENTAL = "focus node(s) validated again"


def copy(graph: rdflib.Graph) -> rdflib.Graph:
    duplicate = rdflib.Graph()
    duplicate += graph
    return duplicate


def nt(graph: rdflib.Graph) -> str:
    return "".join(sorted(graph.serialize(format="nt").splitlines(keepends=True)))


class Project:
    """Data files (N-Triples) in a folder, validated as the build validates them."""

    def __init__(self, folder: Path, files: dict[str, str], shapes: rdflib.Graph,
                 ontology: rdflib.Graph, base: str) -> None:
        self.folder, self.files = folder, dict(files)
        self.shapes, self.ontology, self.base = shapes, ontology, base
        self.log: list[str] = []

    def validate(self, cached: bool = True) -> Report:
        return self.run(self.load(), cached)

    def load(self) -> WorkingSet:
        """The files written out and read into a working set, as the build reads them."""
        data = self.folder / "data"
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        iris = IRIs(self.base)
        # the ontology as parsed once (the build parses it as it parses the shapes)
        ontology = Input(ROOT / "ontology", iris.graph("ontology", "upr"), "ontology",
                         self.ontology)
        items = [ontology]
        for name, text in sorted(self.files.items()):
            (data / f"{name}.nt").write_text(text, encoding="utf-8")
            items.append(Input(data / f"{name}.nt", iris.graph("data", name), "data"))
        work = WorkingSet(items)
        ontology.triples = add_graph(work.store, self.ontology, graph_name(ontology))
        for item in items[1:]:
            work.parse(item, self.base)
        return work

    def run(self, work: WorkingSet, cached: bool) -> Report:
        self.log.clear()
        return validate_data(work, [i for i in work.items if i.role == "data"], self.shapes,
                             self.ontology,
                             locate=partial(work.labels_of, project_dir=self.folder),
                             folder=self.folder / "cache" if cached else None,
                             log=self.log.append)

    def graph(self) -> rdflib.Graph:
        graph = rdflib.Graph()
        for text in self.files.values():
            graph.parse(data=text, format="nt")
        return graph

    def check(self, *, incremental: bool = True, pyshacl: bool = False) -> Report:
        """Validate through the cache; the same report as the full validation, and as
        plain pyshacl if asked."""
        work = self.load()
        ours = self.run(work, cached=True)
        log = list(self.log)
        assert any(INCREMENTAL in line for line in log) == incremental, log
        full = self.run(work, cached=False)
        self.log[:] = log
        assert ours.results == full.results
        if pyshacl:
            # pyshacl adds to the shapes graph it reads: it gets copies
            theirs = reference(self.graph(), copy(self.shapes), copy(self.ontology))
            assert sorted(map(key, ours.results)) == sorted(map(key, theirs.results))
        return ours


@pytest.fixture(scope="module")
def seed_files(base_iri: str) -> dict[str, str]:
    """The seed data and the valid extras, one N-Triples file each."""
    return {path.stem: nt(parse_turtle(path, base=base_iri)) for path in (*data_files(), *EXTRAS)}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, seed_files, shapes_graph, ontology_graph, base_iri) -> Path:
    """A folder whose cache holds the validation of the seed."""
    folder = tmp_path_factory.mktemp("seeded")
    report = Project(folder, seed_files, shapes_graph, ontology_graph, base_iri).validate()
    assert report.conforms, report.render()
    return folder


@pytest.fixture
def project(seeded, tmp_path, seed_files, shapes_graph, ontology_graph, base_iri) -> Project:
    shutil.copytree(seeded / "cache", tmp_path / "cache")
    return Project(tmp_path, seed_files, shapes_graph, ontology_graph, base_iri)


def review_of(project: Project) -> rdflib.URIRef:
    graph = project.graph()
    return next(s for s in graph.subjects(rdflib.RDF.type, rdflib.URIRef(UPR + "Review"))
                if (s, rdflib.URIRef(UPR + "cycle"), None) in graph)


def test_the_bundled_shapes_can_be_validated_in_part(shapes_graph) -> None:
    """Every shape of shapes/ stays within the context the cache reasons about; a shape that
    does not (here a two-step path) makes every rebuild validate everything."""
    scope = analyse(shapes_graph)
    assert UPR + "review" in scope.incoming  # shx:listedVia: recommendations of a review
    assert UPR + "quantity" in scope.incoming  # the inverse path of Quantity-parent
    assert "http://metadata.un.org/sdg" in scope.named
    reaching = rdflib.Graph().parse(data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> sh:targetClass <{UPR}Recommendation> ;
            sh:property [ sh:path ( <{UPR}review> <{UPR}cycle> ) ; sh:minCount 1 ] .""",
                                     format="turtle")
    with pytest.raises(ValueError, match="not one step"):
        analyse(reaching)
    pointed = rdflib.Graph().parse(data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> sh:targetObjectsOf <{UPR}review> ; sh:class <{UPR}Review> .""", format="turtle")
    assert analyse(pointed).incoming == {UPR + "review"}


def test_adding_a_file(project: Project, base_iri: str) -> None:
    """A new file of recommendations for an existing review, restating the review."""
    review = review_of(project)
    lines = [f"<{review}> <{rdflib.RDF.type}> <{UPR}Review> ."]
    for n in range(1, 4):
        rec = f"<{base_iri}id/recommendation/KHM/3/900.{n}>"
        lines += [f"{rec} <{rdflib.RDF.type}> <{UPR}Recommendation> .",
                  f"{rec} <{UPR}review> <{review}> .",
                  f'{rec} <{UPR}text> "Recommendation {n}"@en .',
                  f"{rec} <http://www.w3.org/ns/prov#wasDerivedFrom> <{base_iri}id/import/x> ."]
    project.files["added"] = "\n".join(lines) + "\n"
    report = project.check(pyshacl=True)
    warned = {r.focus for r in report.results if r.severity == "Warning"}
    assert f"{base_iri}id/recommendation/KHM/3/900.1" in warned  # no recommending state
    assert "recommendations 3" not in " ".join(project.log)


def test_a_new_file_breaks_a_node_of_an_old_file_and_fixes_another(project: Project) -> None:
    """The new file gives an old review a second cycle (maxCount 1, on a node it does not
    otherwise describe), and types the review an old recommendation pointed at."""
    review = review_of(project)
    rec = "http://localhost:8080/id/recommendation/KHM/3/901.1"
    project.files["broken"] = (f"<{rec}> <{rdflib.RDF.type}> <{UPR}Recommendation> .\n"
                               f'<{rec}> <{UPR}text> "Old"@en .\n'
                               f"<{rec}> <{UPR}review> <http://localhost:8080/id/review/KHM/9> .\n"
                               f"<{rec}> <http://www.w3.org/ns/prov#wasDerivedFrom> <{review}> .\n")
    before = project.check()
    assert {(r.focus, r.path) for r in before.violations} == {(rec, UPR + "review")}
    assert before.violations[0].files == ("data/broken.nt",)
    later = "http://localhost:8080/id/review/KHM/9"
    project.files["fix-and-break"] = (
        f"<{later}> <{rdflib.RDF.type}> <{UPR}Review> .\n"
        f"<{later}> <{UPR}stateUnderReview> <http://localhost:8080/id/state/KHM> .\n"
        f'<{later}> <{UPR}cycle> "9"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
        f'<{review}> <{UPR}cycle> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    after = project.check(pyshacl=True)
    broken = [r for r in after.violations if r.focus == str(review)]
    assert [(r.path, r.severity) for r in broken] == [(UPR + "cycle", "Violation")]
    assert "data/fix-and-break.nt" in broken[0].files and len(broken[0].files) >= 2
    assert broken[0].message.startswith("A review has exactly one upr:cycle")
    assert not [r for r in after.violations if r.focus == rec]


def test_modifying_and_removing_files(project: Project) -> None:
    """A file loses a statement a shape requires (the state's ISO code); another goes."""
    states = project.files["states"].splitlines(keepends=True)
    project.files["states"] = "".join(line for line in states
                                      if not line.startswith("<http://localhost:8080/id/state/KHM>")
                                      or f"<{UPR}iso3>" not in line)
    del project.files["restricted-finding"]
    report = project.check(pyshacl=True)
    assert {(r.focus, r.path) for r in report.violations} >= {
        ("http://localhost:8080/id/state/KHM", UPR + "iso3")}


def test_a_changed_shape_validates_everything(project: Project) -> None:
    """Shapes are in the cache key: a changed message is a new cache, filled by a full run."""
    shapes = rdflib.Graph()
    shapes += project.shapes
    shape = rdflib.URIRef("http://localhost:8080/def/shapes#Review-cycle")
    shapes.set((shape, rdflib.SH.message, rdflib.Literal("Changed.")))
    project.shapes = shapes
    project.files["review-cycle3"] += (f"<{review_of(project)}> <{UPR}cycle> "
                                       '"8"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    report = project.check(incremental=False)
    assert "Changed." in {r.message for r in report.violations}
    assert any("no validation of these shapes" in line for line in project.log)


@pytest.fixture(scope="module")
def valid_graph(seed_files: dict[str, str]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for text in seed_files.values():
        graph.parse(data=text, format="nt")
    return graph


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_shape_fixture_as_a_change(path: Path, project: Project, valid_graph,
                                         base_iri: str) -> None:
    """The fixture's update as a rebuild: its deletions edit the files that held them, its
    insertions are a new file; the report is the full validation's."""
    valid = valid_graph
    broken = rdflib.Graph()
    broken += valid
    broken.update(prepareUpdate(path.read_text(encoding="utf-8"), base=base_iri))
    deleted = set(nt(valid - broken).splitlines(keepends=True))
    for name, text in project.files.items():
        project.files[name] = "".join(line for line in text.splitlines(keepends=True)
                                      if line not in deleted)
    project.files["zz-change"] = nt(broken - valid)
    blank = "_:" in project.files["zz-change"] or any("_:" in line for line in deleted)
    report = project.check(incremental=not blank and "metadata.un.org/sdg>" not in path.read_text())
    focus = Case.read(path).focus
    assert focus.startswith("_:") or base_iri + focus in {r.focus for r in report.results}


def test_real_data_rebuild(shared_data: Path, tmp_path: Path, shapes_graph, ontology_graph,
                           seed_files, base_iri: str) -> None:
    """UPR Info rows imported in two files: the second added in a rebuild, then the second
    changed so that one recommendation has no source."""
    from uprgraph.config import load_settings
    from uprgraph.importing import import_file

    rows = (shared_data / "upr-info" / "upr-info-sessions-18-20.csv").read_bytes().split(b"\r")
    shutil.copytree(ROOT / "shapes", tmp_path / "shapes")
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    imported = {}
    for name, part in (("first", rows[1:300]), ("second", rows[3000:3200])):
        sample = tmp_path / f"{name}.csv"
        sample.write_bytes(b"\r".join(rows[:1] + part))
        result = import_file(load_settings(tmp_path), sample)
        imported[name] = (tmp_path / "data" / "imported" / f"{result.name}.nt").read_text()
    project = Project(tmp_path / "project", {**seed_files, "first": imported["first"]},
                      shapes_graph, ontology_graph, base_iri)
    project.validate()
    project.files["second"] = imported["second"]
    report = project.check(pyshacl=True)
    assert report.conforms, report.render()
    lines = imported["second"].splitlines(keepends=True)
    dropped = next(line for line in lines if "wasDerivedFrom" in line)
    project.files["second"] = "".join(line for line in lines if line != dropped)
    report = project.check()
    assert [r.focus for r in report.violations] == [dropped.split(" ")[0][1:-1]]


def test_an_unchanged_rebuild_and_a_damaged_cache(project: Project) -> None:
    """Nothing changed: the cached results hold as they are. A changed file whose old text
    is missing from the cache cannot be diffed: everything is validated, the same report."""
    review = review_of(project)
    project.files["review-cycle3"] += (f"<{review}> <{UPR}session> "
                                       '"0"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    first = project.check()
    again = project.validate()
    assert project.log == ["validation: no data file changed; the cached results hold"]
    assert again.results == first.results and not again.conforms
    for text in (project.folder / "cache").glob("*/files/*.nt"):
        text.unlink()
    project.files["review-cycle3"] = project.files["review-cycle3"].replace('"0"^^', '"1"^^')
    fixed = project.check(incremental=False)
    assert any("cached text of a changed file is missing" in line for line in project.log)
    assert fixed.conforms, fixed.render()
