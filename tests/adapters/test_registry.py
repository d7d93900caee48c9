"""The OCI distribution client: Basic and Bearer challenges, errors by type, image labels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ecr_cache_tui.adapters.registry import RegistryClient, default_scheme
from ecr_cache_tui.errors import AccessDenied, RegistryError, RepositoryNotFound, TagNotFound
from tests.bearer_registry import BearerRegistry
from tests.services import ECR_PASSWORD, ECR_USER, Services


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


@pytest.mark.services
def test_environment_is_read_once_per_origin_and_still_applies(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = services.auth_registry.rsplit(":", 1)[0]
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {host} login {ECR_USER} password {ECR_PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("NO_PROXY", "*")
    reads: list[str] = []

    def counted(real: Any) -> Any:
        def read(url: Any, *args: Any, **kwargs: Any) -> Any:
            reads.append(real.__name__)
            return real(url, *args, **kwargs)

        return read

    monkeypatch.setattr(requests.utils, "get_netrc_auth", counted(requests.utils.get_netrc_auth))
    monkeypatch.setattr(
        requests.sessions, "get_environ_proxies", counted(requests.sessions.get_environ_proxies)
    )
    client = RegistryClient(services.auth_registry)  # no login but the .netrc's
    for _ in range(3):
        assert isinstance(list(client.iter_names("_catalog", "repositories", "")), list)
    assert sorted(reads) == ["get_environ_proxies", "get_netrc_auth"]
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    with pytest.raises(AccessDenied):  # without the .netrc the same registry refuses
        list(RegistryClient(services.auth_registry).iter_names("_catalog", "repositories", ""))
