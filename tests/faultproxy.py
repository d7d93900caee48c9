"""A fault-injecting HTTP proxy on loopback, in front of moto or a registry, scripted per test.

Requests go through unchanged (the ``Host`` header too, so a registry's upload ``Location``
points back at the proxy) until a test adds a fault::

    with FaultProxy(services.auth_registry) as proxy:          # host:port of the upstream
        proxy.fail(r"^GET /v2/$", status=500, times=2)          # the next two pings: 500
        proxy.unauthorized(r"^PUT .*/manifests/", times=1)      # one 401 with a login sent
        ...                                                     # point the hook at proxy.host
        assert proxy.count(r"^HEAD .*/manifests/") == 1

Each request is matched by its *line*: ``METHOD PATH``, plus `` OPERATION`` for AWS's JSON
protocol (``POST / GetAuthorizationToken``, from ``X-Amz-Target``). The first fault that matches
and has ``times`` left acts; ``skip`` lets that many matching requests through first; ``times``
``None`` means forever. What a fault can do:

* :meth:`respond` / :meth:`fail` / :meth:`throttle` / :meth:`unauthorized`: answer instead of
  the upstream (a status, ECR's ``ThrottlingException`` JSON 400, a 401 with a challenge);
* :meth:`reset`: read the request, then drop the connection with a TCP reset;
* :meth:`delay`: wait that long, then forward;
* :meth:`stall`: hold the request (:attr:`held`) until :meth:`release`, then forward; a
  client that hangs up meanwhile is recorded (:attr:`hangups`).

Every request is recorded (:attr:`seen`, :meth:`count`, :meth:`wait_for`), faulted or not,
which also makes the proxy a request counter for tests that inject nothing.
"""

from __future__ import annotations

import http.client
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = ["Fault", "FaultProxy", "Seen"]

Action = Literal["respond", "reset", "delay", "stall"]

#: Headers that belong to one connection, not to the request or response.
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)

THROTTLING_BODY = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
UNAUTHORIZED_BODY = (
    b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}'
)


@dataclass
class Fault:
    """One scripted fault; see the module docs."""

    pattern: re.Pattern[str]
    action: Action
    times: int | None = 1
    skip: int = 0
    status: int = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    authorized_only: bool = False
    user_agent: re.Pattern[str] | None = None
    matched: int = 0
    fired: int = 0

    def wants(self, line: str, authorized: bool, agent: str = "") -> bool:
        """Whether this fault acts on the request (counting it when it matches)."""
        if not self.pattern.search(line) or (self.authorized_only and not authorized):
            return False
        if self.user_agent is not None and not self.user_agent.search(agent):
            return False
        self.matched += 1
        if self.matched <= self.skip:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


@dataclass(frozen=True)
class Seen:
    """A request the proxy handled: its line, the status sent (0: reset) and the fault, if any."""

    line: str
    status: int
    fault: Action | None
    at: float


class FaultProxy:
    """A threaded HTTP/1.1 reverse proxy on ``127.0.0.1``, in front of ``upstream`` (host:port).

    Use as a context manager (or :meth:`start` / :meth:`close`). Safe to script from the test's
    thread while requests are being served.
    """

    def __init__(self, upstream: str, *, timeout: float = 120.0) -> None:
        self.upstream = upstream.removeprefix("http://").rstrip("/")
        self.timeout = timeout
        self.seen: list[Seen] = []
        #: Requests :meth:`stall` has held, and those whose client hung up while held.
        self.held: list[str] = []
        self.hangups: list[str] = []
        self._faults: list[Fault] = []
        self._lock = threading.RLock()  # predicates of wait_for may call count()
        self._changed = threading.Condition(self._lock)
        self._released = threading.Event()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: what to put where the upstream's host:port went."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- scripting ---------------------------------------------------------------------------

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault (requests already held by :meth:`stall` stay held)."""
        with self._lock:
            self._faults.clear()

    def respond(
        self,
        pattern: str,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        times: int | None = 1,
        skip: int = 0,
        authorized_only: bool = False,
        user_agent: str | None = None,
    ) -> Fault:
        """Answer matching requests with ``status`` and ``body`` instead of the upstream.

        ``user_agent``: only requests whose ``User-Agent`` matches (``^docker/``: the daemon's,
        not the hook's own registry client).
        """
        return self.add(
            Fault(
                re.compile(pattern),
                "respond",
                times=times,
                skip=skip,
                status=status,
                body=body,
                headers=dict(headers or {}),
                authorized_only=authorized_only,
                user_agent=re.compile(user_agent) if user_agent else None,
            )
        )

    def fail(
        self,
        pattern: str,
        status: int = 500,
        *,
        times: int | None = 1,
        skip: int = 0,
        user_agent: str | None = None,
    ) -> Fault:
        """A 5xx with a registry-style error body."""
        body = b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}'
        headers = {"Content-Type": "application/json"}
        return self.respond(
            pattern, status, body, headers, times=times, skip=skip, user_agent=user_agent
        )

    def throttle(self, operation: str, *, times: int | None = 1, skip: int = 0) -> Fault:
        """ECR's throttling answer (JSON 400 ``ThrottlingException``) to an AWS operation."""
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "faulty"}
        return self.respond(
            rf" {re.escape(operation)}$", 400, THROTTLING_BODY, headers, times=times, skip=skip
        )

    def unauthorized(
        self,
        pattern: str,
        *,
        times: int | None = 1,
        skip: int = 0,
        authorized_only: bool = True,
        user_agent: str | None = None,
    ) -> Fault:
        """A registry's 401 (a Basic challenge), by default only to requests that sent a login:
        what an expired token gets."""
        headers = {
            "Content-Type": "application/json",
            "WWW-Authenticate": 'Basic realm="faultproxy"',
            "Docker-Distribution-Api-Version": "registry/2.0",
        }
        return self.respond(
            pattern,
            401,
            UNAUTHORIZED_BODY,
            headers,
            times=times,
            skip=skip,
            authorized_only=authorized_only,
            user_agent=user_agent,
        )

    def reset(self, pattern: str, *, times: int | None = 1, skip: int = 0) -> Fault:
        """Drop matching requests' connections with a TCP reset (after reading the request)."""
        return self.add(Fault(re.compile(pattern), "reset", times=times, skip=skip))

    def delay(self, pattern: str, seconds: float, *, times: int | None = 1, skip: int = 0) -> Fault:
        """Forward matching requests ``seconds`` late."""
        return self.add(
            Fault(re.compile(pattern), "delay", times=times, skip=skip, seconds=seconds)
        )

    def stall(self, pattern: str, *, times: int | None = None, skip: int = 0) -> Fault:
        """Hold matching requests until :meth:`release` (or the client gives up)."""
        self._released.clear()
        return self.add(Fault(re.compile(pattern), "stall", times=times, skip=skip))

    def release(self) -> None:
        """Let held requests go on to the upstream (and no new ones be held)."""
        with self._lock:
            self._faults = [f for f in self._faults if f.action != "stall"]
        self._released.set()

    # --- what happened -----------------------------------------------------------------------

    def count(self, pattern: str = "", *, fault: Action | Literal["any"] | None = "any") -> int:
        """How many requests matched ``pattern`` (and, if given, got that fault; ``None``:
        none)."""
        regex = re.compile(pattern)
        with self._lock:
            return sum(1 for s in self.seen if regex.search(s.line) and fault in ("any", s.fault))

    def lines(self) -> list[str]:
        with self._lock:
            return [s.line for s in self.seen]

    def wait_for(self, predicate: Callable[[FaultProxy], bool], timeout: float = 60.0) -> None:
        """Wait until ``predicate(self)`` holds (re-checked on every request and hang-up).

        Raises:
            AssertionError: it did not hold within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [s.line for s in self.seen[-20:]]
                    raise AssertionError(f"timed out; the proxy saw (last 20): {seen}")
                self._changed.wait(min(left, 0.5))

    # --- used by the handler -----------------------------------------------------------------

    def _pick(self, line: str, authorized: bool, agent: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.wants(line, authorized, agent):
                    return fault
        return None

    def _record(self, line: str, status: int, fault: Action | None) -> None:
        with self._changed:
            self.seen.append(Seen(line, status, fault, time.monotonic()))
            self._changed.notify_all()

    def _note(self, where: list[str], line: str) -> None:
        with self._changed:
            where.append(line)
            self._changed.notify_all()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: a test's output is scanned for secrets, and it would be noise

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _line(self) -> str:
            target = self.headers.get("X-Amz-Target", "")
            operation = target.rpartition(".")[2]
            return f"{self.command} {self.path}" + (f" {operation}" if operation else "")

        def _handle(self) -> None:
            line = self._line()
            body = self._body()
            fault = proxy._pick(
                line, "Authorization" in self.headers, self.headers.get("User-Agent", "")
            )
            if fault is not None and fault.action == "respond":
                proxy._record(line, fault.status, "respond")
                self._send(fault.status, fault.body, fault.headers)
                return
            if fault is not None and fault.action == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                proxy._record(line, 0, "reset")
                return
            if fault is not None and fault.action == "delay":
                proxy._closing.wait(fault.seconds)
            if fault is not None and fault.action == "stall":
                proxy._note(proxy.held, line)
                if not self._hold(line):
                    proxy._record(line, 0, "stall")
                    return
            status, data, headers, reason = self._forward(body)
            # Recorded before the client can read the answer: a test that got it sees it counted.
            proxy._record(line, status, fault.action if fault is not None else None)
            self._send(status, data, headers, reason=reason)

        def _hold(self, line: str) -> bool:
            """Wait for a release; False when the client hung up meanwhile."""
            while not proxy._released.wait(0.05):
                readable, _, _ = select.select([self.connection], [], [], 0)
                if readable:
                    try:
                        gone = self.connection.recv(1, socket.MSG_PEEK) == b""
                    except OSError:
                        gone = True
                    if gone:
                        proxy._note(proxy.hangups, line)
                        self.close_connection = True
                        return False
            return True

        def _forward(self, body: bytes) -> tuple[int, bytes, dict[str, str], str | None]:
            host, _, port = proxy.upstream.partition(":")
            upstream = http.client.HTTPConnection(host, int(port or 80), timeout=proxy.timeout)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            if body or self.command in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(body))
            try:
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                reply = upstream.getresponse()
                data = reply.read()
                out = {k: v for k, v in reply.getheaders() if k.lower() not in _HOP}
                if self.command == "HEAD" and reply.getheader("Content-Length"):
                    out["Content-Length"] = reply.getheader("Content-Length", "0")
                return reply.status, data, out, reply.reason
            except OSError:
                return 502, b"upstream unreachable", {"Content-Type": "text/plain"}, None
            finally:
                upstream.close()

        def _send(
            self, status: int, body: bytes, headers: dict[str, str], reason: str | None = None
        ) -> None:
            self.send_response_only(status, reason)
            for key, value in headers.items():
                if key.lower() in ("date", "server"):
                    continue
                self.send_header(key, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and body:
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler
