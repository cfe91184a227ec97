"""A serving process on granian (Rust's hyper behind a WSGI interface) instead of waitress.

With ``http_server = "granian"``, each process :mod:`.prefork` forks serves the
inherited listening socket with one granian worker, started in this process (granian
forks nothing here): parsing, keep-alive and writing happen in Rust threads, and only
the application runs in Python threads. What waitress and :class:`.server.HardenedServer`
guarantee is kept thus:

- hyper's ``header_read_timeout`` (``channel_timeout``) closes a connection whose header
  block is incomplete that long after it began, however slowly it trickles in, and one
  idle (kept alive, or silent since it connected) that long;
- a header block larger than ``max_header_bytes`` (hyper's read buffer, at least 8 kB)
  gets a 431;
- ``connection_limit`` connections at most are served at once (granian's backpressure);
  more wait in the listen backlog;
- hyper has no timeout for a request body, and a read of one cannot be abandoned:
  :class:`Buffered` reads a body (at most ``max_request_bytes`` + 1 bytes) before the
  application runs, and once a quarter of the HTTP threads (``--threads``) have been
  reading a body for longer than ``channel_timeout``, the process retires as after a
  query overrun: it stops accepting (the parent forks a fresh process at once) and its
  exit closes those connections;
- a process retires (stops accepting, lets its connections finish, exits at a deadline)
  on SIGTERM, after a query overran, or when its parent is gone; unlike waitress, it
  closes a connection it accepted whose request has not arrived yet (hyper's graceful
  shutdown), which is why waitress stays the default.

Granian's worker classes are its internal API (``granian._granian``): the version is
pinned to a range this module was written against.
"""

from __future__ import annotations

import io
import itertools
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from granian._futures import _new_cbscheduler
from granian._granian import SocketHolder, WorkerSignal, WSGIWorker
from granian._loops import loops
from granian.http import HTTP1Settings

from .stacks import SMALLEST

if TYPE_CHECKING:
    from ..config import Settings

Wsgi = Callable[[dict, Callable], Iterable[bytes]]
#: hyper's smallest read buffer (it refuses a smaller one)
MIN_BUFFER = 8192
#: the listen backlog granian sets again on the inherited socket (as :func:`.prefork.bind`)
BACKLOG = 1024
#: a request body is read in pieces of this size
CHUNK = 65536
#: tokio's pool for blocking Rust work (a WSGI worker uses none; granian's default is 512
#: threads, whose stacks count against the ``query_memory_mb`` address-space cap)
RUST_BLOCKING_THREADS = 4
#: stack of granian's threads (those that run the application): a Python thread's usual
RUST_STACK = SMALLEST
#: how often a retiring process looks whether it is done
TICK = 0.2


class _Reply:
    """The ``start_response`` of one request: what the application answered."""

    __slots__ = ("status", "headers")

    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]],
                 exc_info: object = None) -> None:
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers


class _Iterated:
    """A streamed answer handed to granian, which calls ``close`` once it is sent."""

    __slots__ = ("inner", "__next__")

    def __init__(self, inner: Iterable[bytes]) -> None:
        self.inner = inner
        self.__next__ = iter(inner).__next__

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


class Buffered:
    """Reads a request's body before the application runs, and knows which reads are late.

    waitress buffers bodies itself; hyper hands the application a stream that blocks
    until the client sends, and a read cannot be abandoned (granian's body stream must
    be read in the request's own thread: read from another, it held up the answers of
    other requests). So a body is read here, at most ``max_request_bytes`` + 1 bytes
    (the application answers 413 beyond), and :meth:`late` counts the reads still going
    ``channel_timeout`` seconds after they began: the server retires once
    ``stuck_limit`` of them hold request threads, and its exit closes their connections."""

    def __init__(self, app: Wsgi, settings: Settings, threads: int) -> None:
        self.app = app
        self.limit = settings.max_request_bytes
        self.timeout = float(settings.channel_timeout)
        self.stuck_limit = max(1, threads // 4)
        self._lock = threading.Lock()
        self._reading: dict[int, float] = {}  # read -> when it began (monotonic)
        self._reads = itertools.count()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH", "")
        if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            if not length.isdigit() or int(length) == 0:
                return self.app(environ, start_response)  # no body
            if int(length) > self.limit:
                return self.app(environ, start_response)  # the application answers 413 unread
        body = self._read(environ["wsgi.input"])
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _read(self, stream: io.RawIOBase) -> bytes:
        read = next(self._reads)
        with self._lock:
            self._reading[read] = time.monotonic()
        parts: list[bytes] = []
        size = 0
        try:
            while size <= self.limit:
                piece = stream.read(min(CHUNK, self.limit + 1 - size))
                if not piece:
                    break
                parts.append(piece)
                size += len(piece)
        finally:
            with self._lock:
                del self._reading[read]
        return b"".join(parts)

    def late(self, now: float) -> int:
        """How many bodies are still being read ``channel_timeout`` after they began."""
        with self._lock:
            return sum(1 for began in self._reading.values() if now - began > self.timeout)


def _identified(app: Wsgi, ident: str) -> Wsgi:
    """``app`` answering with a ``Server`` header, as waitress's ``ident`` does."""
    server = ("Server", ident)

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: object = None):
            headers.append(server)
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wsgi


def _runner(app: Wsgi) -> Callable[[Any, dict], int]:
    """What granian calls in a Python thread for each request (``scope``: the environ
    granian made, less what every request shares)."""
    shared = {
        "GATEWAY_INTERFACE": "CGI/1.1", "SCRIPT_NAME": "", "SERVER_SOFTWARE": "uprgraph",
        "wsgi.errors": sys.stderr, "wsgi.input_terminated": True,
        "wsgi.multiprocess": True, "wsgi.multithread": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }

    def run(proto: Any, scope: dict) -> int:  # proto: granian's, for this request
        reply = _Reply()
        answer = app(shared | scope, reply)
        if isinstance(answer, list):
            proto.response_bytes(reply.status, reply.headers, b"".join(answer))
        else:
            proto.response_iter(reply.status, reply.headers, _Iterated(answer))
        return reply.status

    return run


class GranianServer:
    """One granian worker serving ``app`` on an inherited listening socket, in this process."""

    def __init__(self, app: Wsgi, settings: Settings, threads: int,
                 sock: socket.socket) -> None:
        self.settings = settings
        #: when a retiring server ends its process at the latest (``time.monotonic()``)
        self.retiring: float | None = None
        #: the process that forked this one: the server retires if it is gone
        self.parent: int | None = None
        self.signal = WorkerSignal()
        self.stopped = threading.Event()
        self.signal.add_cb(self.stopped.set)  # called once every connection has ended
        self.buffered = Buffered(app, settings, threads)
        #: set by the owner: what to do when this server must retire on its own
        self.on_retire: Callable[[], None] = lambda: None
        # granian's threads are started by Rust, with Rust's 2 MiB stack unless this says
        # otherwise (read when the first one starts); a request thread evaluates a query
        # only if its stack holds it (:mod:`.stacks`), else hands it to a query thread
        os.environ.setdefault("RUST_MIN_STACK", str(RUST_STACK))
        self.worker = WSGIWorker(
            worker_id=1, sock=(None, SocketHolder(sock.fileno(), False, BACKLOG)), ipc=None,
            threads=1, blocking_threads=RUST_BLOCKING_THREADS, py_threads=max(1, threads),
            py_threads_idle_timeout=30, backpressure=max(1, settings.connection_limit),
            http_mode="1",
            http1_opts=HTTP1Settings(
                header_read_timeout=int(settings.channel_timeout * 1000), keep_alive=True,
                max_buffer_size=max(MIN_BUFFER, settings.max_header_bytes)),
        )

    def pull_trigger(self) -> None:
        """Nothing to wake (waitress's loop needs it): the worker signal is enough."""

    def retire(self, deadline: float) -> None:
        """Stop accepting and close idle connections; the process ends once the others
        are done, or at ``deadline`` (a ``time.monotonic()``)."""
        if self.retiring is not None:
            return
        self.retiring = deadline
        self.signal.set()

    def run(self) -> None:
        """Serve until retired, then end the process."""
        loop = loops.get("auto")
        app = _runner(_identified(self.buffered, "uprgraph"))
        scheduler = _new_cbscheduler(loop, app, impl_asyncio=False)
        self.worker.serve_mtr(scheduler, loop, self.signal)
        while True:
            if self.stopped.wait(TICK):
                os._exit(0)
            if self.retiring is None and self.buffered.late(time.monotonic()) >= \
                    self.buffered.stuck_limit:
                self.on_retire()  # its exit closes the connections that trickle bodies
            if (self.parent is not None and self.retiring is None
                    and os.getppid() != self.parent):
                self.retire(time.monotonic() + self.settings.channel_timeout)
            if self.retiring is not None and time.monotonic() >= self.retiring:
                os._exit(0)
