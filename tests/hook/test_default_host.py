"""The path every real user takes: no ``registry-hostname``, the image at ECR's own host.

The hook (``hooks/pre-command`` sourced by bash, as the agent does) runs inside an
:class:`~tests.ecr_world.EcrWorld`: ``123456789012.dkr.ecr.<region>.amazonaws.com`` (moto's
repository URI) and ``210987654321.dkr.ecr.<region>.amazonaws.com`` (another account's) resolve,
in that namespace only, to TLS registries whose certificates a test CA signed. dockerd trusts the
CA through ``/etc/docker/certs.d/<host>/ca.crt``, the hook's registry client through
``REQUESTS_CA_BUNDLE``; the login is the one moto's GetAuthorizationToken hands out.

Two controls show the trust is real: the hook without the CA fails on the certificate, and dockerd
refuses the same registry under a name it has no ``certs.d`` entry for.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ecr_world import UNTRUSTED_HOST, EcrWorld, missing_tools, moto_password
from tests.hook.hookrun import TOKEN_FORMS, Agent, HookRun
from tests.services import ECR_USER, Services

pytestmark = pytest.mark.services

OWN = "123456789012"  # moto's account: the caller's own registry
OTHER = "210987654321"  # the account-id option's registry
DOCKERFILE = "FROM local/busybox\nCOPY package.json /p.json\n"


def _token_forms(account: str) -> tuple[str, ...]:
    password = moto_password(account)
    return (
        password,
        base64.b64encode(f"{ECR_USER}:{password}".encode()).decode().rstrip("="),
        base64.b64encode(password.encode()).decode().rstrip("="),
    )


@pytest.fixture(scope="module")
def world(services: Services, docker_client: Any, busybox_image: str) -> Iterator[EcrWorld]:
    missing = missing_tools()
    if missing:
        message = (
            f"the default-host world needs {', '.join(missing)} "
            "(Debian: apt-get install util-linux iproute2 openssl docker.io docker-registry)"
        )
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    import docker

    directory = Path(tempfile.mkdtemp(prefix="w", dir=services.run_dir))  # short socket path
    try:
        found = EcrWorld.start(
            directory,
            accounts=(OWN, OTHER),
            region=services.region,
            storage_driver=services.storage_driver or "overlay2",
            owner_mark=str(services.run_dir),
        )
        try:
            client = docker.DockerClient(base_url=found.docker_host, timeout=120)
            try:
                image = docker_client.images.get(busybox_image)
                # By name: named=True keeps only its first tag, and other tests add tags.
                client.images.load(b"".join(image.save(named=busybox_image)))
            finally:
                client.close()
            yield found
        finally:
            found.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def world_docker(world: EcrWorld) -> Iterator[Any]:
    import docker

    client = docker.DockerClient(base_url=world.docker_host, timeout=120)
    yield client
    client.close()


@pytest.fixture
def agent(services: Services, world: EcrWorld, tmp_path: Path) -> Iterator[Agent]:
    """A job environment on the world: its dockerd, its moto, inside its namespaces."""
    world.reset_moto()
    home = tmp_path / "home"
    home.mkdir()
    on_world = dataclasses.replace(services, docker_host=world.docker_host, moto_url=world.moto_url)
    found = Agent(
        services=on_world, home=home, transcript=[], wrap=lambda cwd: world.inside([], cwd)
    )
    yield found
    forbidden = (*TOKEN_FORMS, *_token_forms(OTHER))
    for output in found.transcript:
        for secret in forbidden:
            assert secret not in output, f"{secret!r} leaked into the job log"


def trusting(world: EcrWorld) -> dict[str, str]:
    """What an agent whose system trust holds the CA has: the standard variables."""
    return {"REQUESTS_CA_BUNDLE": str(world.ca), "SSL_CERT_FILE": str(world.ca)}


def assert_ok(run: HookRun) -> None:
    assert run.rc == 0, run.output


def test_miss_pushes_to_the_default_host_then_hits_locally_then_hits_with_a_pull(
    world: EcrWorld, agent: Agent, world_docker: Any, checkout: Path, pipeline: str
) -> None:
    config = {"cache-on": ["package.json"]}
    name = f"build-cache/acme/{pipeline}"
    host = world.host(OWN)

    first = agent.run(checkout, config, pipeline, trusting(world))
    assert_ok(first)
    assert "ecr-cache: miss (not-found)" in first.output
    assert "warning" not in first.output
    assert first.image == f"{host}/{name}"
    assert first.reference == f"{host}/{name}:{first.tag}"
    assert world.manifest_status(OWN, name, first.tag) == 200
    assert world.manifest_status(OWN, name, "latest") == 200
    assert world.manifest_status(OTHER, name, first.tag) == 404

    second = agent.run(checkout, config, pipeline, trusting(world))
    assert_ok(second)
    assert "ecr-cache: hit (local)" in second.output
    assert second.exported == first.exported

    for reference in (first.reference, f"{first.image}:latest"):
        world_docker.images.remove(reference, force=True)
    third = agent.run(checkout, config, pipeline, trusting(world))
    assert_ok(third)
    assert "ecr-cache: hit (pulled)" in third.output
    assert third.exported == first.exported
    assert world_docker.images.get(first.reference).labels  # pulled back into the daemon


def test_account_id_pushes_to_that_accounts_host(
    world: EcrWorld, agent: Agent, checkout: Path, pipeline: str
) -> None:
    config = {"cache-on": ["package.json"], "account-id": OTHER}
    name = f"build-cache/acme/{pipeline}"

    run = agent.run(checkout, config, pipeline, trusting(world))
    assert_ok(run)
    assert "ecr-cache: miss (not-found)" in run.output
    assert "warning" not in run.output
    assert run.image == f"{world.host(OTHER)}/{name}"
    assert world.manifest_status(OTHER, name, run.tag) == 200
    assert world.manifest_status(OWN, name, run.tag) == 404

    again = agent.run(checkout, config, pipeline, trusting(world))
    assert_ok(again)
    assert "ecr-cache: hit (local)" in again.output
    assert again.exported == run.exported


def test_without_the_ca_the_hooks_client_cannot_check_the_registry(
    world: EcrWorld, agent: Agent, checkout: Path, pipeline: str
) -> None:
    # No REQUESTS_CA_BUNDLE: the manifest HEAD fails on the certificate, the hook says so and
    # builds (SPEC: a registry it cannot read is a miss, never a failed job); dockerd, which has
    # the CA in certs.d, still pushes. Each attempt fails the same way: a 1 s retry budget (not
    # 60 s) gives the check up after two attempts instead of four.
    run = agent.run(
        checkout, {"cache-on": ["package.json"]}, pipeline, {"ECR_CACHE_RETRY_SECONDS": "1"}
    )
    assert_ok(run)
    assert "(retry budget 1s)" in run.output
    assert "warning: cannot check the cache" in run.output
    assert "CERTIFICATE_VERIFY_FAILED" in run.output
    assert "ecr-cache: miss (unavailable)" in run.output
    assert "Traceback" not in run.output
    assert world.manifest_status(OWN, f"build-cache/acme/{pipeline}", run.tag) == 200


def test_dockerd_verifies_the_registry_with_the_ca_from_certs_d(
    world: EcrWorld, world_docker: Any, busybox_image: str
) -> None:
    import docker

    login = {"username": ECR_USER, "password": moto_password(OWN)}
    image = world_docker.images.get(busybox_image)
    trusted = f"{world.host(OWN)}/control/busybox"
    untrusted = f"{UNTRUSTED_HOST}/control/busybox"
    image.tag(trusted, "v1")
    image.tag(untrusted, "v1")
    world_docker.images.push(trusted, "v1", auth_config=login)
    assert world.manifest_status(OWN, "control/busybox", "v1") == 200
    with pytest.raises(docker.errors.APIError, match="certificate signed by unknown authority"):
        # The same registry, a name its certificate holds, but no certs.d entry.
        for event in world_docker.images.push(
            untrusted, "v1", auth_config=login, stream=True, decode=True
        ):
            if "error" in event:
                raise docker.errors.APIError(event["error"])
