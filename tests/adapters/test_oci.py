"""The OCI listing adapter against a registry that misbehaves (a small in-process server): what
a real ``registry:2`` never sends, a hostile one might. The real registries' answers are in
``tests/commands/test_oci.py``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ecr_cache_tui.adapters.oci import OciRegistry, parse_time
from ecr_cache_tui.adapters.registry import MAX_DOCUMENT, RegistryClient
from ecr_cache_tui.errors import RegistryError
from ecr_cache_tui.wiring import open_oci_service

Route = Callable[[str], tuple[int, bytes, dict[str, str]]]


class Hostile:
    """Serves ``route(path) -> (status, body, headers)``; records every request's Host."""

    def __init__(self, route: Route) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.paths.append(self.path)
                status, body, headers = route(self.path)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def registry(self) -> OciRegistry:
        return OciRegistry(RegistryClient(self.host, timeout=5))


@pytest.fixture
def serve() -> Iterator[Callable[[Route], Hostile]]:
    started: list[Hostile] = []

    def start(route: Route) -> Hostile:
        started.append(Hostile(route))
        return started[-1]

    yield start
    for s in started:
        s.server.shutdown()


def ok(data: object, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    return 200, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}


def test_a_next_link_to_another_host_is_followed_on_this_host(serve: Any) -> None:
    def route(path: str) -> tuple[int, bytes, dict[str, str]]:
        if "last=" in path:
            return ok({"repositories": ["build-cache/b/two"]})
        link = '<https://evil.example/v2/_catalog?last=build-cache%2Fa%2Fone&n=1>; rel="next"'
        return ok({"repositories": ["build-cache/a/one"]}, Link=link)

    hostile = serve(route)
    names = [r.name for r in hostile.registry().iter_repositories("build-cache/")]
    assert names == ["build-cache/a/one", "build-cache/b/two"]
    assert hostile.paths[1] == "/v2/_catalog?last=build-cache%2Fa%2Fone&n=1"


def test_a_page_linking_back_is_an_error_not_a_loop(serve: Any) -> None:
    link = '</v2/_catalog?n=1000>; rel="next"'
    hostile = serve(lambda path: ok({"repositories": ["a/b"]}, Link=link))
    with pytest.raises(RegistryError, match="links back"):
        list(hostile.registry().iter_repositories())


def test_names_and_tags_outside_the_grammar_are_left_out(serve: Any) -> None:
    def route(path: str) -> tuple[int, bytes, dict[str, str]]:
        if path.startswith("/v2/_catalog"):
            return ok({"repositories": ["build-cache/ok/app", "build-cache/\x1b[31mred/x", 7]})
        return ok({"tags": ["v1\x1b]0;title\x07", "../x", 3]})

    registry = serve(route).registry()
    assert [r.name for r in registry.iter_repositories()] == ["build-cache/ok/app"]
    assert list(registry.iter_images("build-cache/ok/app")) == []


def test_a_manifest_over_the_bound_is_refused(serve: Any) -> None:
    def route(path: str) -> tuple[int, bytes, dict[str, str]]:
        if path.endswith("/tags/list?n=1000"):
            return ok({"tags": ["v1"]})
        huge = {"schemaVersion": 2, "layers": [], "pad": "x" * MAX_DOCUMENT}
        return ok(huge, **{"Docker-Content-Digest": "sha256:" + "a" * 64})

    with pytest.raises(RegistryError, match="larger than"):
        list(serve(route).registry().iter_images("a/b"))


def test_sizes_that_are_not_sizes_count_as_nothing(serve: Any) -> None:
    digest = "sha256:" + "b" * 64
    manifest = {
        "schemaVersion": 2,
        "config": {"size": "12", "digest": "sha256:" + "c" * 64},
        "layers": [{"size": -5}, {"size": 10**20}, {"size": 100}, "junk"],
    }

    def route(path: str) -> tuple[int, bytes, dict[str, str]]:
        if "/tags/list" in path:
            return ok({"tags": ["v1"]})
        if "/blobs/" in path:
            return ok({"created": "2026-01-02T03:04:05.123456789+02:00", "config": "nope"})
        return ok(manifest, **{"Docker-Content-Digest": digest})

    [image] = serve(route).registry().iter_images("a/b")
    assert (image.digest, image.tags, image.size_bytes) == (digest, ("v1",), 100)
    assert image.pushed_at is not None and image.pushed_at.isoformat() == (
        "2026-01-02T01:04:05.123456+00:00"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05+00:00"),
        ("1970-01-01T00:00:00Z", None),  # a reproducible build's "no time"
        ("0001-01-01T00:00:00Z", None),
        ("yesterday", None),
        (12, None),
    ],
)
def test_push_times(text: object, expected: str | None) -> None:
    parsed = parse_time(text)
    assert (parsed.isoformat() if parsed else None) == expected


@pytest.mark.parametrize(
    ("host", "insecure", "scheme"),
    [
        ("ghcr.io", False, "https"),
        ("registry.internal:5000", False, "https"),
        ("registry.internal:5000", True, "http"),
        ("127.0.0.2:5000", False, "http"),
        ("localhost:5000", False, "http"),
        ("[::1]:5000", False, "http"),
    ],
)
def test_https_unless_loopback_or_insecure(host: str, insecure: bool, scheme: str) -> None:
    service = open_oci_service(host, insecure=insecure, env={})
    assert service.ecr.client.base == f"{scheme}://{host}"  # type: ignore[attr-defined]
