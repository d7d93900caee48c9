"""A loopback HTTP proxy in front of moto that records every AWS call going through it.

The hook is pointed at it with ``AWS_ENDPOINT_URL_ECR``; each request is forwarded to moto as it
came and answered with moto's answer, and its ``X-Amz-Target`` (``…CreateRepository``) is kept
in :attr:`CountingProxy.calls`, so a test can say "this run made no AWS call at all".
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["CountingProxy", "counting_proxy"]


class CountingProxy:
    """See the module docstring. ``url`` is where to point AWS; ``calls`` what it was asked."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.calls: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                target = self.headers.get("X-Amz-Target") or f"{self.command} {self.path}"
                with proxy._lock:
                    proxy.calls.append(target.rsplit(".", 1)[-1])
                upstream = http.client.HTTPConnection(*proxy._upstream, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> CountingProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take(self) -> list[str]:
        """The calls since the last :meth:`take`, and forget them."""
        with self._lock:
            calls, self.calls = self.calls, []
        return calls


@contextmanager
def counting_proxy(upstream: str) -> Iterator[CountingProxy]:
    """A running :class:`CountingProxy` in front of ``upstream``."""
    with CountingProxy(upstream) as proxy:
        yield proxy
