"""HTTP to a remote SPARQL store: credentials, basic or digest auth, verified TLS.

Credentials never come from the command line or the settings file: they are
read from ``UPRGRAPH_STORE_USER`` / ``UPRGRAPH_STORE_PASSWORD`` or, failing
that, from the netrc file (``$NETRC`` or ``~/.netrc``) entry for the store's
host. The store's challenge picks the scheme: Virtuoso's ``-auth`` endpoints
ask for digest, most proxies in front of Fuseki or GraphDB for basic. HTTPS
certificates are verified against the system's CAs (``SSL_CERT_FILE`` names
another bundle).
"""

from __future__ import annotations

import netrc
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from .base import StoreError

USER_ENV = "UPRGRAPH_STORE_USER"
PASSWORD_ENV = "UPRGRAPH_STORE_PASSWORD"


def credentials(url: str) -> tuple[str, str] | None:
    """The user and password for ``url``: environment first, then netrc; None if neither."""
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if user or password:
        if not (user and password):
            raise StoreError(f"set both {USER_ENV} and {PASSWORD_ENV}, or neither")
        return user, password
    path = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    if not path.is_file():
        return None
    try:
        found = netrc.netrc(str(path)).authenticators(urlsplit(url).hostname or "")
    except (netrc.NetrcParseError, OSError) as exc:
        raise StoreError(f"{path}: {exc}") from exc
    if found is None:
        return None
    login, _account, secret = found
    return (login, secret or "") if login else None


class StoreHTTPError(StoreError):
    """The store answered with an HTTP error ``status``."""

    def __init__(self, message: str, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        #: the start of the store's own explanation (e.g. where a query does not parse)
        self.detail = detail


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class Client:
    """One opener for every URL of a store, answering its 401 challenges."""

    def __init__(self, urls: list[str], timeout: float | None = None) -> None:
        self.timeout = timeout
        handlers: list[urllib.request.BaseHandler] = []
        if any(u.startswith("https:") for u in urls):  # loading the CAs takes a quarter second
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context()))
        self.user: str | None = None
        found = credentials(next((u for u in urls if u), ""))
        if found:
            self.user = found[0]
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, [u for u in urls if u], *found)
            # digest first: urllib's basic handler refuses a digest challenge outright
            handlers += [urllib.request.HTTPDigestAuthHandler(manager),
                         urllib.request.HTTPBasicAuthHandler(manager)]
        self._opener = urllib.request.build_opener(*handlers)

    def send(self, method: str, url: str, body: bytes | None = None,
             headers: dict[str, str] | None = None, timeout: float | None = None) -> Reply:
        """Send a request; any failure is a :class:`StoreError` of one line."""
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with self._opener.open(req, timeout=timeout or self.timeout or 60) as resp:
                return Reply(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as exc:
            detail = _detail(exc)
            raise StoreHTTPError(self._refused(method, url, exc, detail), exc.code,
                                 detail) from exc
        except urllib.error.URLError as exc:
            raise StoreError(f"cannot reach the store at {_where(url)}: {exc.reason}") from exc
        except (OSError, ValueError) as exc:  # timeouts, resets; an unknown auth scheme
            raise StoreError(f"{method} {_where(url)}: {exc}") from exc

    def _refused(self, method: str, url: str, exc: urllib.error.HTTPError, detail: str) -> str:
        if exc.code in (401, 403):
            if self.user:
                why = f"the store refused the credentials of {self.user!r}"
            else:
                why = (f"the store wants credentials: set {USER_ENV} and {PASSWORD_ENV} "
                       "or a netrc entry for its host")
            return f"{method} {_where(url)}: HTTP {exc.code}, {why}"
        return f"{method} {_where(url)}: HTTP {exc.code} {exc.reason}" + (
            f": {detail}" if detail else "")


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(400).decode("utf-8", "replace")
    except OSError:
        return ""
    return " ".join(text.split())[:300]


def _where(url: str) -> str:
    """The URL without its query string (which may hold a whole SPARQL query)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
