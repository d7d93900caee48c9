"""Base images as inputs of the key: Docker's name normalisation, and their manifest entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr_cache_tui.cachekey.baseimages import (
    BaseImage,
    ImageName,
    all_resolved,
    base_image_entry,
    parse_image,
)
from ecr_cache_tui.cachekey.checksum import compute
from ecr_cache_tui.cachekey.inputs import BASE_IMAGE
from ecr_cache_tui.config import PluginConfig

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("node", "registry-1.docker.io/library/node:latest"),
        ("node:20", "registry-1.docker.io/library/node:20"),
        ("node:20-alpine", "registry-1.docker.io/library/node:20-alpine"),
        ("docker.io/node:20", "registry-1.docker.io/library/node:20"),
        ("index.docker.io/library/node", "registry-1.docker.io/library/node:latest"),
        ("bitnami/redis:7", "registry-1.docker.io/bitnami/redis:7"),
        ("ghcr.io/org/app:1.2", "ghcr.io/org/app:1.2"),
        ("localhost/app", "localhost/app:latest"),
        ("127.0.0.1:5000/base/busybox:1", "127.0.0.1:5000/base/busybox:1"),
        ("[::1]:5000/app:v", "[::1]:5000/app:v"),
        ("Registry.Example/app", "Registry.Example/app:latest"),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:ci",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:ci",
        ),
        (f"node:20@{DIGEST_A}", f"registry-1.docker.io/library/node:20@{DIGEST_A}"),
        (f"node@{DIGEST_A}", f"registry-1.docker.io/library/node@{DIGEST_A}"),
    ],
)
def test_names_are_normalised_as_docker_does(written: str, normalised: str) -> None:
    assert str(parse_image(written)) == normalised


def test_docker_hub_is_asked_at_its_api_host_under_library() -> None:
    name = parse_image("node:20")
    assert (name.domain, name.host, name.repository, name.reference) == (
        "docker.io",
        "registry-1.docker.io",
        "library/node",
        "20",
    )


def test_a_pinned_digest_is_what_is_asked_for() -> None:
    assert parse_image(f"node:20@{DIGEST_A}").reference == DIGEST_A


@pytest.mark.parametrize(
    "bad",
    ["Node:20", "node:", "node:-x", "/node", "node//x", "node@sha256:abc", "a" * 256, "node:a b"],
)
def test_what_docker_refuses_is_not_an_image_name(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_image(bad)


def test_the_entry_is_named_by_the_reference_and_valued_by_the_digest() -> None:
    entry = base_image_entry(BaseImage("node:20", DIGEST_A))
    assert (entry.kind, entry.name, entry.note) == (BASE_IMAGE, "node:20", DIGEST_A)
    assert entry.value == DIGEST_A
    assert base_image_entry(BaseImage("node:20", DIGEST_B)).digest != entry.digest
    assert base_image_entry(BaseImage("node:22", DIGEST_A)).digest == entry.digest


def test_an_unresolved_image_is_hashed_as_its_reference() -> None:
    unresolved = base_image_entry(BaseImage("node:20", None, "connection refused"))
    assert unresolved.note == "not resolved: connection refused"
    assert unresolved.value is None
    assert unresolved.digest == base_image_entry(BaseImage("node:20", None)).digest
    assert unresolved.digest != base_image_entry(BaseImage("node:22", None)).digest
    assert unresolved.digest != base_image_entry(BaseImage("node:20", DIGEST_A)).digest


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM node:20\n")
    return tmp_path


def test_without_base_images_the_tag_is_what_version_1_always_made(checkout: Path) -> None:
    # Pinned: a configuration without base-image-digests keeps its tag (no rebuild on upgrade).
    result = compute(PluginConfig(), checkout, platform="linux/amd64")
    assert result.tag == "97a114d4952263040ff54a5b65878091"
    assert result.manifest.version == 1


def test_base_images_are_the_last_inputs_and_move_the_tag(checkout: Path) -> None:
    plain = compute(PluginConfig(), checkout, platform="linux/amd64")
    a = compute(
        PluginConfig(),
        checkout,
        platform="linux/amd64",
        base_images=[BaseImage("node:20", DIGEST_A)],
    )
    b = compute(
        PluginConfig(),
        checkout,
        platform="linux/amd64",
        base_images=[BaseImage("node:20", DIGEST_B)],
    )
    assert a.manifest.entries[:-1] == plain.manifest.entries
    assert a.manifest.entries[-1].kind == BASE_IMAGE
    assert len({plain.tag, a.tag, b.tag}) == 3
    assert a.manifest.version == plain.manifest.version == 1


def test_image_name_round_trips_through_its_text() -> None:
    name = ImageName("docker.io", "library/node", "20", None)
    assert parse_image(str(name).replace("registry-1.docker.io", "docker.io")) == name


def test_the_build_pulls_only_when_every_base_image_resolved() -> None:
    resolved = base_image_entry(BaseImage("node:20", DIGEST_A))
    unresolved = base_image_entry(BaseImage("alpine:3", None, "refused"))
    assert all_resolved([resolved])
    assert not all_resolved([resolved, unresolved])
    assert not all_resolved([])
