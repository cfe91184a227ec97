"""A client's malformed or hostile request is a 4xx with a message: bad IRIs, updates
hidden in a URL, forwarded headers from a direct client, oversized and slow requests."""

from __future__ import annotations

import socket
import time
import urllib.parse

import pytest

pytest_plugins = ["web_fixtures"]

BAD_PATHS = ["a%01b", "a%25zz", "%00", "state/KHM%7F", "a%09b", "a%0Ab", "a%20b", "a%3Cb%3E",
             "a%22b", "%7B%7D", "a%5Cb", "state/KHM%C2%85", "%E2%80%8B"]


@pytest.mark.parametrize("prefix", ["/doc/", "/id/"])
@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_iris_in_paths_are_404(live, prefix, path):
    for accept in ("text/html", "text/turtle", "*/*"):
        r = live.get(prefix + path, accept)
        assert r.status == 404, (prefix + path, r.status, r.body[:200])
        assert b"Traceback" not in r.body and b"/tmp" not in r.body


@pytest.mark.parametrize("params", [
    "default-graph-uri=not%20an%20iri", "default-graph-uri=", "named-graph-uri=%3C%3E",
    "named-graph-uri=a%25zz", "default-graph-uri=http://x/%01",
])
def test_bad_graph_parameters_are_400(live, params):
    r = live.get(f"/sparql?query=ASK%7B%7D&{params}")
    assert r.status == 400, (r.status, r.body)
    assert "not an absolute IRI" in r.text
    body = urllib.parse.urlencode({"query": "ASK {}"}) + "&" + params
    r = live.request("POST", "/sparql", body,
                     {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400, (r.status, r.body)


def test_update_in_url_of_a_form_post_is_refused(live):
    for url in ("/sparql?update=x", "/sparql?update=INSERT%20DATA%7B%7D",
                "/sparql?using-graph-uri=http://x/"):
        r = live.request("POST", url, "query=ASK%7B%7D",
                         {"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 403 and "read-only" in r.text, (url, r.status)
        r = live.request("POST", url, "ASK {}", {"Content-Type": "application/sparql-query"})
        assert r.status == 403, (url, r.status)


def test_forwarded_headers_ignored_by_default(live):
    """No proxy declared (forwarded_hops = 0): a direct client cannot move the site."""
    evil = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/x", "Forwarded": "host=evil.example;proto=https"}
    r = live.get("/id/state/KHM", **{k.replace("-", "_"): v for k, v in evil.items()})
    assert r.status == 303
    assert r.header("Location") == f"{live.url}doc/state/KHM"
    page = live.get("/doc/state/KHM", "text/html",
                    **{k.replace("-", "_"): v for k, v in evil.items()})
    assert page.status == 200 and "evil.example" not in page.text


@pytest.fixture()
def hardened(web_settings):
    """The app on the server ``uprgraph serve`` runs (short timeouts, few connections)."""
    import threading
    from dataclasses import replace

    from web_fixtures import Server

    from uprgraph.web import create_app
    from uprgraph.web.server import create

    settings = replace(web_settings, channel_timeout=2, connection_limit=20)
    app = create_app(settings)
    httpd = create(app, settings, threads=4, host="127.0.0.1", port=0)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    port = httpd.effective_port
    yield Server(f"http://127.0.0.1:{port}/", "127.0.0.1", port, app)
    httpd.shutdown(thread)
    app.extensions["uprgraph"].close()


def test_slow_clients_are_cut_off(hardened):
    """More trickling connections than the connection limit: each is closed once its
    request is channel_timeout seconds old, even though it keeps sending, and the
    server answers again right after."""
    slow = []
    for _ in range(25):
        s = socket.create_connection((hardened.host, hardened.port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    closed_at = None
    started = time.monotonic()
    while time.monotonic() - started < 8:
        for s in slow:
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed_at = closed_at or time.monotonic() - started
        if closed_at:
            break
        time.sleep(0.3)
    assert closed_at is not None and closed_at < 6, closed_at
    for s in slow:
        s.close()
    assert hardened.get("/sparql?query=ASK%7B%7D").status == 200
    r = hardened.get("/sparql?query=ASK%7B%7D", accept="text/html;q=0.1, " * 1200)  # 20 kB
    assert r.status == 431
