"""Multi-stage misses without waste, with the real hook and dockerd (both builders).

* BuildKit (``/usr/bin/docker`` 20.10): every image is built with inline cache metadata, so the
  next miss of a multi-stage build, with no build cache left on the host, reuses the layers of
  ``latest``'s final stage (a ``RUN`` whose output differs on every execution proves it ran
  once);
* the legacy builder (``/usr/local/bin/docker``): ``latest`` holds only the last stage's
  layers, so for a multi-stage build it is not pulled for ``--cache-from``, and the log says
  why in one line.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.hook.hookrun import Agent, ok
from tests.services import Services

pytestmark = pytest.mark.services

#: Each RUN writes a fresh random value: a layer that matches an earlier image's was reused.
DOCKERFILE = """\
FROM local/busybox AS build
RUN cat /proc/sys/kernel/random/uuid > /out
FROM local/busybox
RUN cat /proc/sys/kernel/random/uuid > /expensive
COPY --from=build /out /out
COPY package.json /p.json
"""


def config(services: Services) -> dict[str, Any]:
    return {
        "cache-on": ["package.json"],
        "registry-provider": "oci",
        "registry-hostname": services.registry,
        "ecr-name": f"stages/{secrets.token_hex(4)}",
        "additional-build-args": "--network=host",
    }


def layers(docker_client: Any, reference: str) -> list[str]:
    return list(docker_client.images.get(reference).attrs["RootFS"]["Layers"])


def forget(docker_client: Any, services: Services, *references: str) -> None:
    """Remove the images and every build cache of the daemon: only ``latest`` can help."""
    import docker

    for reference in references:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(reference, force=True)
    argv, env = services.docker_cli("buildkit")
    subprocess.run([*argv, "builder", "prune", "-af"], env=env, check=True, capture_output=True)


def test_buildkit_reuses_the_final_stage_of_latest_on_the_next_miss(
    agent: Agent, services: Services, checkout: Path, pipeline: str, docker_client: Any
) -> None:
    agent.builder = "buildkit"
    options = config(services)
    first = ok(agent.run(checkout, options, pipeline))
    assert "(BuildKit)" in first.output
    before = layers(docker_client, first.reference)
    forget(docker_client, services, first.reference, f"{first.image}:latest")

    (checkout / "package.json").write_text('{"v": 2}\n')
    second = ok(agent.run(checkout, options, pipeline))
    assert second.tag != first.tag
    assert "for --cache-from" in second.output and "not pulling latest" not in second.output
    after = layers(docker_client, second.reference)
    assert after[1] == before[1], "the final stage's RUN was reused from latest"
    assert after[-1] != before[-1], "package.json changed"


def test_the_legacy_builder_does_not_pull_latest_for_a_multi_stage_build(
    agent: Agent, services: Services, checkout: Path, pipeline: str, docker_client: Any
) -> None:
    options = config(services)
    first = ok(agent.run(checkout, options, pipeline))
    assert "(legacy builder)" in first.output
    docker_client.images.remove(f"{first.image}:latest", force=True)

    (checkout / "package.json").write_text('{"v": 2}\n')
    second = ok(agent.run(checkout, options, pipeline))
    assert "built and pushed" in second.output
    why = [line for line in second.output.splitlines() if "not pulling latest" in line]
    assert len(why) == 1, second.output
    assert "2 stages" in why[0] and "legacy builder" in why[0]
    assert f"pulling {first.image}:latest for --cache-from" not in second.output
