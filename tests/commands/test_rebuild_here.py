"""``ecr-cache rebuild --here``: the hook's flow forced to rebuild and push, from a checkout.

Real dockerd (legacy builder), moto as ECR's control plane, the htpasswd registry as its data
plane (``registry-hostname``), as the hook's own end-to-end tests run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.adapters.registry import RegistryClient
from tests.cli import run_ecr_cache
from tests.services import Services, write_context

pytestmark = pytest.mark.services

DOCKERFILE = "FROM local/busybox\nCOPY package.json /p.json\n"


def config(services: Services) -> str:
    return json.dumps(
        {
            "cache-on": ["package.json"],
            "registry-hostname": services.auth_registry,
            "additional-build-args": "--network=host",
        }
    )


def run(services: Services, checkout: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = services.env(moto=True)
    for name in list(env):
        if name.startswith("BUILDKITE"):
            del env[name]
    env["ECR_CACHE_DOCKER_CLI"] = services.legacy_cli
    env["DOCKER_BUILDKIT"] = "0"
    return run_ecr_cache(*argv, "--checkout", str(checkout), env=env, timeout=240)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return write_context(tmp_path / "checkout", DOCKERFILE, {"package.json": '{"v": 1}\n'})


@pytest.fixture
def served_checkout(
    services: Services, docker_client: Any, busybox_image: str, tmp_path: Path
) -> Path:
    """A checkout whose base image a registry serves: ``--pull`` needs one."""
    base = f"{services.registry}/base/busybox"
    docker_client.images.get(busybox_image).tag(base, "latest")
    docker_client.images.push(base, "latest")
    return write_context(
        tmp_path / "served",
        f"FROM {base}:latest\nCOPY package.json /p.json\n",
        {"package.json": '{"v": 1}\n'},
    )


def test_rebuild_here_builds_and_pushes_the_checksum_tag_every_time(
    services: Services, moto_reset: None, served_checkout: Path, unique_repo: Any
) -> None:
    checkout = served_checkout
    pipeline = unique_repo("acme").split("/", 1)[1]
    tag = run(services, checkout, "checksum", "--config", config(services)).stdout.split()[0]
    registry = RegistryClient(
        services.auth_registry, (services.auth_username, services.auth_password)
    )
    repository = f"build-cache/acme/{pipeline}"

    first = run(
        services, checkout, "rebuild", "--here", f"acme/{pipeline}", "--config", config(services)
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert "built and pushed" in first.stdout
    digest_1 = registry.get_manifest(repository, tag).digest

    second = run(
        services, checkout, "rebuild", "--here", f"acme/{pipeline}", "--config", config(services)
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "built and pushed" in second.stdout  # a hook run would have hit the local image
    assert registry.get_manifest(repository, tag).digest != digest_1
    assert registry.manifest_exists(repository, "latest")


def test_rebuild_here_outside_a_job_needs_the_pipeline(
    services: Services, moto_reset: None, checkout: Path
) -> None:
    result = run(services, checkout, "rebuild", "--here", "--config", config(services))

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "ecr-name" in result.stderr


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("rebuild", "--here", "acme/web", "--dry-run"), "--dry-run"),
        (("rebuild", "--here", "just-one-part"), "org/pipeline"),
        (("rebuild", "--here", "acme/web", "--config", "[1]"), "--config"),
        (("rebuild", "acme/web", "--all", "--config", "{}"), "--here"),
    ],
)
def test_rebuild_here_bad_input_is_exit_2(
    ecr_cache: Any, argv: tuple[str, ...], needle: str, tmp_path: Path
) -> None:
    result = ecr_cache(*argv, "--checkout", str(tmp_path))

    assert result.code == 2
    assert needle in result.err and result.err.count("\n") == 1


def test_rebuild_here_whose_push_fails_is_exit_3(
    services: Services, moto_reset: None, served_checkout: Path, unique_repo: Any
) -> None:
    pipeline = unique_repo("acme").split("/", 1)[1]

    with services.registry_stopped("auth"):
        result = run(
            services,
            served_checkout,
            "rebuild",
            "--here",
            f"acme/{pipeline}",
            "--config",
            config(services),
        )

    assert result.returncode == 3, result.stdout + result.stderr
    assert "could not push it" in result.stderr and result.stderr.count("\n") == 1
