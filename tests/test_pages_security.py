"""HTML answers carry the security headers; only http(s) IRIs become links (issue: an IRI
bound in a query as ``javascript:...`` rendered as a clickable link)."""

from __future__ import annotations

import urllib.parse

from lxml import html as lhtml

pytest_plugins = ["web_fixtures"]


def test_only_http_iris_become_links_in_query_results(live):
    query = ('SELECT ?x ?y ?z WHERE { BIND(IRI("javascript:alert(document.domain)") AS ?x) '
             'BIND(IRI("data:text/html,<b>x</b>") AS ?y) '
             'BIND(IRI("https://example.org/a") AS ?z) }')
    reply = live.get("/sparql?" + urllib.parse.urlencode({"query": query, "format": "html"}))
    assert reply.status == 200
    doc = lhtml.fromstring(reply.text)
    hrefs = [a.get("href") for a in doc.cssselect("table.results a")]
    assert hrefs == ["https://example.org/a"]
    assert "javascript:alert(document.domain)" in doc.cssselect("table.results")[0].text_content()


def test_html_pages_carry_the_security_headers(live):
    for path in ("/", "/sparql", "/search", "/doc/state/KHM", "/doc/review/KHM/3",
                 "/doc/recommendation/KHM/3/110.1", "/no/such/page"):
        reply = live.get(path, accept="text/html")
        assert reply.media_type == "text/html", path
        csp = reply.header("Content-Security-Policy")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]\
            .split(";")[0], path
        assert "frame-ancestors 'none'" in csp, path
        assert reply.header("X-Content-Type-Options") == "nosniff", path
        assert reply.header("Referrer-Policy"), path
        doc = lhtml.fromstring(reply.text)
        inline = [s for s in doc.cssselect("script")
                  if not s.get("src") and s.get("type") != "application/ld+json"]
        assert inline == [], path


def test_other_answers_are_not_sniffed(live):
    reply = live.get("/doc/state/KHM.ttl")
    assert reply.header("X-Content-Type-Options") == "nosniff"
