"""What the remote store sends: graph names of the current release, and the credentials
a deployment configured (never anything from the command line)."""

from __future__ import annotations

import pytest

from uprgraph.store.base import StoreError
from uprgraph.store.http import PASSWORD_ENV, USER_ENV, credentials
from uprgraph.store.remote import NO_GRAPH, published_name, release_graph, scope_query

BASE = "http://localhost:8080/"
ONTOLOGY = BASE + "graph/ontology/upr"
GRAPHS = {ONTOLOGY: release_graph("r1", ONTOLOGY)}


def test_graph_names_resolve_against_base_and_prefixes():
    query = ("BASE <http://localhost:8080/> PREFIX g: <graph/ontology/> "
             "SELECT * FROM <graph/ontology/upr> FROM NAMED g:upr "
             "FROM NAMED <urn:x-uprgraph:releases> "
             "WHERE { GRAPH g:upr { ?s ?p 'GRAPH <graph/ontology/upr>' } GRAPH ?g { } }")
    scoped = scope_query(query, GRAPHS)
    stored = GRAPHS[ONTOLOGY]
    assert scoped.default == [stored]
    assert scoped.named == [stored, NO_GRAPH]
    assert f"GRAPH <{stored}>" in scoped.text
    assert "'GRAPH <graph/ontology/upr>'" in scoped.text  # a string is left alone
    assert "urn:x-uprgraph:releases" not in scoped.text
    assert published_name(stored) == ONTOLOGY and published_name(ONTOLOGY) == ONTOLOGY


def test_credentials_from_the_environment_come_in_pairs(monkeypatch, tmp_path):
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.delenv(USER_ENV, raising=False)
    assert credentials("https://store.example/sparql") is None
    monkeypatch.setenv(USER_ENV, "pub")
    with pytest.raises(StoreError, match=f"set both {USER_ENV} and {PASSWORD_ENV}"):
        credentials("https://store.example/sparql")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert credentials("https://store.example/sparql") == ("pub", "s3cret")


def test_credentials_from_netrc_by_host(monkeypatch, tmp_path):
    for name in (USER_ENV, PASSWORD_ENV):
        monkeypatch.delenv(name, raising=False)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine store.example login pub password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert credentials("https://store.example:8890/sparql-auth") == ("pub", "s3cret")
    assert credentials("https://other.example/sparql") is None
