"""How tests find the services, and what they do when the services are not there."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from tests.services import (
    Services,
    ServicesUnavailable,
    decode_authorization_token,
    requirement,
    unique_name,
    worker_set,
)

ENV = {
    "DOCKER_HOST": "unix:///tmp/ect.abc123/docker.sock",
    "ECR_CACHE_TEST_REGISTRY": "127.0.0.1:40001",
    "ECR_CACHE_TEST_AUTH_REGISTRY": "127.0.0.1:40002",
    "ECR_CACHE_TEST_MOTO_URL": "http://127.0.0.1:40003/",
    "ECR_CACHE_TEST_RUN_DIR": "/tmp/ect.abc123",
}
# ECR's repository name grammar; registries accept the same.
REPOSITORY_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "optional"),
        ({"CI": "false"}, "optional"),
        ({"ECR_CACHE_TEST_SERVICES": "0"}, "optional"),
        ({"CI": "true"}, "required"),
        ({"ECR_CACHE_TEST_SERVICES": "1"}, "required"),
    ],
)
def test_services_are_required_under_scripts_test_and_in_ci(
    environ: dict[str, str], expected: str
) -> None:
    assert requirement(environ) == expected


def test_services_are_read_from_the_environment() -> None:
    services = Services.from_environ(ENV)
    assert services.docker_host == "unix:///tmp/ect.abc123/docker.sock"
    assert services.moto_url == "http://127.0.0.1:40003"
    assert services.registry_ctl == Path("/tmp/ect.abc123/registry-ctl")
    assert services.aws_env()["AWS_ENDPOINT_URL_ECR"] == "http://127.0.0.1:40003"


def test_a_missing_variable_is_named_with_the_command_to_run() -> None:
    environ = {k: v for k, v in ENV.items() if k != "ECR_CACHE_TEST_MOTO_URL"}
    with pytest.raises(ServicesUnavailable, match=r"ECR_CACHE_TEST_MOTO_URL.*scripts/test"):
        Services.from_environ(environ)


def test_an_unreachable_daemon_is_named(tmp_path: Path) -> None:
    services = Services.from_environ({**ENV, "DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    with pytest.raises(ServicesUnavailable, match="dockerd at unix://"):
        services.check(timeout=1)


def test_docker_cli_selects_the_builder() -> None:
    services = Services.from_environ(
        {**ENV, "ECR_CACHE_TEST_DOCKER_LEGACY_CLI": "/usr/local/bin/docker"}
    )
    legacy, legacy_env = services.docker_cli("legacy")
    buildkit, buildkit_env = services.docker_cli("buildkit")
    assert (legacy, legacy_env["DOCKER_BUILDKIT"]) == (["/usr/local/bin/docker"], "0")
    assert (buildkit, buildkit_env["DOCKER_BUILDKIT"]) == (["/usr/bin/docker"], "1")
    assert legacy_env["DOCKER_HOST"] == buildkit_env["DOCKER_HOST"] == ENV["DOCKER_HOST"]


@pytest.mark.parametrize(
    ("prefix", "hint"),
    [("t", "test_x[legacy-Step 2/2]"), ("build-cache/acme", "UPPER__case"), ("", ""), ("/x/", "-")],
)
def test_unique_names_are_valid_repository_names(prefix: str, hint: str) -> None:
    first, second = unique_name(prefix, hint), unique_name(prefix, hint)
    assert first != second
    assert REPOSITORY_NAME.fullmatch(first), first
    assert len(first) <= 100


def test_authorization_token_decodes_to_user_and_password() -> None:
    token = base64.b64encode(b"AWS:pass:with:colons").decode()
    assert decode_authorization_token(token) == ("AWS", "pass:with:colons")


def _run_dir_with_sets(tmp_path: Path, count: int) -> Path:
    sets = [
        {"DOCKER_HOST": f"unix://{tmp_path}/docker-{i}.sock", "ECR_CACHE_TEST_SET": str(i)}
        for i in range(count)
    ]
    (tmp_path / "env.json").write_text(json.dumps({"set": {}, "unset": [], "sets": sets}))
    return tmp_path


def test_each_worker_takes_the_set_of_its_number(tmp_path: Path) -> None:
    run_dir = str(_run_dir_with_sets(tmp_path, 3))
    for worker, index in (("gw0", 0), ("gw2", 2)):
        chosen = worker_set({"PYTEST_XDIST_WORKER": worker, "ECR_CACHE_TEST_RUN_DIR": run_dir})
        assert chosen == {
            "DOCKER_HOST": f"unix://{tmp_path}/docker-{index}.sock",
            "ECR_CACHE_TEST_SET": str(index),
        }


def test_outside_a_worker_or_without_services_the_environment_stands(tmp_path: Path) -> None:
    run_dir = str(_run_dir_with_sets(tmp_path, 2))
    assert worker_set({"ECR_CACHE_TEST_RUN_DIR": run_dir}) == {}
    assert worker_set({"PYTEST_XDIST_WORKER": "gw1"}) == {}


def test_a_worker_without_a_set_of_its_own_is_an_error_saying_how_to_run(
    tmp_path: Path,
) -> None:
    run_dir = str(_run_dir_with_sets(tmp_path, 2))
    with pytest.raises(ServicesUnavailable, match=r"worker gw2 has no set.*ECR_CACHE_TEST_WORKERS"):
        worker_set({"PYTEST_XDIST_WORKER": "gw2", "ECR_CACHE_TEST_RUN_DIR": run_dir})
    with pytest.raises(ServicesUnavailable, match=r"cannot read the services' sets"):
        worker_set({"PYTEST_XDIST_WORKER": "gw0", "ECR_CACHE_TEST_RUN_DIR": str(tmp_path / "x")})
