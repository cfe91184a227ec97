"""The HTTP server: waitress, bounded against slow and oversized requests.

waitress closes a connection only when it has been *silent* for
``channel_timeout``; a client that trickles a header block byte by byte keeps
its connection (and a slot of ``connection_limit``) for as long as it likes.
:class:`HardenedServer` also closes a connection whose request is still
incomplete ``channel_timeout`` seconds after its first byte, and looks every
second rather than every 30. Header blocks are capped (``max_header_bytes``),
which also bounds what content negotiation parses. A reverse proxy in front
(see docs/deployment.md) absorbs slow clients before they reach this server.
"""

from __future__ import annotations

import os
import socket
import threading
import time

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from ..config import Settings


class _Channel(HTTPChannel):
    """A connection that remembers when the request it is receiving began."""

    started: float = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.started = time.time()
        return super().received(data)


class HardenedServer(TcpWSGIServer):
    """waitress's TCP server, also closing requests that take too long to arrive."""

    channel_class = _Channel
    #: when a retiring server (:meth:`retire`) ends its process at the latest
    retiring: float | None = None
    #: the process that forked this one (:mod:`.prefork`): the server retires if it is gone
    parent: int | None = None

    def readable(self) -> bool:
        accepting = super().readable()  # also runs maintenance, which retiring needs
        return accepting and self.retiring is None

    def retire(self, deadline: float) -> None:
        """Stop accepting; end the process once every connection is done (or at
        ``deadline``, a ``time.monotonic()``). Other processes accept on the socket."""
        self.retiring = deadline

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        if self.parent is not None and self.retiring is None and os.getppid() != self.parent:
            self.retire(time.monotonic() + self.adj.channel_timeout)
        if self.retiring is not None:
            self._wind_down()
        cutoff = now - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            if (channel.request is not None and not channel.requests
                    and getattr(channel, "started", now) < cutoff):
                channel.will_close = True

    def _wind_down(self) -> None:
        for channel in list(self.active_channels.values()):
            # idle between two requests (kept alive); one that has sent nothing yet is
            # waited for: it was accepted to be answered
            if channel.request is None and not channel.requests and channel.started:
                channel.will_close = True
        if not self.active_channels or time.monotonic() >= (self.retiring or 0.0):
            os._exit(0)

    def shutdown(self, thread: threading.Thread | None = None) -> None:
        """Stop a server running in ``thread``: its loop ends within its one-second wait,
        then the sockets close (closing them under a running ``select`` fails there)."""
        channels = list(self._map.values())
        self._map.clear()
        if thread is not None:
            thread.join(5)
        for channel in channels:
            channel.close()


def adjustments(settings: Settings, threads: int, **kw: object) -> dict[str, object]:
    """waitress settings for ``settings`` (``kw`` overrides, e.g. ``port=0`` in tests)."""
    return {
        "host": settings.host, "port": settings.port, "threads": threads, "ident": "uprgraph",
        # forwarded headers are handled (or ignored) by the app, per ``forwarded_hops``
        "clear_untrusted_proxy_headers": False,
        "channel_timeout": settings.channel_timeout,
        "cleanup_interval": 1,
        "connection_limit": settings.connection_limit,
        "max_request_header_size": settings.max_header_bytes,
        "max_request_body_size": settings.max_request_bytes,
        **kw,
    }


def create(app: object, settings: Settings, threads: int = 8, _sock: socket.socket | None = None,
           **kw: object) -> HardenedServer:
    """A bound server for ``app`` (call ``run()`` to serve, ``close()`` to stop); with
    ``_sock``, one accepting on that listening socket (bound by a parent process)."""
    adj = Adjustments(**adjustments(settings, threads, **kw))
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    if _sock is not None:
        return HardenedServer(app, {}, _sock=_sock, dispatcher=dispatcher, adj=adj,
                              sockinfo=(_sock.family, _sock.type, _sock.proto,
                                        _sock.getsockname()), bind_socket=False)
    return HardenedServer(app, {}, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0])
