"""The registry client's HTTP: keep-alive connections of the standard library, redirects by hand.

A listing makes thousands of small requests; ``requests`` spent about 0.55 ms of CPU on each
(merging settings, preparing, its adapter and ``urllib3``'s pool) where ``http.client`` on a
kept-alive connection spends under 0.2 ms. :class:`Transport` sends each request on an idle
connection to its origin (or a new one), reads the body whole up to a bound, and gives the
connection back for the next request, whichever thread makes it.

What ``requests`` did is kept, read once per origin from the same ``requests`` functions:

* the environment's proxies (``HTTPS_PROXY``, ``NO_PROXY``…) and client certificate: an origin
  that goes through a proxy (or needs a certificate) is sent through ``requests`` itself,
  hop by hop, so proxies behave exactly as before;
* the CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, else ``certifi``'s), verified with
  the host name checked;
* a ``.netrc`` login for the host, sent when the request carries no login of its own;
* redirects (at most :data:`MAX_REDIRECTS`): a ``Location`` on another origin (a blob served
  from storage) is followed without the ``Authorization`` header, as ``requests`` strips it;
  a 302 or 303 turns into a ``GET`` (``HEAD`` stays ``HEAD``), as ``requests`` does.

Every failure to connect, send or read is a :class:`~ecr_cache_tui.errors.RegistryError`.
"""

from __future__ import annotations

import base64
import http.client
import select
import ssl
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from ecr_cache_tui.errors import RegistryError

__all__ = ["MAX_IDLE", "MAX_REDIRECTS", "Answer", "Headers", "Transport"]

#: Redirects followed at most (``requests``' own limit).
MAX_REDIRECTS = 30
#: Idle connections kept per origin (more in flight at once are closed when done).
MAX_IDLE = 16
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_USER_AGENT = "ecr-cache"
# A request that failed on a connection kept from before may be sent again on a new one: the
# server closed it while idle (only for methods that change nothing).
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Headers:
    """An answer's headers, by name in any case; a header sent twice is one, joined by ``, ``."""

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        values: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            values[key] = f"{values[key]}, {value}" if key in values else value
        self._values = values

    def get(self, name: str, default: str = "") -> str:
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values


@dataclass(frozen=True)
class Answer:
    """A registry's answer: its status, headers and whole body (read up to the bound)."""

    status_code: int
    headers: Headers
    content: bytes
    url: str


@dataclass(frozen=True)
class _Origin:
    """What the environment says about one ``scheme://host:port``: read once."""

    scheme: str
    host: str
    port: int
    proxied: bool
    context: ssl.SSLContext | None
    netrc: tuple[str, str] | None


class Transport:
    """Requests to any origin on kept-alive connections; safe to use from several threads.

    Args:
        session: the ``requests`` session whose settings (``trust_env``, ``verify``) apply,
            and that sends what goes through a proxy.
        timeout: seconds to connect, and seconds for each read.
    """

    def __init__(self, session: requests.Session, timeout: float) -> None:
        self._session = session
        self._timeout = timeout
        self._lock = threading.Lock()
        self._origins: dict[tuple[str, str], _Origin] = {}
        self._idle: dict[tuple[str, str], list[http.client.HTTPConnection]] = {}
        self._contexts: dict[Any, ssl.SSLContext] = {}
        #: Connections opened (a test of the reuse reads it).
        self.opened = 0
        weakref.finalize(self, _close_all, self._idle)

    def close(self) -> None:
        """Close the idle connections (the next request opens new ones)."""
        with self._lock:
            _close_all(self._idle)

    def send(self, method: str, url: str, headers: Mapping[str, str], limit: int) -> Answer:
        """``method url``, following redirects; the body read whole, at most ``limit`` bytes.

        Raises:
            RegistryError: no answer, a body over ``limit``, or too many redirects.
        """
        sent = dict(headers)
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._hop(method, url, sent, limit)
            location = answer.headers.get("Location")
            if answer.status_code not in _REDIRECTS or not location:
                return answer
            target = urljoin(url, location.strip())
            if urlsplit(target).scheme not in _DEFAULT_PORTS:
                raise RegistryError(f"{method} {url}: redirected to a scheme other than HTTP(S)")
            if answer.status_code in (302, 303) and method != "HEAD":
                method = "GET"
            if not _same_origin(url, target):
                sent.pop("Authorization", None)
            url = target
        raise RegistryError(f"{method} {url}: more than {MAX_REDIRECTS} redirects")

    # -- one request --------------------------------------------------------------------

    def _hop(self, method: str, url: str, headers: dict[str, str], limit: int) -> Answer:
        parts = urlsplit(url)
        origin = self._origin(parts.scheme, parts.netloc, url)
        sent = dict(headers)
        if origin.netrc and "Authorization" not in sent:
            sent["Authorization"] = _basic(*origin.netrc)
        if origin.proxied:
            return self._through_requests(method, url, sent, limit)
        sent.setdefault("User-Agent", _USER_AGENT)
        try:
            return self._direct(origin, method, url, sent, limit)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise RegistryError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc

    def _direct(
        self, origin: _Origin, method: str, url: str, headers: dict[str, str], limit: int
    ) -> Answer:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (origin.scheme, f"{origin.host}:{origin.port}")
        connection, reused = self._take(key, origin)
        try:
            response = _exchange(connection, method, path, headers)
        except _STALE:
            if not reused or method not in ("GET", "HEAD"):
                raise
            connection = self._connect(origin)
            response = _exchange(connection, method, path, headers)
        try:
            body = response.read(limit + 1)
        except BaseException:
            connection.close()
            raise
        if len(body) > limit:
            connection.close()
            raise RegistryError(f"{method} {url}: the answer is larger than {limit:,} bytes")
        answer = Answer(response.status, Headers(response.getheaders()), body, url)
        if response.isclosed() and not response.will_close:
            self._give(key, connection)
        else:
            connection.close()
        return answer

    def _through_requests(
        self, method: str, url: str, headers: dict[str, str], limit: int
    ) -> Answer:
        """One hop sent by ``requests`` (an origin behind a proxy, or with a certificate)."""
        try:
            response = self._session.request(
                method,
                url,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            raise RegistryError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        body = read_bounded(response, limit, f"{method} {url}")
        return Answer(response.status_code, Headers(response.headers.items()), body, url)

    # -- connections --------------------------------------------------------------------

    def _take(
        self, key: tuple[str, str], origin: _Origin
    ) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection to the origin that the server has not closed, else a new one."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None:
                return self._connect(origin), False
            if connection.sock is not None and not _readable(connection.sock):
                return connection, True
            connection.close()  # closed by the server while idle (or it sent what we never asked)

    def _give(self, key: tuple[str, str], connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE:
                idle.append(connection)
                return
        connection.close()

    def _connect(self, origin: _Origin) -> http.client.HTTPConnection:
        with self._lock:
            self.opened += 1
        if origin.context is not None:
            return http.client.HTTPSConnection(
                origin.host, origin.port, timeout=self._timeout, context=origin.context
            )
        return http.client.HTTPConnection(origin.host, origin.port, timeout=self._timeout)

    def _origin(self, scheme: str, netloc: str, url: str) -> _Origin:
        found = self._origins.get((scheme, netloc))
        if found is not None:
            return found
        parts = urlsplit(url)
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise RegistryError(f"{url}: not an HTTP(S) address")
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError as exc:
            raise RegistryError(f"{url}: {exc}") from exc
        session = self._session
        settings = session.merge_environment_settings(url, {}, None, None, None)
        proxied = bool(requests.utils.select_proxy(url, settings["proxies"])) or bool(
            settings["cert"]
        )
        netrc = requests.utils.get_netrc_auth(url) if session.trust_env else None
        context = None if scheme == "http" or proxied else self._context(settings["verify"])
        origin = _Origin(scheme, parts.hostname, port, proxied, context, netrc)
        with self._lock:
            self._origins[(scheme, netloc)] = origin
        return origin

    def _context(self, verify: Any) -> ssl.SSLContext:
        """The TLS context ``requests`` would verify with: ``verify`` a bundle's path (a file
        or a directory), ``True`` for ``certifi``'s, ``False`` for none."""
        with self._lock:
            found = self._contexts.get(verify)
        if found is not None:
            return found
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            where = requests.utils.DEFAULT_CA_BUNDLE_PATH if verify is True else str(verify)
            if Path(where).is_dir():
                context = ssl.create_default_context(capath=where)
            else:
                context = ssl.create_default_context(cafile=where)
        with self._lock:
            self._contexts[verify] = context
        return context


def read_bounded(response: requests.Response, limit: int, what: str) -> bytes:
    """The body of a streamed ``response``, whole, refusing more than ``limit`` bytes."""
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(64 * 1024):
            total += len(chunk)
            if total > limit:
                raise RegistryError(f"{what}: the answer is larger than {limit:,} bytes")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise RegistryError(f"{what}: {type(exc).__name__}: {exc}") from exc
    finally:
        response.close()
    return b"".join(chunks)


def _exchange(
    connection: http.client.HTTPConnection, method: str, path: str, headers: Mapping[str, str]
) -> http.client.HTTPResponse:
    """Send the request and read the answer's status and headers (the connection closed if
    either fails)."""
    try:
        connection.request(method, path, headers=dict(headers))
        return connection.getresponse()
    except BaseException:
        connection.close()
        raise


def _readable(sock: Any) -> bool:
    """Whether an idle connection's socket has something to read: the server closed it (or
    sent what nobody asked for); either way it is not reused."""
    if not hasattr(select, "poll"):  # Windows: no poll; one socket is within select's limits
        return bool(select.select([sock], [], [], 0)[0])
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _same_origin(old: str, new: str) -> bool:
    """Whether a redirect from ``old`` to ``new`` keeps the login: the same scheme, host and
    port, or ``http`` to ``https`` on the same host with the default ports (as ``requests``)."""
    a, b = urlsplit(old), urlsplit(new)
    if a.hostname != b.hostname:
        return False
    try:
        a_port = a.port or _DEFAULT_PORTS.get(a.scheme)
        b_port = b.port or _DEFAULT_PORTS.get(b.scheme)
    except ValueError:  # a port that is not one
        return False
    if (a.scheme, a_port) == (b.scheme, b_port):
        return True
    return (a.scheme, a_port, b.scheme, b_port) == ("http", 80, "https", 443)


def _close_all(idle: dict[tuple[str, str], list[http.client.HTTPConnection]]) -> None:
    for connections in idle.values():
        for connection in connections:
            connection.close()
        connections.clear()
