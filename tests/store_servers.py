"""Real SPARQL stores on loopback for the publish tests: ``oxigraph serve`` and Virtuoso 7,
each on a throwaway database in a temporary directory, stopped afterwards.

Virtuoso runs from ``virtuoso-t`` (Debian package ``virtuoso-opensource``, installed by
``.ci/run``) with its own ``virtuoso.ini`` on free ports; ``isql-vt`` then replaces the
default DBA password and creates the user that publishes (digest auth, ``SPARQL_UPDATE``).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from web_fixtures import free_port

BIN = Path(sys.executable).parent
VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
StopCompilerWhenXOverRunTime = 1
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 10
MaxClientConnections = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 30
"""
VIRTUOSO_SETUP = """\
DB.DBA.USER_CREATE ('{user}', '{password}');
GRANT SPARQL_UPDATE TO "{user}";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{user}', 7);
SET PASSWORD "dba" "{dba_password}";
"""


@dataclass
class StoreServer:
    """A running store: its endpoints and the credentials that may write to it."""

    name: str
    query_url: str
    update_url: str
    store_url: str
    user: str = ""
    password: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False)

    def settings(self) -> dict[str, object]:
        return {"store": "remote", "remote_query_url": self.query_url,
                "remote_update_url": self.update_url, "remote_store_url": self.store_url}

    def env(self, password: str | None = None) -> dict[str, str]:
        """``UPRGRAPH_*`` variables for a ``uprgraph`` process publishing to this store."""
        env = {f"UPRGRAPH_{k.upper()}": str(v) for k, v in self.settings().items()}
        if self.user:
            env["UPRGRAPH_STORE_USER"] = self.user
            env["UPRGRAPH_STORE_PASSWORD"] = self.password if password is None else password
        return env


def wait_http(url: str, seconds: float, proc: subprocess.Popen, log: Path | None = None) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > end:
                detail = log.read_text(errors="replace")[-500:] if log and log.exists() else ""
                raise RuntimeError(f"the store at {url} did not start: {detail}") from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(10)


def start_oxigraph(folder: Path) -> StoreServer:
    exe = BIN / "oxigraph"
    if not exe.exists():
        pytest.skip("the `oxigraph` executable (PyPI package oxigraph, a test extra) "
                    "is not installed")
    port = free_port()
    proc = subprocess.Popen([str(exe), "serve", "--location", str(folder),
                             "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/query?query=ASK%7B%7D", 20, proc)
    return StoreServer("oxigraph", url + "/query", url + "/update", url + "/store",
                       process=proc)


def start_virtuoso(folder: Path) -> StoreServer:
    exe, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if exe is None or isql is None:
        pytest.skip("Virtuoso is not installed (virtuoso-t, isql-vt: Debian package "
                    "virtuoso-opensource; .ci/run installs it)")
    db = folder / "db"
    db.mkdir()
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=db, sql_port=sql_port, http_port=http_port))
    proc = subprocess.Popen([exe, "-f", "-c", str(ini)], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_http(url + "/sparql?query=ASK%7B%7D", 90, proc, db / "virtuoso.log")
        user, password = "uprgraph", secrets.token_urlsafe(12)
        setup = folder / "setup.sql"
        setup.write_text(VIRTUOSO_SETUP.format(user=user, password=password,
                                               dba_password=secrets.token_urlsafe(12)))
        # a fresh database's DBA password is "dba": replaced at once by the script
        done = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", str(setup)],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or "Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql-vt failed: {done.stdout[-300:]} {done.stderr[-300:]}")
    except BaseException:
        stop(proc)
        raise
    return StoreServer("virtuoso", url + "/sparql", url + "/sparql-auth",
                       url + "/sparql-graph-crud-auth", user, password, proc)


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store_server(request, tmp_path_factory) -> Iterator[StoreServer]:
    """Each engine in turn, one server per module (Virtuoso takes seconds to start)."""
    folder = tmp_path_factory.mktemp(request.param)
    server = (start_oxigraph if request.param == "oxigraph" else start_virtuoso)(folder)
    try:
        yield server
    finally:
        assert server.process is not None
        stop(server.process)
