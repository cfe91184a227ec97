"""Threads whose stack holds the deepest query the endpoint accepts.

pyoxigraph's parser, optimiser and evaluator recurse on a query's structure, and
a Rust stack overflow ends the whole process (SIGSEGV), with every request it
holds. So a query's size is bounded first (``max_query_tokens``, counted by
:func:`uprgraph.store.analysis.analyse`, refused with a 400 beyond), and it is then
evaluated only on a thread whose stack holds the worst query of that size:

- query threads (:mod:`.inprocess`), the thread of an inline executor, and a
  worker process's loop (:mod:`.executor`, :mod:`.zygote`) are started with
  :func:`evaluation_stack` for the limit;
- a request thread (waitress's, or granian's, which Rust starts) evaluates a query
  itself only when :func:`fits` says its own stack holds it; otherwise the query
  goes to a query thread.

The figures: the peak stack a query touched (the Rss of its thread's stack mapping,
pyoxigraph 0.5.13 on x86_64), per token of ``analyse().size``, for queries of 2,000
tokens of each shape (and 4,000 for the worst, which scale linearly): ``DESCRIBE``
of many IRIs 3.13 KiB, nested ``COALESCE(COALESCE(...))`` 2.95, other nested calls
(``ABS``, ``STR``, in ``ORDER BY`` or aggregates) 2.86, an RDF collection ``(?a ?b
...)`` 2.00, nested groups ``{{...}}`` 1.87, ``FILTER EXISTS`` nesting 1.41, ``IF``
nesting 1.23, nested parens and ``!`` chains in expressions 0.88, nested
``GRAPH`` 0.71, nested subqueries 0.65, ``+`` chains 0.60, nested OPTIONALs, MINUS
and BIND chains 0.53, path sequences 0.51, path alternatives 0.38, ``&&``/``||``
chains 0.30, flat triple patterns 0.26, UNION chains 0.22; VALUES rows, ``IN``
lists, ``ORDER BY`` and ``GROUP BY`` lists, CONSTRUCT templates nearly nothing.
Some shapes are planned for minutes at that size (flat triple patterns, OPTIONAL
chains, path sequences, collections): their figure is the peak reached in their
first 8 s (40 s at 4,000 tokens). So a token is given twice the worst
(:data:`PER_TOKEN`), plus :data:`BASE` for the frames of the server and the
application below the query; at the default limit of 4,000 tokens that is a 26 MiB
stack (the worst query of 4,000 tokens touches 12.5 MiB). A stack is address
space: only the pages a query touches are memory, but the whole counts against
``query_memory_mb``, so only the threads that evaluate get one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

#: stack given to each token of a query: twice the worst measured (3.13 KiB, see above)
PER_TOKEN = 6.4 * 1024
#: what the frames below the query (server, application, Python) may take
BASE = 512 * 1024
MIB = 1024 * 1024
#: no evaluating thread gets less than this (the usual default of a Python thread)
SMALLEST = 8 * MIB

_local = threading.local()
#: threading.stack_size() is global: one thread is started with another size at a time
_sizing = threading.Lock()


def needed(tokens: int) -> int:
    """Bytes of stack the deepest query of ``tokens`` tokens may need, with the margin."""
    return BASE + int(tokens * PER_TOKEN)


def evaluation_stack(max_tokens: int) -> int:
    """The stack of a thread that evaluates any query the limit lets in (whole MiB)."""
    return max(SMALLEST, math.ceil(needed(max_tokens) / MIB) * MIB)


def _pthread() -> tuple[Callable, Callable, Callable] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        self_, getattr_np = libc.pthread_self, libc.pthread_getattr_np
        getstack, destroy = libc.pthread_attr_getstack, libc.pthread_attr_destroy
    except (OSError, AttributeError):
        return None
    self_.restype = ctypes.c_ulong
    getattr_np.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
    getstack.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    destroy.argtypes = [ctypes.c_void_p]

    def get(attr: ctypes.Array) -> int:
        return getattr_np(self_(), attr)

    return get, getstack, destroy


_PTHREAD = _pthread()


def current_stack() -> int:
    """The size of this thread's stack in bytes (0: unknown here); remembered per thread."""
    size = getattr(_local, "stack", None)
    if size is None:
        size = _local.stack = _measure()
    return size


def _measure() -> int:
    if _PTHREAD is None:
        return 0
    get, getstack, destroy = _PTHREAD
    attr = ctypes.create_string_buffer(256)  # a pthread_attr_t (56 bytes on x86_64)
    if get(attr) != 0:
        return 0
    try:
        addr, size = ctypes.c_void_p(), ctypes.c_size_t()
        if getstack(attr, ctypes.byref(addr), ctypes.byref(size)) != 0:
            return 0
        return size.value
    finally:
        destroy(attr)


def fits(tokens: int) -> bool:
    """Whether this thread's stack holds the deepest query of ``tokens`` tokens."""
    return current_stack() >= needed(tokens)


@contextmanager
def _threads_sized(stack: int) -> Iterator[None]:
    """Threads started inside get a ``stack``-byte stack (the size is global to Python, so
    one size is set at a time, and put back after)."""
    with _sizing:
        before = threading.stack_size(stack)
        try:
            yield
        finally:
            threading.stack_size(before)


def start_thread(target: Callable[[], object], stack: int, name: str,
                 daemon: bool = False) -> threading.Thread:
    """Start ``target`` on a thread with a ``stack``-byte stack."""
    thread = threading.Thread(target=target, name=name, daemon=daemon)
    with _threads_sized(stack):
        thread.start()
    return thread


class StackedThreads(ThreadPoolExecutor):
    """A thread pool whose threads have a ``stack``-byte stack."""

    def __init__(self, max_workers: int, stack: int, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers, thread_name_prefix=thread_name_prefix)
        self.stack = stack

    def _adjust_thread_count(self) -> None:
        # the pool starts its threads here (on submit); the stack size is read at start
        with _threads_sized(self.stack):
            super()._adjust_thread_count()
