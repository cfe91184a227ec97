"""`uprgraph vocab add | list | remove`: RDF vocabularies and the M49 table."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from links_helpers import MINI_KOS, make_project
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from uprgraph.build import build
from uprgraph.config import load_settings
from uprgraph.links import vocab
from uprgraph.links.commands import vocab as vocab_group
from uprgraph.links.report import coverage
from uprgraph.release import current
from uprgraph.store.oxigraph import OxigraphStore

SDG = "http://metadata.un.org/sdg/"


@pytest.fixture
def settings(tmp_path):
    return load_settings(make_project(tmp_path / "p", kos=False, m49=True))


def test_add_list_remove_an_rdf_vocabulary(settings, tmp_path):
    source = tmp_path / "sdg-mini.ttl"
    source.write_text(MINI_KOS, encoding="utf-8")
    runner = CliRunner()
    added = runner.invoke(vocab_group, ["add", str(source), "--name", "SDG"], obj=settings)
    assert added.exit_code == 0, added.output
    assert (settings.project_dir / "vocabularies" / "sdg.ttl").is_file()
    listed = runner.invoke(vocab_group, ["list"], obj=settings)
    assert listed.output.startswith("sdg\t15 triples\tvocabularies/sdg.ttl")
    again = runner.invoke(vocab_group, ["add", str(source), "--name", "sdg"], obj=settings)
    assert again.exit_code == 1 and "--replace" in again.output
    replaced = runner.invoke(vocab_group, ["add", str(source), "--name", "sdg", "--replace"],
                             obj=settings)
    assert replaced.exit_code == 0
    removed = runner.invoke(vocab_group, ["remove", "sdg"], obj=settings)
    assert removed.exit_code == 0 and "removed vocabularies/sdg.ttl" in removed.output
    assert "no vocabularies" in runner.invoke(vocab_group, ["list"], obj=settings).output
    missing = runner.invoke(vocab_group, ["remove", "sdg"], obj=settings)
    assert missing.exit_code == 1 and "no vocabulary named 'sdg'" in missing.output


def test_add_refuses_broken_and_unknown_files(settings, tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(vocab.VocabularyError, match="not valid"):
        vocab.add(settings, broken)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(vocab.VocabularyError, match="M49 table"):
        vocab.add(settings, other)
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(vocab.VocabularyError, match="not an RDF file"):
        vocab.add(settings, text)
    assert not (settings.project_dir / "vocabularies").exists() or \
        not any((settings.project_dir / "vocabularies").iterdir())


def test_m49_table_becomes_skos_and_state_links(settings):
    written = vocab.add(settings, settings.project_dir / "m49.csv")
    scheme_file, links_file = written
    assert scheme_file == settings.project_dir / "vocabularies" / "m49.ttl"
    assert links_file == settings.project_dir / "data" / "links" / "m49.ttl"
    iris = settings.iris
    g = Graph().parse(scheme_file, publicID=iris.base)
    assert (iris.m49_area("039"), SKOS.broader, iris.m49_area("150")) in g
    assert (iris.m49_area("150"), SKOS.broader, iris.m49_area("001")) in g
    assert (iris.m49_area("001"), SKOS.topConceptOf, iris.scheme("m49")) in g
    assert g.value(iris.m49_area("029"), SKOS.prefLabel) == Literal("Caribbean", lang="en")
    assert g.value(iris.m49_area("039"), SKOS.notation) == Literal("039")
    links = Graph().parse(links_file, publicID=iris.base)
    assert (iris.state("JAM"), URIRef("https://schema.org/contains"), None) not in links
    assert (iris.state("JAM"), URIRef("https://schema.org/containedInPlace"),
            iris.m49_area("029")) in links
    assert (iris.state("SVN"), iris.upr.m49, Literal("705")) in links
    listed = vocab.list_vocabularies(settings)
    assert [v.name for v in listed] == ["m49"] and listed[0].companions == (links_file,)
    assert set(vocab.remove(settings, "m49")) == {scheme_file, links_file}
    assert not links_file.exists()


def test_shared_m49_table_covers_every_pycountry_state(settings, shared_data):
    import pycountry

    vocab.add(settings, shared_data / "vocab" / "iso3166-m49.csv")
    iris = settings.iris
    links = Graph().parse(settings.project_dir / "data" / "links" / "iso3166-m49.ttl",
                          publicID=iris.base)
    for country in pycountry.countries:
        state = iris.state(country.alpha_3)
        assert links.value(state, iris.upr.m49) == Literal(country.numeric), country.name
    scheme = Graph().parse(settings.project_dir / "vocabularies" / "iso3166-m49.ttl",
                           publicID=iris.base)
    regions = set(scheme.subjects(SKOS.broader, iris.m49_area("001")))
    assert {str(r).rsplit("/", 1)[-1] for r in regions} == {"002", "009", "019", "142", "150"}


def test_shared_sdg_kos_and_unbis_mappings_in_a_build(tmp_path, shared_data):
    settings = load_settings(make_project(tmp_path / "p", kos=False))
    kos = shared_data / "vocab" / "sdg-kos-goals-targets-indicators.ttl"
    mappings = shared_data / "vocab" / "sdg-kos-subject-mappings.ttl"
    runner = CliRunner()
    for path, name in ((kos, "sdg"), (mappings, "sdg-subjects")):
        result = runner.invoke(vocab_group, ["add", str(path), "--name", name], obj=settings)
        assert result.exit_code == 0, result.output
    build(settings)
    store = OxigraphStore.open_read_only(current(settings).store_path)
    labels = {
        (r["lang"].value): r["label"].value for r in store.query(f"""
            SELECT ?label (LANG(?label) AS ?lang) WHERE {{
              <{SDG}16> <{SKOS.prefLabel}> ?label }}""").rows()}
    assert set(labels) == {"en", "fr", "es"}
    # recommendation -> SDG target -> UNBIS Thesaurus subjects the mapping file names
    subjects = {r["subject"].value for r in store.query(f"""
        PREFIX upr: <def/upr#>
        SELECT DISTINCT ?subject WHERE {{
          ?rec upr:sdg ?sdg .
          ?sdg (<{SKOS.narrower}>)* ?item .
          ?item <http://purl.org/dc/terms/subject> ?subject .
          FILTER(STRSTARTS(STR(?subject), "http://metadata.un.org/thesaurus/"))
        }}""", base_iri=settings.iris.base).rows()}
    assert subjects, "the SDG items of the recommendations map to UNBIS subjects"
    assert coverage(store, settings.iris).figure("recommendations_with_sdg").count == 2
