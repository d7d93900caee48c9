"""``base-image-digests`` end to end: the real shim, dockerd, the registries (plain and
htpasswd) and moto.

A base image republished in the registry changes the key on the first job after the
resolution window and not before; a local hit inside the window asks nobody (relays in front
of AWS, the cache's registry and the base image's registry count every connection); a
registry that cannot be reached is one warning and the reference as written is hashed.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from ecr_cache_tui.cachekey.baseimages import BaseImage, base_image_entry
from tests.hook.hookrun import HEAVY, HOOK, Agent, ModuleSpy, ok, summary
from tests.relay import CountingRelay
from tests.services import ECR_PASSWORD, ECR_USER, Services

pytestmark = pytest.mark.services

REPO = HOOK.parents[1]

DOCKERFILE = """\
ARG BASE=nothing
FROM ${BASE} AS deps
COPY package.json /p.json
FROM deps
LABEL stage=final
"""


def publish(
    client: docker.DockerClient,
    source: str,
    registry: str,
    repository: str,
    label: str,
    auth: dict[str, str] | None = None,
) -> str:
    """Build ``source`` plus a label, push it as ``registry/repository:1``; its digest."""
    dockerfile = f"FROM {source}\nLABEL published={label}\n".encode()
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile), rm=True)
    image.tag(f"{registry}/{repository}", "1")
    digest = ""
    for line in client.images.push(
        f"{registry}/{repository}", "1", auth_config=auth, stream=True, decode=True
    ):
        assert "error" not in line, line
        digest = line.get("aux", {}).get("Digest", digest)
    assert digest.startswith("sha256:")
    return digest


@dataclass(frozen=True)
class ServedBases:
    """Base images a registry serves: busybox plus a label, as ``REGISTRY/base/PIPELINE:1``."""

    client: docker.DockerClient
    source: str
    repository: str

    def publish(self, registry: str, label: str, auth: dict[str, str] | None = None) -> str:
        return publish(self.client, self.source, registry, self.repository, label, auth)


@pytest.fixture
def served(docker_client: docker.DockerClient, busybox_image: str, pipeline: str) -> ServedBases:
    return ServedBases(docker_client, busybox_image, f"base/{pipeline}")


def config(cache: str, base: str, **options: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "cache-on": ["package.json"],
        "registry-hostname": cache,
        "build-args": [f"BASE={base}"],
        "base-image-digests": True,
    }
    found.update(options)
    return found


def age_base_image_records(home: Path, seconds: float) -> int:
    """Make every base-image record of the host ``seconds`` older; how many there were."""
    records = list((home / ".local/state/ecr-cache-tui/base-images").glob("*.json"))
    for path in records:
        data = json.loads(path.read_text())
        data["resolved_at"] -= seconds
        path.write_text(json.dumps(data))
    return len(records)


def test_a_republished_base_image_changes_the_key_after_the_window_and_not_before(
    agent: Agent, services: Services, checkout: Path, pipeline: str, served: ServedBases
) -> None:
    repository = served.repository
    first = served.publish(services.registry, "one")
    with (
        CountingRelay(services.moto_url.removeprefix("http://")) as aws,
        CountingRelay(services.auth_registry) as cache,
        CountingRelay(services.registry) as bases,
    ):
        base = f"{bases.address}/{repository}:1"
        extra = {"AWS_ENDPOINT_URL_ECR": f"http://{aws.address}"}
        built = ok(agent.run(checkout, config(cache.address, base), pipeline, extra))
        assert "built and pushed" in summary(built)
        assert f"HEAD /v2/{repository}/manifests/1 HTTP/1.1" in bases.requests
        assert f"base-image  {base}" in built.output
        assert first in built.output, "the manifest names the digest the base resolved to"

        published = served.publish(services.registry, "two")
        assert published != first
        for relay in (aws, cache, bases):
            relay.reset()
        hit = ok(agent.run(checkout, config(cache.address, base), pipeline, extra))
        assert summary(hit).startswith("ecr-cache: hit (local)")
        assert hit.tag == built.tag, "inside the window the key does not move"
        assert (aws.connections, cache.connections, bases.connections) == (0, 0, 0)

        assert age_base_image_records(agent.home, 3600) == 1
        rebuilt = ok(agent.run(checkout, config(cache.address, base), pipeline, extra))
        assert "built and pushed" in summary(rebuilt)
        assert rebuilt.tag != built.tag
        assert published in rebuilt.output
        assert "base image" in rebuilt.output and "changed" in rebuilt.output

        again = ok(agent.run(checkout, config(cache.address, base), pipeline, extra))
        assert again.tag == rebuilt.tag, "the key changed once"


def test_a_base_image_behind_htpasswd_is_resolved_with_the_docker_config_login(
    agent: Agent, services: Services, checkout: Path, pipeline: str, served: ServedBases
) -> None:
    repository = served.repository
    digest = served.publish(services.auth_registry, "x", auth=services.auth_config)
    login = base64.b64encode(f"{ECR_USER}:{ECR_PASSWORD}".encode()).decode()
    (agent.home / ".docker").mkdir()
    (agent.home / ".docker" / "config.json").write_text(
        json.dumps({"auths": {services.auth_registry: {"auth": login}}})
    )
    base = f"{services.auth_registry}/{repository}:1"
    run = ok(agent.run(checkout, config(services.registry, base), pipeline))
    assert "built and pushed" in summary(run)
    assert digest in run.output
    assert "cannot resolve" not in run.output


def test_an_unreachable_base_registry_is_one_warning_and_the_reference_is_hashed(
    agent: Agent, services: Services, checkout: Path, pipeline: str, busybox_image: str
) -> None:
    with CountingRelay(services.registry) as bases:
        base = f"{bases.address}/base/{pipeline}:1"
    # The relay is closed: nothing listens there any more.
    run = ok(
        agent.run(
            checkout,
            config(services.registry, base, **{"build-args": [f"BASE={busybox_image}"]}),
            pipeline,
        )
    )
    warnings = [line for line in run.output.splitlines() if "cannot resolve" in line]
    assert len(warnings) == 1, run.output
    assert busybox_image in warnings[0]
    assert "built and pushed" in summary(run)
    expected = base_image_entry(BaseImage(busybox_image, None)).digest
    assert f"base-image  {busybox_image}" in run.output
    assert expected[:16] in run.output


def test_checksum_and_a_local_hit_agree_and_the_hit_stays_lean(
    agent: Agent,
    services: Services,
    checkout: Path,
    pipeline: str,
    served: ServedBases,
    tmp_path: Path,
) -> None:
    repository = served.repository
    digest = served.publish(services.registry, "lean")
    options = config(services.auth_registry, f"{services.registry}/{repository}:1")
    built = ok(agent.run(checkout, options, pipeline))
    assert "built and pushed" in summary(built)

    spy = ModuleSpy.at(tmp_path)
    hit = ok(agent.run(checkout, options, pipeline, {"ECR_CACHE_PYTHON": str(spy.python)}))
    assert summary(hit).startswith("ecr-cache: hit (local)")
    loaded = spy.loaded()
    assert "ecr_cache_tui.hook.baseimages" in loaded, "the option was on in that interpreter"
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []

    env = {**agent.environment(options, pipeline), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "ecr_cache_tui", "checksum", "--explain"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == built.tag, "ecr-cache checksum computes the hook's tag"
    assert lines[lines.index("base images:") + 1].split() == [
        f"{services.registry}/{repository}:1",
        digest,
    ]
