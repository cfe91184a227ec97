"""Run one step of the build in a forked child process, beside the parent's own work.

SHACL validation of a whole release is CPU-bound work of its own: forked, it runs on
another core while the parent links, dumps and loads, and it sees the build's
in-memory store as it was at the fork, without a copy (pages are shared until one
side writes them). The result comes back pickled through a pipe.

The objects alive at the fork are frozen (:func:`gc.freeze`) until the result is in:
a garbage collection walking them, in the child or in the parent, would write to
every page they are on and so copy it, doubling what the two processes hold.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import pickle
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

T = TypeVar("T")


class ChildFailed(RuntimeError):
    """The child process ended without a result (killed, out of memory, a crash)."""


class Forked(Generic[T]):
    """``fn()`` running in a forked child; :meth:`result` waits for its value.

    Where the platform cannot fork, ``fn`` runs here, at once.
    """

    def __init__(self, fn: Callable[[], T], name: str = "step", collect: bool = False) -> None:
        """``collect``: the child collects garbage even if this process paused the
        collector (its own work makes cycles, linking's does not)."""
        self.name = name
        #: the child's own wall time, once its result arrived
        self.seconds: float | None = None
        self._outcome: tuple[bool, object, float] | None = None
        self._frozen = False
        if "fork" not in mp.get_all_start_methods():
            self._outcome = _outcome(fn)
            return
        context = mp.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(fn, send, collect),
                                        name=f"uprgraph-{name}")
        gc.freeze()
        self._frozen = True
        self._process.start()
        send.close()

    def done(self) -> bool:
        """Whether :meth:`result` would return (or raise) without waiting."""
        return self._outcome is not None or self._receive.poll()

    def result(self) -> T:
        """The child's return value; its exception raised here if it raised one."""
        if self._outcome is None:
            try:
                self._outcome = self._receive.recv()
            except EOFError:
                self._process.join()
                self._outcome = (False, ChildFailed(
                    f"the {self.name} process ended without a result "
                    f"(exit code {self._process.exitcode})"), 0.0)
            finally:
                self._receive.close()
                self._thaw()
            self._process.join()
        ok, value, self.seconds = self._outcome
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop the child if it still runs (the build failed for another reason)."""
        if self._outcome is None and self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._thaw()

    def _thaw(self) -> None:
        """Let garbage collection see the objects frozen at the fork again (once)."""
        if self._frozen:
            self._frozen = False
            gc.unfreeze()


def _outcome(fn: Callable[[], object]) -> tuple[bool, object, float]:
    start = time.perf_counter()
    try:
        value = fn()
    except BaseException as exc:  # handed to the parent, which raises it in result()
        exc.add_note(f"raised in the forked process:\n{traceback.format_exc()}")
        return False, exc, time.perf_counter() - start
    return True, value, time.perf_counter() - start


def _child(fn: Callable[[], object], send: Connection, collect: bool = False) -> None:
    if collect:
        gc.enable()
    outcome = _outcome(fn)
    try:
        send.send(outcome)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        send.send((False, ChildFailed(f"the result could not be sent back: {exc}; "
                                      f"it was {outcome[1]!r}"), outcome[2]))
    send.close()
