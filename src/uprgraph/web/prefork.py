"""``serve_processes``: several HTTP serving processes forked from one process holding the store.

In the worker-pool design every query crosses a socket pair to a worker process
and back, and one HTTP process (one GIL) answers everything. Here the parent
process

1. binds the listening socket (in the host's network),
2. confines itself as a query worker does (:mod:`.confine`: a new network
   namespace, else a seccomp filter; the address-space cap),
3. loads the release into memory (the app, with :class:`.inprocess.ThreadExecutor`;
   an on-disk store is opened by each child instead, after the fork),
4. forks ``serve_processes`` children and never answers a request itself.

Each child inherits the confinement and the listening socket (a socket keeps
working in the namespace it was created in), serves HTTP on it (``http_server``:
granian, :mod:`.granian_server`, or waitress, :mod:`.server`) and evaluates
queries in its own threads (:mod:`.inprocess`), reading the parent's pages
copy-on-write. A child whose query overran its deadline answers 503, stops
accepting, finishes its other requests and exits; the parent forks a fresh one
at once. The parent follows ``.uprgraph/current``: on a new release it loads it,
forks a new generation and lets the old one finish its requests and exit.
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import socket
import time
import traceback
from typing import TYPE_CHECKING

from ..config import ConfigError
from ..store.base import StoreError
from .confine import isolate_network, limit_memory

if TYPE_CHECKING:
    from flask import Flask

    from ..config import Settings
    from .granian_server import GranianServer
    from .server import HardenedServer

log = logging.getLogger(__name__)
#: how often the parent looks at its children and at ``current``
TICK = 0.5
#: a retiring child ends at the latest this long after its query timeout (so does a stop)
GRACE = 5.0
#: after a child failed, the next is forked this much later at the earliest
RESPAWN_PAUSE = 1.0
PR_SET_PDEATHSIG = 1
#: glibc ``mallopt`` parameter, and how many arenas a serving process may have
M_ARENA_MAX = -8
MALLOC_ARENAS = 2
#: the ``http_server`` setting's choices (the first is the default)
HTTP_SERVERS = ("waitress", "granian")


def bind(settings: Settings) -> socket.socket:
    """The listening socket every serving process accepts on."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    return socket.create_server((settings.host, settings.port), family=family, backlog=1024)


def confine_self(settings: Settings) -> str | None:
    """No network and the address-space cap for this process and all it forks."""
    defence = isolate_network()
    limit_memory(settings.query_memory_mb)
    few_arenas()
    return defence


def few_arenas() -> None:
    """At most ``MALLOC_ARENAS`` glibc malloc arenas in this process and its children.

    Queries run in several threads of each serving process; glibc gives threads
    arenas of their own and keeps what a query freed in each, so after a few large
    queries every serving process held hundreds of MB it no longer used (a worker
    process, one thread, has one arena). ``mallopt`` is glibc's; elsewhere nothing."""
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_ARENA_MAX, MALLOC_ARENAS)


class Supervisor:
    """The parent: forks serving children from the loaded app and replaces them."""

    def __init__(self, app: Flask, sock: socket.socket, settings: Settings, threads: int,
                 processes: int) -> None:
        self.app = app
        self.site = app.extensions["uprgraph"]
        self.sock = sock
        self.settings = settings
        self.threads = threads
        self.processes = max(1, processes)
        self.generation = 0
        #: pid -> generation of every child not yet reaped
        self.children: dict[int, int] = {}
        #: children that are retiring (not counted as serving)
        self.retiring: set[int] = set()
        self.reports, self._report_w = os.pipe()
        self.stopping = False
        self._last_failure = 0.0
        self.parent = os.getpid()

    # -- the parent's loop -------------------------------------------------------
    def run(self) -> None:
        self._fill()
        while not self.stopping:
            ready, _, _ = select.select([self.reports], [], [], TICK)
            if ready:
                self._read_reports()
            self._reap()
            self._follow()
            self._fill()
        self._stop_all()

    def stop(self, *_: object) -> None:
        self.stopping = True

    def serving(self) -> list[int]:
        return [pid for pid, gen in self.children.items()
                if gen == self.generation and pid not in self.retiring]

    def _fill(self) -> None:
        while not self.stopping and len(self.serving()) < self.processes:
            if time.monotonic() < self._last_failure + RESPAWN_PAUSE:
                return  # a child just failed (say, the store would not open): do not spin
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                try:
                    self._child()
                except BaseException:  # a bug: said on stderr; the parent forks another
                    traceback.print_exc()
                    os._exit(1)
                os._exit(0)
            self.children[pid] = self.generation

    def _read_reports(self) -> None:
        data = os.read(self.reports, 4096)
        for line in data.decode().split():
            self.retiring.add(int(line))

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.pop(pid, None)
            self.retiring.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            if code != 0 and not self.stopping:
                self._last_failure = time.monotonic()
                log.warning("serving process %d ended with %s; forking another", pid, code)

    def _follow(self) -> None:
        """A new release behind ``current``: load it, then replace every child."""
        target = self.site.new_release()
        if target is None or not self.site.switch(target):  # not served: keep the old one
            return
        self.generation += 1
        for pid, gen in list(self.children.items()):
            if gen < self.generation:
                self._signal(pid, signal.SIGTERM)

    def _signal(self, pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _stop_all(self) -> None:
        for pid in list(self.children):
            self._signal(pid, signal.SIGTERM)
        end = time.monotonic() + self.settings.query_timeout + GRACE
        while self.children and time.monotonic() < end:
            self._reap()
            time.sleep(0.05)
        for pid in list(self.children):
            self._signal(pid, signal.SIGKILL)
        while self.children:
            self._reap()
            time.sleep(0.01)

    # -- a child ---------------------------------------------------------------
    def _child(self) -> None:  # pragma: no cover - runs in the forked child
        asked: list[object] = []  # a SIGTERM before the server exists: retire at once
        signal.signal(signal.SIGTERM, lambda *_: asked.append(True))
        if self.stopping:  # it came while the parent's handler was still ours
            asked.append(True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops us
        _end_with_parent(self.parent)
        os.close(self.reports)
        site = self.site
        site.following = False
        try:
            site.executor.prepare()
        except (StoreError, OSError, RuntimeError) as exc:  # RocksDB: RuntimeError
            log.error("a serving process could not open the store: %s", exc)
            os._exit(1)
        server = self._server()
        server.parent = self.parent
        report = self._report_w
        pid = os.getpid()

        def retire(*_: object) -> None:
            if server.retiring:
                return
            server.retire(time.monotonic() + self.settings.query_timeout + GRACE)
            try:
                os.write(report, f"{pid}\n".encode())
            except OSError:
                pass
            server.pull_trigger()

        signal.signal(signal.SIGTERM, retire)
        site.executor.on_overrun = retire
        if self.settings.http_server == "granian":
            server.on_retire = retire  # bodies trickled in hold its threads
        if asked:
            retire()
        server.run()

    def _server(self) -> HardenedServer | GranianServer:  # pragma: no cover - in a child
        if self.settings.http_server == "granian":
            from .granian_server import GranianServer

            return GranianServer(self.app, self.settings, self.threads, self.sock)
        from .server import create

        return create(self.app, self.settings, self.threads, _sock=self.sock)


def _end_with_parent(parent: int) -> None:  # pragma: no cover - in a child
    """Get SIGTERM (and so retire) if the parent dies (Linux ``prctl``), not serve orphaned."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the call
        os._exit(0)


def check_http_server(settings: Settings) -> None:
    """The ``http_server`` setting names a server that can run here."""
    if settings.http_server not in HTTP_SERVERS:
        raise ConfigError(f"setting 'http_server': {settings.http_server!r} is not one of "
                          f"{', '.join(HTTP_SERVERS)}")
    if settings.http_server == "granian":
        try:
            import granian._granian  # noqa: F401
        except ImportError as exc:
            raise ConfigError(f"setting 'http_server' is 'granian', which cannot be loaded "
                              f"here: {exc}") from exc


def serve(settings: Settings, threads: int, echo) -> None:
    """``uprgraph serve`` with ``serve_processes`` > 0 (an Oxigraph store, in memory or
    on disk)."""
    from . import create_app

    check_http_server(settings)
    sock = bind(settings)
    defence = confine_self(settings)
    app = create_app(settings, inprocess=True, defence=defence)
    supervisor = Supervisor(app, sock, settings, threads, settings.serve_processes)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    port = sock.getsockname()[1]
    echo(f"uprgraph: {app.extensions['uprgraph'].defence_line()}")
    echo(f"uprgraph: {supervisor.processes} serving processes ({settings.http_server}), "
         "forked from this one "
         f"(pid {os.getpid()}), which holds the store and follows new releases")
    echo(f"uprgraph: serving on http://{settings.host}:{port}/ (SPARQL at /sparql); "
         "Ctrl-C to stop")
    supervisor.run()
