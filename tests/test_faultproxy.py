"""The test suite's fault proxy (``tests/faultproxy.py``) against a small real HTTP upstream."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.faultproxy import FaultProxy


class Upstream:
    """Echoes each request as JSON: method, path, Host header, body length."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _echo(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                reply = json.dumps(
                    {
                        "method": self.command,
                        "path": self.path,
                        "host": self.headers.get("Host"),
                        "body": body.decode(),
                        "chunked": "Transfer-Encoding" in self.headers,
                    }
                ).encode()
                self.send_response(201 if self.command == "PUT" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply)

            do_GET = do_HEAD = do_PUT = do_POST = _echo

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    upstream = Upstream()
    with FaultProxy(upstream.host) as running:
        yield running
    upstream.close()


def request(
    proxy: FaultProxy,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    conn = conn or http.client.HTTPConnection(proxy.host, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    reply = conn.getresponse()
    return reply.status, reply.read(), dict(reply.getheaders())


def test_requests_pass_through_with_their_host_header_and_are_counted(proxy: FaultProxy) -> None:
    conn = http.client.HTTPConnection(proxy.host, timeout=10)
    status, body, _ = request(proxy, "GET", "/v2/x/manifests/a", conn=conn)
    assert status == 200
    echoed = json.loads(body)
    assert echoed["host"] == proxy.host  # so a registry's Location points back at the proxy
    # Keep-alive: a second request on the same connection; HEAD carries the upstream's length.
    status, body, headers = request(proxy, "HEAD", "/v2/x/manifests/a", conn=conn)
    assert (status, body) == (200, b"") and int(headers["Content-Length"]) > 0
    assert proxy.count(r"^(GET|HEAD) /v2/x/manifests/") == 2


def test_a_chunked_upload_arrives_whole(proxy: FaultProxy) -> None:
    conn = http.client.HTTPConnection(proxy.host, timeout=10)
    conn.request("PUT", "/blob", body=iter([b"abc", b"defg"]), encode_chunked=True)
    reply = conn.getresponse()
    echoed = json.loads(reply.read())
    assert reply.status == 201
    assert (echoed["body"], echoed["chunked"]) == ("abcdefg", False)


def test_faults_act_on_matching_requests_for_their_times_after_their_skip(
    proxy: FaultProxy,
) -> None:
    proxy.fail(r"^GET /a$", 503, times=2, skip=1)
    statuses = [request(proxy, "GET", "/a")[0] for _ in range(4)]
    assert statuses == [200, 503, 503, 200]
    assert request(proxy, "GET", "/b")[0] == 200
    assert proxy.count("^GET /a$", fault="respond") == 2
    assert proxy.count("^GET /a$", fault=None) == 2


def test_throttle_answers_ecr_json_to_one_operation(proxy: FaultProxy) -> None:
    proxy.throttle("GetAuthorizationToken", times=None)
    target = {"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"}
    status, body, _ = request(proxy, "POST", "/", b"{}", target)
    assert status == 400 and json.loads(body)["__type"] == "ThrottlingException"
    other = {"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"}
    assert request(proxy, "POST", "/", b"{}", other)[0] == 200
    assert proxy.count(" GetAuthorizationToken$") == 1


def test_unauthorized_spares_anonymous_requests(proxy: FaultProxy) -> None:
    proxy.unauthorized(r"^GET /v2/", times=1)
    assert request(proxy, "GET", "/v2/x")[0] == 200
    status, _, headers = request(proxy, "GET", "/v2/x", headers={"Authorization": "Basic eA=="})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")


def test_reset_drops_the_connection(proxy: FaultProxy) -> None:
    proxy.reset(r"^GET /r$")
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        request(proxy, "GET", "/r")
    assert request(proxy, "GET", "/r")[0] == 200
    assert proxy.count("^GET /r$", fault="reset") == 1


def test_a_stalled_request_is_held_until_released(proxy: FaultProxy) -> None:
    proxy.stall(r"^PUT /s$")
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(request(proxy, "PUT", "/s", b"x")[0]))
    worker.start()
    proxy.wait_for(lambda p: len(p.held) == 1, timeout=10)
    assert result == []
    proxy.release()
    worker.join(10)
    assert result == [201]


def test_a_client_hanging_up_on_a_stalled_request_is_recorded(proxy: FaultProxy) -> None:
    proxy.stall(r"^PUT /s$")
    sock = socket.create_connection(("127.0.0.1", int(proxy.host.rpartition(":")[2])))
    sock.sendall(b"PUT /s HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
    proxy.wait_for(lambda p: len(p.held) == 1, timeout=10)
    sock.close()
    proxy.wait_for(lambda p: p.hangups == ["PUT /s"], timeout=10)
    assert proxy.count("^PUT /s$", fault="stall") == 1
