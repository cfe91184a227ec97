"""One process loads an in-memory store; query workers are forked from it and share it.

With ``store = oxigraph-memory`` every query worker used to parse the release's
dump itself: the load took as long as that many parses sharing the cores, and
memory held one copy of the data per worker. Here a *zygote* process confines
itself as a worker does (:mod:`.confine`: no network, the address-space cap),
loads the store once, and then only forks: each child is a query worker that
answers on a socket handed to it, reading the parent's pages copy-on-write (the
store is never written after the load, so those pages stay shared). Children
inherit the confinement; a worker that overruns is still killed alone, and a
fresh one is forked from the loaded store in milliseconds instead of loading
the data again.

The zygote is the workers' parent, so it reports each one's exit status to the
pool (:class:`ForkedWorker` stands in for a ``Popen``): the pool tells a worker that
died of memory (an abort) from one that crashed, as with its own children.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle

from ..store.base import StoreError
from .executor import Limits, StoreSpec, confine, serve_jobs

log = logging.getLogger(__name__)
#: how often the zygote looks for children that ended (it reports them to the pool)
REAP_SECONDS = 0.1


class ForkedWorker:
    """A forked worker as the pool sees it: the parts of ``Popen`` the pool uses."""

    def __init__(self) -> None:
        self.pid = 0
        self.returncode: int | None = None
        self._started = threading.Event()
        self._ended = threading.Event()
        self._doomed = False
        #: its zygote is gone (the worker may still run, reparented)
        self._orphan = False

    def poll(self) -> int | None:
        if self._orphan and self.returncode is None:  # no zygote to report: ask the kernel
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self._ended_with(-signal.SIGKILL)  # its status went to its new parent
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"query worker {self.pid}", timeout or 0)
            self._ended.wait(0.05 if left is None else min(left, 0.05))
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        """SIGKILL; a worker not forked yet is killed as soon as it is."""
        self._doomed = True
        if self._started.is_set() and self.pid and self.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _ended_with(self, code: int) -> None:
        self.returncode = code
        self._ended.set()


def spawn(module: str, spec: StoreSpec, limits: Limits) -> tuple[subprocess.Popen, Connection]:
    """``python -m module FD``, talking over a socket pair, handed ``(spec, limits)`` first.

    A plain subprocess rather than ``multiprocessing``: it never re-imports the caller's
    ``__main__`` and behaves the same under waitress, gunicorn or tests.
    """
    ours, theirs = socket.socketpair()
    process = subprocess.Popen(
        [sys.executable, "-m", module, str(theirs.fileno())],
        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
    theirs.close()
    conn = Connection(ours.detach())
    conn.send((spec, limits))
    return process, conn


class Zygote:
    """The pool's side: starts the zygote, asks it for workers, hears of their ends."""

    def __init__(self, spec: StoreSpec, limits: Limits) -> None:
        self.process, self.conn = spawn("uprgraph.web.zygote", spec, limits)
        self._lock = threading.Lock()
        self._waiting: list[ForkedWorker] = []  # fork requests in the order sent
        self._children: dict[int, ForkedWorker] = {}
        threading.Thread(target=self._listen, daemon=True, name="uprgraph-zygote").start()

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, sock: socket.socket) -> ForkedWorker:
        """A worker that will answer on ``sock`` (its ``ready`` comes on the socket)."""
        child = ForkedWorker()
        with self._lock:
            try:
                self.conn.send("fork")
                send_handle(self.conn, sock.fileno(), self.process.pid)
            except OSError:
                child._ended_with(-signal.SIGKILL)  # no zygote: the worker never starts
                child._started.set()
                return child
            self._waiting.append(child)
        return child

    def _listen(self) -> None:
        while True:
            try:
                msg = self.conn.recv()
            except (EOFError, OSError):
                break
            if msg[0] == "dead":
                log.error("the in-memory store could not be loaded: %s", msg[1])
                continue
            with self._lock:
                if msg[0] == "forked":
                    child = self._waiting.pop(0)
                    child.pid = msg[1]
                    self._children[child.pid] = child
                    child._started.set()
                    if child._doomed:
                        child.kill()
                elif msg[0] == "exit" and msg[1] in self._children:
                    self._children.pop(msg[1])._ended_with(msg[2])
        with self._lock:  # the zygote is gone: so are the exit reports
            for child in self._waiting:  # never forked
                child._started.set()
                child._ended_with(-signal.SIGKILL)
            for child in self._children.values():
                child._orphan = True
            self._waiting.clear()

    def stop(self) -> None:
        """End the zygote (its workers are stopped by the pool, one by one)."""
        stop_process(self.conn, self.process, grace=2)


def stop_process(conn: Connection, process: subprocess.Popen | ForkedWorker, grace: float) -> None:
    """Ask a child on ``conn`` to exit (``None``); kill it if it has not within ``grace`` s."""
    try:
        conn.send(None)
    except OSError:
        pass
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _reap(conn: Connection) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn.send(("exit", pid, os.waitstatus_to_exitcode(status)))


def _zygote_main(conn: Connection) -> None:  # pragma: no cover - runs in the zygote
    spec, limits = conn.recv()
    defence = confine(spec, limits)
    try:
        store = spec.open()
    except (StoreError, OSError, RuntimeError, MemoryError) as exc:
        conn.send(("dead", str(exc)))
        return
    while True:
        _reap(conn)
        try:
            if not conn.poll(REAP_SECONDS):
                continue
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        fd = recv_handle(conn)
        pid = os.fork()
        if pid == 0:  # the worker: answers on its own socket until told to stop
            conn.close()
            worker = Connection(fd)
            worker.send(("ready", defence))
            try:
                serve_jobs(store, worker, limits.stack)
            finally:
                os._exit(0)
        os.close(fd)
        conn.send(("forked", pid))


if __name__ == "__main__":  # pragma: no cover
    _zygote_main(Connection(int(sys.argv[1])))
