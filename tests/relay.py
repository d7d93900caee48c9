"""A counting TCP relay on loopback: what went to a service, seen from outside the product.

Put it between a client and a service (moto, a registry) and read :attr:`CountingRelay.requests`:
the first line of every HTTP request that crossed it (``POST /``, ``HEAD /v2/.../manifests/t``),
and :attr:`CountingRelay.targets` the ``X-Amz-Target`` of each AWS call; ``on_request`` is
given the head of each request (its request line and headers) as it passes. Bytes are relayed
untouched both ways, so anything that speaks HTTP/1.x through it works as before.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from types import TracebackType

__all__ = ["CountingRelay"]


class CountingRelay:
    """Relays ``127.0.0.1:<port>`` to ``upstream`` (``host:port``), counting what it carries."""

    def __init__(self, upstream: str, on_request: Callable[[str], None] | None = None) -> None:
        host, _, port = upstream.rpartition(":")
        self._on_request = on_request
        self._upstream = (host, int(port))
        self._server = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._server.getsockname()[1]}"
        self.connections = 0
        self.requests: list[str] = []
        self.targets: list[str] = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def __enter__(self) -> CountingRelay:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def reset(self) -> None:
        """Forget what was counted so far."""
        with self._lock:
            self.connections = 0
            self.requests.clear()
            self.targets.clear()

    def close(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            self._server.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._upstream, timeout=60)
        except OSError:
            client.close()
            return
        up = threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True)
        up.start()
        self._pipe(upstream, client, False)
        up.join(timeout=60)

    def _pipe(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if count:
                    self._note(data)
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _note(self, data: bytes) -> None:
        # Best effort: a request line at the start of a chunk (bodies may hold anything).
        for line in _request_lines(data):
            with self._lock:
                self.requests.append(line)
            if self._on_request is not None:
                self._on_request(data.split(b"\r\n\r\n", 1)[0].decode("latin-1"))
        for header in data.split(b"\r\n"):
            if header.lower().startswith(b"x-amz-target:"):
                with self._lock:
                    self.targets.append(header.split(b":", 1)[1].strip().decode("latin-1"))


def _request_lines(data: bytes) -> Iterator[str]:
    methods = (b"GET ", b"HEAD ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ")
    first = data.split(b"\r\n", 1)[0]
    if first.startswith(methods) and b" HTTP/1." in first:
        yield first.decode("latin-1")
