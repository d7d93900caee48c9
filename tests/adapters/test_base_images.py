"""Base images resolved to digests against the real registries (plain and htpasswd)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecr_cache_tui.adapters.base_images import (
    DOCKER_HUB_CONFIG_KEY,
    RegistryBaseImages,
    config_key,
    ecr_registry_of,
)
from ecr_cache_tui.adapters.registry import MAX_MANIFEST_BYTES
from ecr_cache_tui.cachekey.baseimages import parse_image
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import AccessDenied, RegistryError, TagNotFound
from ecr_cache_tui.model import Credentials
from ecr_cache_tui.wiring import base_image_login
from tests.bearer_registry import IMAGE, BearerRegistry
from tests.fakes import FakeEcr
from tests.registry_push import OCI_INDEX, OCI_MANIFEST, RegistryPusher
from tests.services import ECR_PASSWORD, ECR_USER, Services

LOGIN = Credentials(ECR_USER, ECR_PASSWORD)


def repository() -> str:
    return f"base/{secrets.token_hex(4)}"


def anonymous(image: object) -> None:
    return None


def test_ecr_hosts_are_recognised_and_nothing_else() -> None:
    assert ecr_registry_of("123456789012.dkr.ecr.eu-west-1.amazonaws.com") == (
        "123456789012",
        "eu-west-1",
    )
    assert ecr_registry_of("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com") == (
        "123456789012",
        "us-east-1",
    )
    assert ecr_registry_of("ghcr.io") is None
    assert ecr_registry_of("123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.io") is None


def test_docker_hub_logins_are_found_where_the_cli_files_them() -> None:
    assert config_key(parse_image("node:20")) == DOCKER_HUB_CONFIG_KEY
    assert config_key(parse_image("ghcr.io/o/a")) == "ghcr.io"


@pytest.mark.services
def test_a_tag_resolves_to_its_manifest_digest_and_follows_a_republish(
    services: Services,
) -> None:
    repo = repository()
    pusher = RegistryPusher(services.registry)
    first = pusher.image(repo, "1", "one")
    name = parse_image(f"{services.registry}/{repo}:1")
    assert RegistryBaseImages(anonymous).digest(name, "linux/amd64") == first
    second = pusher.image(repo, "1", "two")
    assert second != first
    assert RegistryBaseImages(anonymous).digest(name, "linux/amd64") == second


@pytest.mark.services
def test_an_index_gives_the_entry_of_the_platform(services: Services) -> None:
    repo = repository()
    pusher = RegistryPusher(services.registry)
    amd = pusher.image(repo, "amd", "a", arch="amd64")
    arm = pusher.image(repo, "arm", "b", arch="arm64")
    pusher.index(repo, "multi", {"linux/amd64": amd, "linux/arm64/v8": arm})
    name = parse_image(f"{services.registry}/{repo}:multi")
    resolver = RegistryBaseImages(anonymous)
    assert resolver.digest(name, "linux/amd64") == amd
    assert resolver.digest(name, "linux/arm64") == arm
    assert resolver.digest(name, "linux/arm64/v8") == arm
    with pytest.raises(RegistryError, match="no image for linux/s390x"):
        resolver.digest(name, "linux/s390x")


@pytest.mark.services
def test_an_index_larger_than_the_bound_is_refused_not_read_whole(services: Services) -> None:
    repo = repository()
    pusher = RegistryPusher(services.registry)
    amd = pusher.image(repo, "amd", "a")
    pusher.index(repo, "huge", {"linux/amd64": amd}, padding=MAX_MANIFEST_BYTES + 1)
    with pytest.raises(RegistryError, match="larger than"):
        RegistryBaseImages(anonymous).digest(
            parse_image(f"{services.registry}/{repo}:huge"), "linux/amd64"
        )


@pytest.mark.services
def test_an_index_nested_deeper_than_the_bound_is_a_registry_error(services: Services) -> None:
    repo = repository()
    pusher = RegistryPusher(services.registry)
    amd = pusher.image(repo, "amd", "a")
    entry = {"mediaType": OCI_MANIFEST, "digest": amd, "size": 1, "platform": {"os": "linux"}}
    body = (
        f'{{"schemaVersion": 2, "mediaType": "{OCI_INDEX}", "manifests": [{json.dumps(entry)}],'
        f' "nested": {"[" * 5_000}{"]" * 5_000}}}'
    ).encode()
    put = pusher.session.put(
        f"{pusher.base}/{repo}/manifests/deep",
        data=body,
        headers={"Content-Type": OCI_INDEX},
        timeout=30,
    )
    assert put.status_code == 201, put.text
    with pytest.raises(RegistryError, match="deep: not JSON"):
        RegistryBaseImages(anonymous).digest(
            parse_image(f"{services.registry}/{repo}:deep"), "linux/amd64"
        )


@pytest.mark.services
def test_the_htpasswd_registry_takes_the_login_and_refuses_without_it(
    services: Services,
) -> None:
    repo = repository()
    digest = RegistryPusher(services.auth_registry, (ECR_USER, ECR_PASSWORD)).image(repo, "1", "x")
    name = parse_image(f"{services.auth_registry}/{repo}:1")
    asked: list[str] = []

    def login(image: object) -> Credentials:
        asked.append(str(image))
        return LOGIN

    resolver = RegistryBaseImages(login)
    assert resolver.digest(name, "linux/amd64") == digest
    assert resolver.digest(name, "linux/amd64") == digest
    assert len(asked) == 1, "one login per registry host"
    with pytest.raises(AccessDenied):
        RegistryBaseImages(anonymous).digest(name, "linux/amd64")


@pytest.mark.services
def test_a_missing_tag_is_not_found(services: Services) -> None:
    with pytest.raises(TagNotFound):
        RegistryBaseImages(anonymous).digest(
            parse_image(f"{services.registry}/{repository()}:nope"), "linux/amd64"
        )


@pytest.fixture
def token_registry() -> Iterator[BearerRegistry]:
    registry = BearerRegistry()
    yield registry
    registry.server.shutdown()


def test_a_token_registry_is_answered_and_a_digestless_answer_is_hashed(
    token_registry: BearerRegistry,
) -> None:
    bearer = token_registry
    resolver = RegistryBaseImages(lambda image: Credentials("user", "pass"))
    name = parse_image(f"{bearer.host}/team/app:v1")
    expected = "sha256:" + hashlib.sha256(json.dumps(IMAGE).encode()).hexdigest()
    assert resolver.digest(name, "linux/amd64") == expected
    assert any(s.startswith("GET /token") for s in bearer.seen)


def test_an_ecr_host_gets_a_token_from_ecr_and_it_is_masked(tmp_path: Path) -> None:
    ecr = FakeEcr()
    masked: list[tuple[str, str]] = []
    login = base_image_login(
        PluginConfig(region="eu-west-1"),
        {"HOME": str(tmp_path)},
        ecr,
        lambda user, password: masked.append((user, password)),
    )
    found = login(parse_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/base/node:20"))
    assert found is not None and found.username == "AWS"
    assert ecr.calls == ["GetAuthorizationToken"]
    assert masked == [(found.username, found.password)]
    assert login(parse_image("ghcr.io/o/a:1")) is None, "no login in the Docker config"


def test_a_docker_hub_login_is_read_where_the_cli_files_it(tmp_path: Path) -> None:
    secret = base64.b64encode(b"hubuser:hubpass").decode()
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {DOCKER_HUB_CONFIG_KEY: {"auth": secret}}})
    )
    login = base_image_login(PluginConfig(), {"DOCKER_CONFIG": str(tmp_path)}, None, print)
    assert login(parse_image("node:20")) == Credentials("hubuser", "hubpass")
