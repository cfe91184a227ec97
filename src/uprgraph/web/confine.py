"""What a query worker does to itself before it opens the store: no network, bounded memory.

A SPARQL ``SERVICE`` clause makes Oxigraph send an HTTP request from the process
that evaluates the query. Rather than trusting a scan of the query text to find
every such clause, a worker leaves the host's network: it moves into a new,
empty network namespace (Linux ``unshare``), where no address - loopback
included - can be reached and no name resolves. This needs root or
``CAP_SYS_ADMIN``; where that is refused, a user namespace is tried too (an
unprivileged user may create one where the kernel allows it). Where neither is
allowed (a container without privileges, say), a seccomp filter installed with
libseccomp makes ``socket(AF_INET/AF_INET6, ...)`` fail for the rest of the
process's life. Where none of these is possible :func:`isolate_network` says so
and the endpoint falls back to checking every query with a complete SPARQL
parser (:func:`uprgraph.store.analysis.uses_service`).

``ctypes`` rather than ``os.unshare``: the latter needs Python 3.12, and this is
one libc call; libseccomp's own Python binding is not on PyPI, and the calls
used here are three.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import resource
import socket
import sys

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000

#: how the worker is cut off from the network, by ``unshare`` flags, strongest first
_NAMESPACES = (
    (CLONE_NEWNET, "network namespace"),
    (CLONE_NEWUSER | CLONE_NEWNET, "user and network namespace"),
)


#: libseccomp's constants (seccomp.h)
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_ERRNO = 0x00050000
SCMP_CMP_EQ = 4


class _ArgCmp(ctypes.Structure):
    """``struct scmp_arg_cmp``: compare a system call's argument with a value."""

    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


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
    if deny_ip_sockets():
        return "seccomp filter: no IP sockets"
    return None


def deny_ip_sockets() -> bool:
    """Make every later ``socket()`` of an IPv4 or IPv6 family fail with EACCES (seccomp);
    False where libseccomp is missing or the kernel refuses the filter."""
    name = ctypes.util.find_library("seccomp")
    if not name:
        return False
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return False
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        return False
    try:
        nr = lib.seccomp_syscall_resolve_name(b"socket")
        deny = SCMP_ACT_ERRNO | errno.EACCES
        for family in (socket.AF_INET, socket.AF_INET6):
            rule = _ArgCmp(0, SCMP_CMP_EQ, int(family), 0)
            if lib.seccomp_rule_add_array(ctx, deny, nr, 1, ctypes.byref(rule)) != 0:
                return False
        return lib.seccomp_load(ctx) == 0
    finally:
        lib.seccomp_release(ctx)


def limit_memory(megabytes: int) -> None:
    """Cap the address space: an allocation beyond it fails and ends the query, not the host."""
    if megabytes <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
