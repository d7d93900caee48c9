"""The Docker engine adapter: BuildKit detection, daemon platform, pull outcomes by type."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from ecr_cache_tui.adapters.docker_cli import DockerCli
from ecr_cache_tui.adapters.docker_daemon import Engine, docker_client
from ecr_cache_tui.errors import AccessDenied, DaemonUnreachable, RegistryError, TagNotFound
from ecr_cache_tui.model import Credentials
from tests.services import ECR_PASSWORD, ECR_USER, Services


def fake_runner(answers: dict[str, tuple[int, str]]) -> Any:
    def run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        code, out = answers.get(" ".join(argv[1:]), (1, ""))
        return subprocess.CompletedProcess(argv, code, out, "")

    return run


@pytest.mark.parametrize(
    ("answers", "env", "expected"),
    [
        ({"buildx version": (0, "github.com/docker/buildx v0.12")}, {}, True),
        ({"version --format {{.Client.Version}}": (0, "20.10.24+dfsg1")}, {}, True),
        ({"version --format {{.Client.Version}}": (0, "28.2.2")}, {}, False),
        ({"--version": (0, "Docker version 20.10.24, build 1")}, {}, True),
        ({"buildx version": (0, "v0.12")}, {"DOCKER_BUILDKIT": "0"}, False),
    ],
)
def test_buildkit_detection(
    answers: dict[str, tuple[int, str]], env: dict[str, str], expected: bool
) -> None:
    assert DockerCli("docker", env, runner=fake_runner(answers)).has_buildkit() is expected


def test_no_daemon_is_daemon_unreachable(tmp_path: Any) -> None:
    with pytest.raises(DaemonUnreachable):
        docker_client({"DOCKER_HOST": f"unix://{tmp_path}/none.sock"}, timeout=2)


def test_credentials_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(Credentials("AWS", "s3cret"))


@pytest.mark.services
def test_real_clis_and_daemon(services: Services) -> None:
    env = services.env()
    assert DockerCli(services.buildkit_cli, env).has_buildkit()
    assert not DockerCli(services.legacy_cli, {**env, "DOCKER_BUILDKIT": "0"}).has_buildkit()
    engine = Engine(docker_client(env))
    assert engine.platform().startswith("linux/")


@pytest.mark.services
def test_pull_outcomes_are_typed(
    services: Services, docker_client: Any, busybox_image: str
) -> None:
    engine = Engine(docker_client)
    image = f"{services.auth_registry}/adapters/engine"
    good = Credentials(ECR_USER, ECR_PASSWORD)
    docker_client.images.get(busybox_image).tag(image, "t1")
    engine.push(image, "t1", good)
    engine.pull(image, "t1", good)
    with pytest.raises(TagNotFound):
        engine.pull(image, "missing", good)
    with pytest.raises(AccessDenied):
        engine.pull(image, "t1", Credentials(ECR_USER, "wrong"))
    with pytest.raises(RegistryError):
        engine.pull("127.0.0.1:9/none/thing", "t1", None)
