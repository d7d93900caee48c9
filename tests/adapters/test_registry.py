"""The OCI distribution client: Basic and Bearer challenges, errors by type, image labels."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ecr_cache_tui.adapters.registry import RegistryClient, default_scheme
from ecr_cache_tui.errors import AccessDenied, RegistryError, RepositoryNotFound, TagNotFound
from tests.services import ECR_PASSWORD, ECR_USER, Services

CONFIG = json.dumps({"config": {"Labels": {"k": "v"}}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
IMAGE = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"digest": CONFIG_DIGEST},
    "layers": [],
}
INDEX = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"digest": "sha256:attest", "platform": {"os": "unknown", "architecture": "unknown"}},
        {"digest": "sha256:arm", "platform": {"os": "linux", "architecture": "arm64"}},
        {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
    ],
}


class BearerRegistry:
    """A registry that wants a bearer token from its realm, which wants Basic user:pass."""

    def __init__(self, *, fail_with: int = 0) -> None:
        self.seen: list[str] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                registry.seen.append(f"{self.command} {self.path}")
                auth = self.headers.get("Authorization", "")
                if self.path.startswith("/token"):
                    good = base64.b64encode(b"user:pass").decode()
                    if auth != f"Basic {good}":
                        self._send(401)
                        return
                    self._send(200, json.dumps({"token": "tok"}).encode())
                    return
                if auth != "Bearer tok":
                    realm = f"http://{self.headers['Host']}/token"
                    challenge = f'Bearer realm="{realm}",service="reg"'
                    self._send(401, headers={"WWW-Authenticate": challenge})
                    return
                if fail := registry.fail_with:
                    self._send(fail)
                    return
                docs = {
                    "/v2/team/app/manifests/index": INDEX,
                    "/v2/team/app/manifests/sha256:amd": IMAGE,
                    "/v2/team/app/manifests/v1": IMAGE,
                }
                if self.path in docs:
                    doc = docs[self.path]
                    self._send(200, json.dumps(doc).encode(), {"Content-Type": doc["mediaType"]})
                elif self.path == f"/v2/team/app/blobs/{CONFIG_DIGEST}":
                    self._send(200, CONFIG)
                elif self.path.startswith("/v2/team/app/"):
                    body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN"}]}).encode()
                    self._send(404, body)
                else:
                    self._send(404, json.dumps({"errors": [{"code": "NAME_UNKNOWN"}]}).encode())

            do_HEAD = do_GET

        self.fail_with = fail_with
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def bearer() -> Iterator[BearerRegistry]:
    reg = BearerRegistry()
    yield reg
    reg.server.shutdown()


def test_scheme_is_http_only_for_loopback() -> None:
    assert default_scheme("127.0.0.1:5000") == "http"
    assert default_scheme("localhost:5000") == "http"
    assert default_scheme("[::1]:5000") == "http"
    assert default_scheme("123.dkr.ecr.eu-west-1.amazonaws.com") == "https"


def test_bearer_challenge_then_token_then_labels(bearer: BearerRegistry) -> None:
    client = RegistryClient(bearer.host, ("user", "pass"))
    assert client.manifest_exists("team/app", "v1")
    assert not client.manifest_exists("team/app", "v2")
    assert client.image_labels("team/app", "v1") == {"k": "v"}
    assert sum(1 for s in bearer.seen if s.startswith("GET /token")) == 1  # token reused


def test_index_picks_the_platform_and_never_an_attestation(bearer: BearerRegistry) -> None:
    client = RegistryClient(bearer.host, ("user", "pass"))
    assert client.image_labels("team/app", "index", platform="linux/amd64") == {"k": "v"}
    assert "GET /v2/team/app/manifests/sha256:arm" not in bearer.seen


def test_not_found_is_typed(bearer: BearerRegistry) -> None:
    client = RegistryClient(bearer.host, ("user", "pass"))
    with pytest.raises(TagNotFound):
        client.get_manifest("team/app", "nope")
    with pytest.raises(RepositoryNotFound):
        client.get_manifest("other/app", "v1")


def test_wrong_login_is_access_denied(bearer: BearerRegistry) -> None:
    with pytest.raises(AccessDenied):
        RegistryClient(bearer.host, ("user", "wrong")).manifest_exists("team/app", "v1")


def test_server_error_and_no_server_are_registry_errors() -> None:
    reg = BearerRegistry(fail_with=503)
    try:
        with pytest.raises(RegistryError, match="HTTP 503"):
            RegistryClient(reg.host, ("user", "pass")).manifest_exists("team/app", "v1")
    finally:
        reg.server.shutdown()
    with pytest.raises(RegistryError):
        RegistryClient("127.0.0.1:9", None, timeout=2).manifest_exists("a/b", "c")


@pytest.mark.services
def test_against_the_htpasswd_registry(
    services: Services, docker_client: Any, busybox_image: str
) -> None:
    repo = f"{services.auth_registry}/adapters/registry"
    docker_client.images.get(busybox_image).tag(repo, "t1")
    for line in docker_client.images.push(
        repo, "t1", auth_config=services.auth_config, stream=True, decode=True
    ):
        assert "error" not in line
    client = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    assert client.manifest_exists("adapters/registry", "t1")
    assert not client.manifest_exists("adapters/registry", "missing")
    assert client.image_labels("adapters/registry", "t1") == {}
    with pytest.raises(AccessDenied):
        RegistryClient(services.auth_registry, None).manifest_exists("adapters/registry", "t1")
