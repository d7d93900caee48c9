"""Each service scripts/test starts is real: dockerd builds, the registries store, moto answers.

These pin the test environment itself, so a broken one fails here first, by name.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import docker
import pytest

from tests.services import (
    Builder,
    Services,
    decode_authorization_token,
    http_status,
    write_context,
)

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import TagTypeDef

pytestmark = pytest.mark.services


@pytest.fixture
def proof_context(tmp_path: Path, busybox_image: str) -> tuple[Path, str]:
    """A build context whose RUN step writes a value unique to this test into the image."""
    proof = uuid.uuid4().hex
    dockerfile = f"FROM {busybox_image}\nRUN echo {proof} > /proof && mkdir /built-by-run\n"
    return write_context(tmp_path / "ctx", dockerfile), proof


def read_proof(client: docker.DockerClient, image: str) -> str:
    """Run the image and read what its RUN step wrote (containers get no network here)."""
    output = client.containers.run(image, ["cat", "/proof"], network_mode="none", remove=True)
    assert isinstance(output, bytes)
    return output.decode().strip()


@pytest.fixture
def removed_images(docker_client: docker.DockerClient) -> Iterator[list[str]]:
    """Image references to remove from the daemon after the test."""
    refs: list[str] = []
    yield refs
    for ref in refs:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(ref, force=True)


def push(client: docker.DockerClient, repository: str, tag: str, auth: dict[str, str]) -> None:
    """Push through the daemon; the stream reports failures as ``error`` entries, not raises."""
    errors = [
        line["error"]
        for line in client.images.push(
            repository, tag=tag, auth_config=auth, stream=True, decode=True
        )
        if "error" in line
    ]
    if errors:
        raise docker.errors.APIError(f"push {repository}:{tag} failed: {errors}")


def basic_get(url: str, user: str, password: str) -> int:
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {credentials}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


# --- dockerd -----------------------------------------------------------------------------------


def test_dockerd_is_this_runs_own_daemon(
    services: Services, docker_client: docker.DockerClient
) -> None:
    info = docker_client.info()
    assert info["DockerRootDir"].startswith(f"{services.run_dir}/")
    assert info["Driver"] in ("overlay2", "vfs")


@pytest.mark.parametrize(
    ("builder", "marker"),
    [("legacy", "Step 2/2 : RUN"), ("buildkit", "[internal] load build definition")],
)
def test_cli_builds_an_image_with_a_run_step(
    services: Services,
    docker_client: docker.DockerClient,
    proof_context: tuple[Path, str],
    removed_images: list[str],
    unique_repo: Callable[..., str],
    builder: Builder,
    marker: str,
) -> None:
    context, proof = proof_context
    image = f"{unique_repo('cli')}:{builder}"
    removed_images.append(image)
    argv, env = services.docker_cli(builder)
    build = subprocess.run(
        [*argv, "build", "--network=host", "--progress=plain", "--tag", image, str(context)]
        if builder == "buildkit"
        else [*argv, "build", "--network=host", "--tag", image, str(context)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = build.stdout + build.stderr
    assert build.returncode == 0, output
    assert marker in output  # the builder we asked for did the build
    assert read_proof(docker_client, image) == proof


def test_sdk_builds_an_image_with_a_run_step(
    docker_client: docker.DockerClient,
    proof_context: tuple[Path, str],
    removed_images: list[str],
    unique_repo: Callable[..., str],
) -> None:
    context, proof = proof_context
    image = f"{unique_repo('sdk')}:latest"
    removed_images.append(image)
    built, _logs = docker_client.images.build(
        path=str(context), tag=image, network_mode="host", rm=True
    )
    assert image in built.tags
    assert read_proof(docker_client, image) == proof


# --- registries with moto's ECR token ----------------------------------------------------------


@pytest.fixture
def ecr_credentials(services: Services, ecr_client: ECRClient) -> dict[str, str]:
    """The Docker SDK's auth_config, decoded from moto's get_authorization_token."""
    data = ecr_client.get_authorization_token()["authorizationData"][0]
    user, password = decode_authorization_token(data["authorizationToken"])
    assert (user, password) == (services.auth_username, services.auth_password)
    return {"username": user, "password": password}


@pytest.fixture
def pushed_image(
    services: Services,
    docker_client: docker.DockerClient,
    proof_context: tuple[Path, str],
    removed_images: list[str],
    unique_repo: Callable[..., str],
    ecr_credentials: dict[str, str],
) -> tuple[str, str, str]:
    """An image built here and pushed to the auth registry: (reference, image id, proof)."""
    context, proof = proof_context
    repository = f"{services.auth_registry}/{unique_repo('push')}"
    reference = f"{repository}:v1"
    removed_images.append(reference)
    built, _ = docker_client.images.build(
        path=str(context), tag=reference, network_mode="host", rm=True
    )
    push(docker_client, repository, "v1", ecr_credentials)
    return reference, str(built.id), proof


def test_image_pushed_with_the_ecr_token_pulls_back_identical(
    docker_client: docker.DockerClient,
    pushed_image: tuple[str, str, str],
    ecr_credentials: dict[str, str],
) -> None:
    reference, image_id, proof = pushed_image
    docker_client.images.remove(reference, force=True)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(reference)

    repository, tag = reference.rsplit(":", 1)
    pulled = docker_client.images.pull(repository, tag=tag, auth_config=ecr_credentials)

    assert pulled.id == image_id
    assert read_proof(docker_client, reference) == proof


def test_auth_registry_refuses_a_wrong_password(
    services: Services, docker_client: docker.DockerClient, pushed_image: tuple[str, str, str]
) -> None:
    reference, _, _ = pushed_image
    repository, tag = reference.rsplit(":", 1)
    name = repository.split("/", 1)[1]
    manifest = f"http://{services.auth_registry}/v2/{name}/manifests/{tag}"
    wrong = {"username": services.auth_username, "password": "not-the-token"}
    refused = r"unauthorized: authentication required"

    assert basic_get(manifest, services.auth_username, "not-the-token") == 401
    assert basic_get(manifest, services.auth_username, services.auth_password) == 200
    with pytest.raises(docker.errors.APIError, match=refused):
        push(docker_client, repository, tag, wrong)
    docker_client.images.remove(reference, force=True)
    with pytest.raises(docker.errors.APIError, match=refused):
        docker_client.images.pull(repository, tag=tag, auth_config=wrong)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(reference)
    # A client of its own: a successful login() would stick to the shared one.
    throwaway = docker.DockerClient(base_url=services.docker_host)
    with (
        contextlib.closing(throwaway),
        pytest.raises(docker.errors.APIError, match=r"failed with status: 401 Unauthorized"),
    ):
        throwaway.login(wrong["username"], wrong["password"], registry=services.auth_registry)


def test_push_to_a_stopped_registry_fails_and_works_once_restarted(
    services: Services,
    docker_client: docker.DockerClient,
    pushed_image: tuple[str, str, str],
    ecr_credentials: dict[str, str],
) -> None:
    reference, _, _ = pushed_image
    repository = reference.rsplit(":", 1)[0]
    docker_client.images.get(reference).tag(repository, "v2")

    with services.registry_stopped("auth"):
        assert services.registry_control("status", "auth") == "stopped"
        with pytest.raises(docker.errors.APIError, match=r"(?i)connection refused"):
            push(docker_client, repository, "v2", ecr_credentials)

    assert services.registry_control("status", "auth") == "running"
    push(docker_client, repository, "v2", ecr_credentials)


def test_each_worker_has_a_set_of_services_of_its_own(services: Services) -> None:
    """One set per worker (scripts/test --sets N): this worker's, and no two share anything."""
    sets = json.loads((services.run_dir / "env.json").read_text())["sets"]
    assert len(sets) == int(os.environ["ECR_CACHE_TEST_SETS"]) >= 1
    mine = sets[int(os.environ["ECR_CACHE_TEST_SET"])]
    assert mine["DOCKER_HOST"] == services.docker_host
    assert mine["ECR_CACHE_TEST_AUTH_REGISTRY"] == services.auth_registry
    assert mine["ECR_CACHE_TEST_MOTO_URL"] == services.moto_url
    for name in (
        "DOCKER_HOST",
        "ECR_CACHE_TEST_REGISTRY",
        "ECR_CACHE_TEST_AUTH_REGISTRY",
        "ECR_CACHE_TEST_MOTO_URL",
        "DOCKER_CONFIG",
        "ECR_CACHE_TEST_REGISTRY_CTL",
    ):
        assert len({each[name] for each in sets}) == len(sets), name
    if worker := os.environ.get("PYTEST_XDIST_WORKER"):
        assert worker == f"gw{os.environ['ECR_CACHE_TEST_SET']}"


def test_stopping_this_workers_auth_registry_leaves_the_other_sets_answering(
    services: Services,
) -> None:
    others = [
        each["ECR_CACHE_TEST_AUTH_REGISTRY"]
        for each in json.loads((services.run_dir / "env.json").read_text())["sets"]
        if each["ECR_CACHE_TEST_AUTH_REGISTRY"] != services.auth_registry
    ]
    with services.registry_stopped("auth"):
        assert http_status(f"http://{services.auth_registry}/v2/", timeout=2) == 0
        # Another worker's test may be stopping its own registry for a moment (the fault tests
        # do): each other set must answer within a few seconds while this one stays stopped.
        assert [answers_within(f"http://{host}/v2/", 401, 10.0) for host in others] == [True] * len(
            others
        )
        assert http_status(f"http://{services.auth_registry}/v2/", timeout=2) == 0
    assert http_status(f"http://{services.auth_registry}/v2/") == 401


def answers_within(url: str, status: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while http_status(url, timeout=2) != status:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_plain_registry_needs_no_credentials(
    services: Services,
    docker_client: docker.DockerClient,
    busybox_image: str,
    unique_repo: Callable[..., str],
    removed_images: list[str],
) -> None:
    repository = f"{services.registry}/{unique_repo('plain')}"
    removed_images.append(f"{repository}:latest")
    docker_client.images.get(busybox_image).tag(repository, "latest")
    for line in docker_client.images.push(repository, tag="latest", stream=True, decode=True):
        assert "error" not in line, line
    name = repository.split("/", 1)[1]
    with urllib.request.urlopen(f"http://{services.registry}/v2/{name}/tags/list") as response:
        assert response.read() == f'{{"name":"{name}","tags":["latest"]}}\n'.encode()


# --- moto's ECR control plane ------------------------------------------------------------------


def test_ecr_repository_with_tags_reads_back(
    ecr_client: ECRClient, unique_repo: Callable[..., str]
) -> None:
    name = unique_repo("build-cache")
    tags: list[TagTypeDef] = [
        {"Key": "team", "Value": "platform"},
        {"Key": "Cost Centre", "Value": "42/a b"},
    ]

    created = ecr_client.create_repository(
        repositoryName=name, tags=tags, imageTagMutability="MUTABLE"
    )["repository"]
    described = ecr_client.describe_repositories(repositoryNames=[name])["repositories"]

    assert [r["repositoryName"] for r in described] == [name]
    assert described[0]["repositoryArn"] == created["repositoryArn"]
    assert described[0]["imageTagMutability"] == "MUTABLE"
    listed = ecr_client.list_tags_for_resource(resourceArn=created["repositoryArn"])["tags"]
    assert sorted(listed, key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])


def test_moto_reset_forgets_repositories(
    services: Services, ecr_client: ECRClient, unique_repo: Callable[..., str]
) -> None:
    ecr_client.create_repository(repositoryName=unique_repo())
    services.reset_moto()
    assert ecr_client.describe_repositories()["repositories"] == []


def test_moto_env_points_a_default_boto3_client_at_moto(
    moto_env: dict[str, str], ecr_client: ECRClient, unique_repo: Callable[..., str]
) -> None:
    import boto3

    name = unique_repo()
    boto3.client("ecr").create_repository(repositoryName=name)  # endpoint and region from env
    described = ecr_client.describe_repositories()["repositories"]
    assert [r["repositoryName"] for r in described] == [name]
    assert described[0]["repositoryUri"].split(".")[3] == moto_env["AWS_DEFAULT_REGION"]


def test_authorization_token_is_moto_s_fixed_token(
    services: Services, ecr_client: ECRClient
) -> None:
    data = ecr_client.get_authorization_token()["authorizationData"][0]
    assert decode_authorization_token(data["authorizationToken"]) == (
        "AWS",
        "123456789012-auth-token",
    )
    assert services.auth_password == "123456789012-auth-token"
