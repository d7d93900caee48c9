"""Cancelling a job mid-build and mid-push, as the agent does: a signal to its process group.

The real shim is sourced (``tests.hook.hookrun``) in a process group of its own with ``TMPDIR``
pointing at a directory of the test's, against dockerd, moto and the htpasswd registry. Once the
build is running a ``RUN sleep``, or the push has an upload held by the fault proxy, the whole
group gets SIGTERM (or SIGINT). Then: the hook's status is 143 (130), nothing is exported, the
``TMPDIR`` is empty (the shim's ``ecr-cache-hook.*`` and Python's ``ecr-cache-*``), the build's
processes are gone, no manifest reaches the registry, and the next job on the same pipeline
builds and pushes as if nothing had happened.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.adapters.registry import RegistryClient
from tests.faultproxy import FaultProxy
from tests.hook.hookrun import Agent, HookRun
from tests.services import ECR_PASSWORD, ECR_USER, Services

pytestmark = pytest.mark.services

# The marker is computed by the shell, so the Dockerfile's own text (which the legacy builder
# echoes as "Step 2/3 : RUN ...") never contains it.
DOCKERFILE = """\
FROM local/busybox
ARG PAUSE=0
RUN echo "step-$((40 + 2))-running" && sleep "$PAUSE"
COPY package.json /p.json
"""
RUNNING = "step-42-running"


@pytest.fixture
def job_tmp(tmp_path: Path) -> Path:
    directory = tmp_path / "job-tmp"
    directory.mkdir()
    return directory


def config_for(registry: str, pause: str, **options: Any) -> dict[str, Any]:
    return {
        "cache-on": ["package.json"],
        "registry-hostname": registry,
        "additional-build-args": "--network=host",
        # Unhashed: the cancelled job and the next one have the same tag.
        "unhashed-build-args": [f"PAUSE={pause}"],
        **options,
    }


def tag_of(output: str) -> str:
    found = re.search(r"inputs of tag ([0-9a-f]{32})", output)
    assert found, output
    return found.group(1)


def sleeping(seconds: str) -> bool:
    """Whether any process on the host runs ``sleep SECONDS`` (the build's RUN step)."""
    wanted = f"sleep\0{seconds}\0".encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/cmdline").read_bytes() == wanted:
                    return True
    return False


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def assert_cancelled(run: HookRun, job_tmp: Path, code: int, name: str) -> None:
    assert run.rc == code, run.output
    assert f"cancelled by {name}" in run.output
    assert run.exported == {}
    assert sorted(p.name for p in job_tmp.iterdir()) == []
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    ("builder", "signum", "code"),
    [
        ("legacy", signal.SIGTERM, 143),
        ("buildkit", signal.SIGTERM, 143),
        ("legacy", signal.SIGINT, 130),
    ],
    ids=["legacy-sigterm", "buildkit-sigterm", "legacy-sigint"],
)
def test_cancel_mid_build_stops_it_leaves_nothing_and_the_next_job_works(
    agent: Agent,
    services: Services,
    checkout: Path,
    pipeline: str,
    job_tmp: Path,
    builder: str,
    signum: int,
    code: int,
) -> None:
    agent.builder = builder
    pause = str(300 + secrets.randbelow(600))  # this test's own `sleep N`
    extra = {"TMPDIR": str(job_tmp)}
    name = f"build-cache/acme/{pipeline}"

    run = agent.cancel(
        checkout,
        config_for(services.auth_registry, pause),
        pipeline,
        extra,
        when=lambda out: RUNNING in out,
        signum=signum,
    )

    assert_cancelled(run, job_tmp, code, signal.Signals(signum).name)
    assert "ecr-cache: pushing" not in run.output
    assert eventually(lambda: not sleeping(pause)), "the build's RUN step is still running"
    registry = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    tag = tag_of(run.output)
    assert not registry.manifest_exists(name, tag)
    assert not registry.manifest_exists(name, "latest")

    after = agent.run(checkout, config_for(services.auth_registry, "0"), pipeline, extra)
    assert after.rc == 0, after.output
    assert after.tag == tag
    assert "built and pushed" in after.output
    assert registry.manifest_exists(name, tag)
    assert sorted(p.name for p in job_tmp.iterdir()) == []


def test_cancel_mid_push_stops_it_pushes_nothing_more_and_the_next_job_works(
    agent: Agent,
    services: Services,
    checkout: Path,
    pipeline: str,
    job_tmp: Path,
) -> None:
    extra = {"TMPDIR": str(job_tmp)}
    name = f"build-cache/acme/{pipeline}"
    with FaultProxy(services.auth_registry) as proxy:
        proxy.stall(r"^(POST|PATCH|PUT) /v2/.*/blobs/uploads/")
        config = config_for(proxy.host, "0")

        run = agent.cancel(checkout, config, pipeline, extra, when=lambda _: bool(proxy.held))

        assert_cancelled(run, job_tmp, 143, "SIGTERM")
        assert "ecr-cache: pushing" in run.output
        held = len(proxy.held)
        # The hook hung up on the daemon: its push gives up before any manifest. (The uploads
        # already sent may still end, or not: the daemon's registry client checks for the
        # cancel between requests. Blobs without a manifest are nothing anyone can pull.)
        proxy.release()
        proxy.wait_for(lambda p: p.count("^POST .*/blobs/uploads/$", fault="stall") == held)
        registry = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))
        tag = tag_of(run.output)
        assert not registry.manifest_exists(name, tag)
        assert not registry.manifest_exists(name, "latest")

        # The next job on this host hits the image built before the cancel, and makes the push
        # the cancel cut short (the host owes it). Had the cancelled push gone on, its
        # manifest would be a third PUT.
        after = agent.run(checkout, config, pipeline, extra)
        assert after.rc == 0, after.output
        assert "ecr-cache: hit (local)" in after.output
        assert "pushed (an earlier push from this host had failed)" in after.output
        assert registry.manifest_exists(name, tag)
        assert registry.manifest_exists(name, "latest")
        assert proxy.count(r"^PUT /v2/.*/manifests/") == 2  # the tag and latest, once each
    assert sorted(p.name for p in job_tmp.iterdir()) == []
