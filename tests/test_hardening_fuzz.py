"""Fuzzing the server over HTTP: never a 500, never a traceback or a local path.

Hypothesis generates paths (with broken percent-encoding), query strings, SPARQL
texts, Accept headers, form bodies and dataset IRIs; every answer must be a 2xx,
3xx or 4xx (or the documented 503 of a query over its time), and its body must
hold no traceback and no local path. Examples are bounded so the module takes
seconds; the counts are printed (``pytest -s``).
"""

from __future__ import annotations

import urllib.parse

import pytest
from hardening_helpers import Tally, leaks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest_plugins = ["web_fixtures"]

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

PREFIXES = ["/doc/", "/id/", "/def/", "/dumps/", "/sparql", "/", "/.well-known/void",
            "/links-report.json", "/doc/state/", "/id/recommendation/KHM/3/"]
SPARQL_WORDS = ["SELECT", "*", "WHERE", "{", "}", "?s", "?p", "?o", "ASK", "CONSTRUCT",
                "DESCRIBE", "<http://x/>", "<>", "<'>'", "'", '"', "'''", "#", "\\u0053",
                "FILTER", "(", ")", "<", ">", "BIND", "AS", "LIMIT", "10", "GRAPH", "OPTIONAL",
                "UNION", "PREFIX", "a:", "a:b", "BASE", "SERVICE", "INSERT", "DATA", "DELETE",
                ";", ".", ",", "FROM", "NAMED", "VALUES", "ORDER", "BY", "COUNT", "@en",
                "^^", "1.5e3", "_:b", "[]", "\\", "\x00", "é", "\U0001F600", "$x"]
ACCEPT_PARTS = ["text/html", "*/*", "application/sparql-results+json", "text/turtle",
                "application/ld+json", "text/csv", "application/n-triples", ";q=0", ";q=1",
                ";q=0.5", ";q=x", ",", ";", "=", "*", "/", "charset=utf-8", "a/b", " ", "q",
                "application/*", "text/*;level=1", "\t"]

tally = Tally()


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print(f"\nfuzz: {tally.total} requests, statuses {dict(sorted(tally.counts.items()))}")


def _check(server, reply, what: str) -> None:
    tally.add(reply.status)
    project = str(server.app.extensions["uprgraph"].settings.project_dir)
    assert reply.status < 500 or (reply.status == 503 and b"timeout" in reply.body), \
        (what, reply.status, reply.body[:300])
    assert not leaks(reply.body, project, "/tmp/", "/work/"), (what, reply.body[:300])


sparql_text = st.lists(st.one_of(st.sampled_from(SPARQL_WORDS), st.text(max_size=8)),
                       max_size=25).map(" ".join)
encoded = st.text(max_size=40).map(lambda t: urllib.parse.quote(t, safe="/"))
raw_percent = st.lists(st.one_of(
    st.sampled_from(["%", "%0", "%zz", "%00", "%7F", "%25", "%2F", "%C0%AF", "%FF", "..", "//",
                     "%E2%80%AE", "%0A", "%3C", "%3E", "%22", "%5C", ".ttl", ".html", ".jsonld"]),
    st.from_regex(r"[A-Za-z0-9_\-.~]{0,6}", fullmatch=True)), max_size=10).map("".join)
accept = st.lists(st.sampled_from(ACCEPT_PARTS), max_size=12).map("".join)


@FUZZ
@given(prefix=st.sampled_from(PREFIXES), tail=st.one_of(encoded, raw_percent), acc=accept)
def test_paths(live, prefix, tail, acc):
    path = prefix + tail
    r = live.request("GET", path, headers={"Accept": acc} if acc else {})
    _check(live, r, path)


@FUZZ
@given(query=sparql_text, acc=accept, fmt=st.one_of(st.none(), st.text(max_size=10)),
       graphs=st.lists(st.tuples(st.sampled_from(["default-graph-uri", "named-graph-uri"]),
                                 st.one_of(st.text(max_size=20), st.just("http://x/g"))),
                       max_size=2))
def test_queries(live, query, acc, fmt, graphs):
    params = [("query", query), *graphs] + ([("format", fmt)] if fmt is not None else [])
    qs = urllib.parse.urlencode(params)
    r = live.request("GET", "/sparql?" + qs, headers={"Accept": acc} if acc else {})
    _check(live, r, qs)
    r = live.request("POST", "/sparql", qs,
                     {"Content-Type": "application/x-www-form-urlencoded", "Accept": acc})
    _check(live, r, qs)
    r = live.request("POST", "/sparql?" + urllib.parse.urlencode(graphs), query,
                     {"Content-Type": "application/sparql-query"})
    _check(live, r, query)


@FUZZ
@given(body=st.binary(max_size=200), ctype=st.sampled_from([
    "application/x-www-form-urlencoded", "application/sparql-query", "application/sparql-update",
    "application/x-www-form-urlencoded; charset=latin-1", "text/plain", "",
    "multipart/form-data; boundary=x", "application/sparql-query; charset=utf-16"]),
    url=st.sampled_from(["/sparql", "/sparql?query=ASK%7B%7D", "/sparql?update=x",
                         "/sparql?%zz=%", "/doc/state/KHM", "/"]))
def test_bodies(live, body, ctype, url):
    r = live.request("POST", url, body, {"Content-Type": ctype} if ctype else {})
    _check(live, r, f"{url} {ctype} {body[:40]!r}")
