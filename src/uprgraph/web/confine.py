"""What a query worker does to itself before it opens the store: no network, bounded memory.

A SPARQL ``SERVICE`` clause makes Oxigraph send an HTTP request from the process
that evaluates the query. Rather than trusting a scan of the query text to find
every such clause, a worker leaves the host's network: it moves into a new,
empty network namespace (Linux ``unshare``), where no address - loopback
included - can be reached and no name resolves. This needs root or
``CAP_SYS_ADMIN``; where that is refused, a user namespace is tried too (an
unprivileged user may create one where the kernel allows it). Where neither is
possible :func:`isolate_network` says so and the endpoint falls back to
checking every query with a complete SPARQL parser
(:func:`uprgraph.store.analysis.uses_service`).

``ctypes`` rather than ``os.unshare``: the latter needs Python 3.12, and this is
one libc call.
"""

from __future__ import annotations

import ctypes
import resource
import sys

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000

#: how the worker is cut off from the network, by ``unshare`` flags, strongest first
_NAMESPACES = (
    (CLONE_NEWNET, "network namespace"),
    (CLONE_NEWUSER | CLONE_NEWNET, "user and network namespace"),
)


def isolate_network() -> str | None:
    """Leave the network for good; the defence in place, or None where none is possible."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    for flags, name in _NAMESPACES:
        if libc.unshare(flags) == 0:
            return name
    return None


def limit_memory(megabytes: int) -> None:
    """Cap the address space: an allocation beyond it fails and ends the query, not the host."""
    if megabytes <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
