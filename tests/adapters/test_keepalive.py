"""The registry client's HTTP (:mod:`ecr_cache_tui.adapters.keepalive`): connections kept alive
and reused across requests and threads, a connection the server closed while idle replaced,
redirects (the login dropped on another origin), bodies bounded, proxies from the environment.
Small in-process servers where a real registry cannot misbehave on cue; the real registries
where it can."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from typing import Any
from urllib.request import ProxyHandler, build_opener

import pytest

from ecr_cache_tui.adapters.keepalive import Transport
from ecr_cache_tui.adapters.registry import EnvOnceSession, RegistryClient
from ecr_cache_tui.errors import AccessDenied, RegistryError
from tests.services import ECR_PASSWORD, ECR_USER, Services

Route = Callable[["Handler"], tuple[int, bytes, dict[str, str]]]
LOGIN = "Basic " + base64.b64encode(b"user:pass").decode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a registry
    server: Server

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        status, body, headers = self.server.route(self)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if self.server.close_after_answer:  # closes without saying so (no Connection: close)
            self.close_connection = True

    do_HEAD = do_GET


class Server(ThreadingHTTPServer):
    def __init__(self, route: Route) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.route = route
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.connections = 0
        self.close_after_answer = False
        self.host = f"127.0.0.1:{self.server_address[1]}"

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


@pytest.fixture
def serve() -> Iterator[Callable[[Route], Server]]:
    started: list[Server] = []

    def start(route: Route) -> Server:
        server = Server(route)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def ok(body: bytes = b"{}") -> Route:
    return lambda handler: (200, body, {"Content-Type": "application/json"})


def test_one_connection_serves_every_request_in_turn(serve: Callable[[Route], Server]) -> None:
    server = serve(ok(b'{"tags": ["a"]}'))
    transport = Transport(EnvOnceSession(), timeout=5)
    for _ in range(20):
        answer = transport.send("GET", f"http://{server.host}/v2/r/tags/list", {}, 1000)
        assert (answer.status_code, answer.content) == (200, b'{"tags": ["a"]}')
    assert (server.connections, transport.opened) == (1, 1)


def test_a_connection_closed_by_the_server_while_idle_is_replaced(
    serve: Callable[[Route], Server],
) -> None:
    server = serve(ok())
    server.close_after_answer = True
    transport = Transport(EnvOnceSession(), timeout=5)
    for _ in range(5):
        assert transport.send("GET", f"http://{server.host}/v2/", {}, 1000).status_code == 200
    assert server.connections == 5


def test_a_body_over_the_bound_is_refused_and_its_connection_not_reused(
    serve: Callable[[Route], Server],
) -> None:
    server = serve(lambda h: (200, b"x" * (2000 if "big" in h.path else 10), {}))
    transport = Transport(EnvOnceSession(), timeout=5)
    with pytest.raises(RegistryError, match="larger than 1,000 bytes"):
        transport.send("GET", f"http://{server.host}/big", {}, 1000)
    assert transport.send("GET", f"http://{server.host}/small", {}, 1000).content == b"x" * 10
    assert server.connections == 2


def test_a_redirect_to_another_origin_drops_the_login(serve: Callable[[Route], Server]) -> None:
    storage = serve(ok(b'{"created": "2026-01-02T03:04:05Z"}'))

    def registry(handler: Handler) -> tuple[int, bytes, dict[str, str]]:
        if handler.headers.get("Authorization") != LOGIN:
            return 401, b"", {"WWW-Authenticate": 'Basic realm="r"'}
        if handler.path.endswith("/same"):
            return 307, b"", {"Location": "/v2/team/app/blobs/sha256:moved"}
        if "/blobs/" in handler.path and "moved" not in handler.path:
            return 307, b"", {"Location": f"http://{storage.host}/signed?x=1"}
        return 200, b"{}", {}

    origin = serve(registry)
    client = RegistryClient(origin.host, ("user", "pass"), timeout=5)
    blob = client.get_blob_json("team/app", "sha256:" + "a" * 64)
    assert blob == {"created": "2026-01-02T03:04:05Z"}
    assert [(m, p) for m, p, _ in storage.seen] == [("GET", "/signed?x=1")]
    assert "Authorization" not in storage.seen[0][2]
    client.get_blob_json("team/app", "same")  # same origin: the login follows
    assert origin.seen[-1][1] == "/v2/team/app/blobs/sha256:moved"
    assert origin.seen[-1][2]["Authorization"] == LOGIN


def test_redirects_are_bounded(serve: Callable[[Route], Server]) -> None:
    server = serve(lambda h: (302, b"", {"Location": h.path + "x"}))
    with pytest.raises(RegistryError, match="more than 30 redirects"):
        Transport(EnvOnceSession(), timeout=5).send("GET", f"http://{server.host}/a", {}, 100)


def test_no_server_is_a_registry_error() -> None:
    with pytest.raises(RegistryError, match="ConnectionRefusedError"):
        Transport(EnvOnceSession(), timeout=2).send("GET", "http://127.0.0.1:9/v2/", {}, 100)


def test_an_environment_proxy_is_used_unless_no_proxy_names_the_host(
    serve: Callable[[Route], Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = serve(ok(b'{"repositories": ["a/b"]}'))

    def forward(handler: Handler) -> tuple[int, bytes, dict[str, str]]:
        assert handler.path.startswith("http://")  # a proxy is asked for the absolute URI
        with build_opener(ProxyHandler({})).open(handler.path, timeout=5) as upstream:
            return upstream.status, upstream.read(), {}

    proxy = serve(forward)
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://{proxy.host}")
    names = list(RegistryClient(registry.host).iter_names("_catalog", "repositories", ""))
    assert names == ["a/b"]
    assert [p for _, p, _ in proxy.seen] == [f"http://{registry.host}/v2/_catalog?n=1000"]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert list(RegistryClient(registry.host).iter_names("_catalog", "repositories", ""))
    assert len(proxy.seen) == 1
    assert len(registry.seen) == 2


@pytest.mark.services
def test_the_real_registry_is_read_by_eight_threads_on_at_most_eight_connections(
    services: Services,
) -> None:
    client = RegistryClient(services.registry, timeout=10)

    def catalog(_: int) -> list[str]:
        return list(islice(client.iter_names("_catalog", "repositories", "", page=5), 5))

    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(catalog, range(200)))
    assert all(page == pages[0] for page in pages)
    assert 1 <= client._transport.opened <= 8


@pytest.mark.services
def test_the_htpasswd_registry_answers_the_login_learnt_from_its_challenge(
    services: Services,
) -> None:
    client = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD), timeout=10)
    for _ in range(3):
        assert not client.manifest_exists("keepalive/none", "t1")  # a 404 once logged in
    assert client._transport.opened == 1  # the 401 and every answer after it: one connection
    wrong = RegistryClient(services.auth_registry, (ECR_USER, "wrong"), timeout=10)
    with pytest.raises(AccessDenied):
        next(wrong.iter_names("_catalog", "repositories", ""))
