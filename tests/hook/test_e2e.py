"""The whole plugin end to end: the real bash hook, dockerd, the registry as ECR's data plane, moto.

Every test sources ``hooks/pre-command`` (see :mod:`tests.hook.hookrun`). Hits are found in the
local daemon and the registry (a manifest ``HEAD``), never in moto's ``DescribeImages``, so moto
need not be told about pushes. The complete output of every run is scanned, when each test ends,
for moto's token (and its base64 forms), secret values and build-arg values from the environment.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui import lifecycle
from ecr_cache_tui.adapters.registry import RegistryClient
from ecr_cache_tui.cachekey.inputs import LABEL, Manifest
from tests.faultproxy import Fault, FaultProxy
from tests.hook.hookrun import Agent, HookRun
from tests.services import ECR_PASSWORD, ECR_USER, Services, write_context

pytestmark = pytest.mark.services

DOCKERFILE = """\
FROM local/busybox
RUN echo slow-step > /slow.txt
COPY package.json /p.json
"""

# Values only the environment holds; none of them may reach the log.
NODE_ENV_VALUE = "node-env-secret-4567"
VOLATILE_VALUE = "volatile-secret-7890"
NPM_TOKEN_VALUE = "npm-token-secret-1234"


@pytest.fixture
def forbidden_in_log() -> tuple[str, ...]:
    return (NODE_ENV_VALUE, VOLATILE_VALUE, NPM_TOKEN_VALUE)


@dataclass(frozen=True)
class World:
    """The fixtures most tests use, as one (pytest passes fixtures positionally)."""

    agent: Agent
    services: Services
    docker: Any
    ecr: Any
    tmp: Path

    def parts(self) -> tuple[Agent, Services, Any, Any, Path]:
        """``agent, services, docker, ecr, tmp``: to unpack at a test's start."""
        return (self.agent, self.services, self.docker, self.ecr, self.tmp)


@pytest.fixture
def world(
    agent: Agent, services: Services, docker_client: Any, ecr_client: Any, tmp_path: Path
) -> World:
    return World(agent, services, docker_client, ecr_client, tmp_path)


def base_config(services: Services, **options: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "cache-on": ["package.json"],
        "registry-hostname": services.auth_registry,
        "additional-build-args": "--network=host",
    }
    config.update(options)
    return config


def registry(services: Services) -> RegistryClient:
    return RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))


def remove_local(docker_client: Any, *references: str) -> None:
    import docker

    for reference in references:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(reference, force=True)


def assert_ok(run: HookRun) -> None:
    assert run.rc == 0, run.output


# --- miss, hit, hit with pull ----------------------------------------------------------------


def test_miss_builds_and_pushes_then_hits_locally_then_hits_with_a_pull(
    world: World, checkout: Path, pipeline: str
) -> None:
    agent, services, docker_client, ecr_client, tmp_path = world.parts()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "annotations"
    calls.mkdir()
    fake = bin_dir / "buildkite-agent"
    # Records each call's argv, NUL-separated, in a file named by its sequence number.
    fake.write_text(f'#!/bin/bash\nn=$(ls {calls} | wc -l)\nprintf "%s\\0" "$@" >{calls}/$n\n')
    fake.chmod(0o755)
    extra = {"PATH": f"{bin_dir}:{agent.environment({}, pipeline)['PATH']}"}
    config = base_config(services)
    name = f"build-cache/acme/{pipeline}"

    first = agent.run(checkout, config, pipeline, extra)
    assert_ok(first)
    assert "ecr-cache: miss (not-found)" in first.output
    assert first.image == f"{services.auth_registry}/{name}"
    assert first.reference == f"{first.image}:{first.tag}"
    assert len(first.tag) == 32
    assert registry(services).manifest_exists(name, first.tag)
    assert registry(services).manifest_exists(name, "latest")
    label = registry(services).image_labels(name, first.tag)[LABEL]
    assert Manifest.from_label(label).tag == first.tag
    repo = ecr_client.describe_repositories(repositoryNames=[name])["repositories"][0]
    assert repo["imageTagMutability"] == "MUTABLE"
    policy = ecr_client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    assert lifecycle.max_age_days(policy) == 30
    assert "~~~ :docker: ecr-cache: inputs of tag" in first.output
    assert first.output.rstrip().splitlines()[-1].startswith("ecr-cache: miss (not-found)")

    second = agent.run(checkout, config, pipeline, extra)
    assert_ok(second)
    assert second.exported == first.exported
    assert "ecr-cache: hit (local)" in second.output
    assert "Pulling from" not in second.output and "building" not in second.output

    remove_local(docker_client, first.reference, f"{first.image}:latest")
    third = agent.run(checkout, config, pipeline, extra)
    assert_ok(third)
    assert "ecr-cache: hit (pulled)" in third.output
    assert third.exported == first.exported
    docker_client.images.get(first.reference)  # now local

    annotations = [(calls / str(n)).read_text() for n in range(len(list(calls.iterdir())))]
    # The miss only (its body goes through stdin): a hit is never annotated.
    assert annotations == ["annotate\0--style\0info\0--context\0ecr-cache-job-1\0--append\0"]


@pytest.mark.parametrize("builder", ["legacy", "buildkit"])
def test_changed_cache_on_file_gives_a_new_tag_and_a_rebuild_reusing_latest(
    world: World, checkout: Path, pipeline: str, builder: str
) -> None:
    agent, services, docker_client, _ecr_client, _tmp_path = world.parts()
    agent.builder = builder
    config = base_config(services)
    first = agent.run(checkout, config, pipeline)
    assert_ok(first)
    assert ("(BuildKit)" if builder == "buildkit" else "(legacy builder)") in first.output
    remove_local(docker_client, first.reference, f"{first.image}:latest")
    if builder == "buildkit":
        argv, env = services.docker_cli("buildkit")
        subprocess.run([*argv, "builder", "prune", "-af"], env=env, check=True, capture_output=True)

    (checkout / "package.json").write_text('{"v": 2}\n')
    second = agent.run(checkout, config, pipeline)
    assert_ok(second)
    assert second.tag != first.tag
    assert "why: package.json changed" in second.output
    slow_step = second.output.split("slow-step", 1)[1][:400]
    assert ("CACHED" if builder == "buildkit" else "Using cache") in slow_step, second.output


# --- every option ----------------------------------------------------------------------------

EVERY_OPTION_DOCKERFILE = """\
FROM local/busybox AS base
ARG NODE_ENV
ARG LITERAL
ARG VOLATILE
RUN --mount=type=secret,id=NPM_TOKEN cat /run/secrets/NPM_TOKEN && \
    echo "env=$NODE_ENV lit=$LITERAL vol=$VOLATILE" > /args.txt && cat /args.txt
FROM base AS final
COPY package.json /p.json
FROM base AS never
RUN false
"""


def test_every_option_once(world: World, pipeline: str) -> None:
    agent, services, docker_client, ecr_client, tmp_path = world.parts()
    import boto3

    agent.builder = "buildkit"
    checkout = write_context(
        tmp_path / "co",
        "unused",
        {
            "docker/app.Dockerfile": EVERY_OPTION_DOCKERFILE,
            "package.json": "{}\n",
            "config.json": '{"deps": {"a": 1}, "noise": 1}\n',
        },
    )
    name = f"custom/{pipeline}"
    config = {
        "dockerfile": "docker/app.Dockerfile",
        "context": ".",
        "target": "final",
        "build-args": ["NODE_ENV", "LITERAL=yes"],
        "unhashed-build-args": ["VOLATILE"],
        "secrets": ["NPM_TOKEN"],
        "additional-build-args": "--network=host --label 'org.example.note=two words'",
        "cache-on": ["package.json", "config.json#.deps"],
        "ecr-name": name,
        "ecr-tags": {"Team": " Web ", "cost-centre": "42"},
        "max-age-days": 14,
        "export-env-variable": "MY_IMAGE",
        "region": "ap-southeast-2",
        "platform": "linux/amd64",
        "account-id": "123456789012",
        "cache-from": False,
        "push-latest": False,
        "registry-hostname": services.auth_registry,
        "registry-provider": "ecr",
        "skip-pull-from-cache": False,
        "force-rebuild": False,
    }
    extra = {"NODE_ENV": NODE_ENV_VALUE, "VOLATILE": VOLATILE_VALUE, "NPM_TOKEN": NPM_TOKEN_VALUE}
    first = agent.run(checkout, config, pipeline, extra)
    assert_ok(first)
    reference = f"{services.auth_registry}/{name}:{first.tag}"
    assert first.env["MY_IMAGE"] == reference
    assert "BUILDKITE_PLUGIN_DOCKER_IMAGE" not in first.env
    assert "for --cache-from" not in first.output
    assert "[REDACTED]" in first.output  # the RUN step printed the secret and the args

    image = docker_client.images.get(reference)
    assert image.labels["org.example.note"] == "two words"
    assert image.labels[LABEL]
    args = docker_client.containers.run(reference, ["cat", "/args.txt", "/p.json"], remove=True)
    assert args.decode().splitlines()[0] == f"env={NODE_ENV_VALUE} lit=yes vol={VOLATILE_VALUE}"
    assert registry(services).manifest_exists(name, first.tag)
    assert not registry(services).manifest_exists(name, "latest")

    regional = boto3.client(
        "ecr",
        region_name="ap-southeast-2",
        endpoint_url=services.moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    repo = regional.describe_repositories(repositoryNames=[name])["repositories"][0]
    tags = regional.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Team": " Web ", "cost-centre": "42"}
    policy = regional.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    assert lifecycle.max_age_days(policy) == 14
    with pytest.raises(ecr_client.exceptions.RepositoryNotFoundException):
        ecr_client.describe_repositories(repositoryNames=[name])  # eu-west-1: not there

    # An unhashed arg changing keeps the tag; a JSON value outside the selection too.
    (checkout / "config.json").write_text('{"deps": {"a": 1}, "noise": 2}\n')
    remove_local(docker_client, reference)
    skip = dict(config, **{"skip-pull-from-cache": True})
    second = agent.run(checkout, skip, pipeline, {**extra, "VOLATILE": VOLATILE_VALUE + "x"})
    assert_ok(second)
    assert second.env["MY_IMAGE"] == reference
    assert "ecr-cache: hit (registry)" in second.output
    assert not [i for i in docker_client.images.list() if reference in i.tags]

    (checkout / "config.json").write_text('{"deps": {"a": 2}, "noise": 2}\n')
    third = agent.run(checkout, skip, pipeline, extra)
    assert_ok(third)
    assert third.env["MY_IMAGE"] != reference
    # push-latest is off: there is no latest to compare with, and the log says so.
    assert "why: no previous image to compare with" in third.output


def test_inline_dockerfile_with_an_oci_registry_and_the_users_docker_login(
    agent: Agent,
    services: Services,
    tmp_path: Path,
    pipeline: str,
    ecr_client: Any,
) -> None:
    import base64

    docker_dir = agent.home / ".docker"
    docker_dir.mkdir()
    auth = base64.b64encode(f"{ECR_USER}:{ECR_PASSWORD}".encode()).decode()
    config_json = {"auths": {services.auth_registry: {"auth": auth}}}
    (docker_dir / "config.json").write_text(json.dumps(config_json))
    before = (docker_dir / "config.json").read_text()
    checkout = tmp_path / "co"
    checkout.mkdir()
    config = {
        "dockerfile-inline": "FROM local/busybox\nRUN echo inline > /inline.txt\n",
        "registry-provider": "oci",
        "registry-hostname": services.auth_registry,
        "ecr-name": f"oci/{pipeline}",
        "additional-build-args": "--network=host",
    }
    run = agent.run(checkout, config, pipeline)
    assert_ok(run)
    assert "ecr-cache: miss" in run.output and "built and pushed" in run.output
    assert registry(services).manifest_exists(f"oci/{pipeline}", run.tag)
    assert ecr_client.describe_repositories()["repositories"] == []  # no AWS call made
    assert (docker_dir / "config.json").read_text() == before


# --- failures --------------------------------------------------------------------------------


def test_build_failure_exits_1_expands_the_group_and_exports_nothing(
    agent: Agent,
    services: Services,
    tmp_path: Path,
    pipeline: str,
) -> None:
    checkout = write_context(tmp_path / "co", "FROM local/busybox\nRUN echo boom && false\n")
    run = agent.run(checkout, base_config(services, **{"cache-on": []}), pipeline)
    assert run.rc == 1, run.output
    assert "^^^ +++" in run.output
    assert "boom" in run.output
    assert run.exported == {}


def test_push_failure_with_the_registry_stopped_is_a_warning_and_exit_0(
    agent: Agent,
    services: Services,
    checkout: Path,
    pipeline: str,
    docker_client: Any,
) -> None:
    # The cache check and the --cache-from pull fail too: a 1 s retry budget (not 60 s) gives
    # each of them up after two attempts instead of four.
    with services.registry_stopped("auth"):
        run = agent.run(checkout, base_config(services), pipeline, {"ECR_CACHE_RETRY_SECONDS": "1"})
    assert_ok(run)
    assert "warning: push of" in run.output
    assert "push failed: local image used" in run.output
    assert "warning: cannot check the cache" in run.output
    assert "(retry budget 1s)" in run.output
    docker_client.images.get(run.reference)


class _UntilTheBuild(Fault):
    """A fault that acts only until the hook starts its build (``marker`` exists by then)."""

    def __init__(self, pattern: str, marker: Path) -> None:
        body = b'{"errors":[{"code":"UNKNOWN","message":"boom"}]}'
        headers = {"Content-Type": "application/json"}
        super().__init__(re.compile(pattern), "respond", times=None, body=body, headers=headers)
        self.marker = marker

    def wants(self, line: str, authorized: bool, agent: str = "") -> bool:
        return not self.marker.exists() and super().wants(line, authorized, agent)


#: A docker CLI that creates ``{marker}`` before it builds: the pulls are over by then.
MARKING_CLI = """#!/bin/bash
for arg in "$@"; do
  [[ $arg == build ]] && : >{marker} && break
done
exec {cli} "$@"
"""


def test_pull_failing_with_5xx_is_retried_then_a_warned_miss(
    agent: Agent,
    services: Services,
    checkout: Path,
    pipeline: str,
    tmp_path: Path,
) -> None:
    config = base_config(services, **{"ecr-name": f"build-cache/acme/{pipeline}"})
    seeded = agent.run(checkout, config, pipeline)
    assert_ok(seeded)
    # Every request but a HEAD is a 500 until the build starts: each of the pulls fails. The
    # push after the build gets through: the daemon's own retries of a failing push (5 s,
    # 10 s, ... per layer) are not what this test is about.
    built = tmp_path / "building"
    cli = tmp_path / "marking-docker"
    cli.write_text(
        MARKING_CLI.format(marker=shlex.quote(str(built)), cli=shlex.quote(services.legacy_cli))
    )
    cli.chmod(0o755)
    with FaultProxy(services.auth_registry) as proxy:
        proxy.add(_UntilTheBuild(r"^(GET|POST|PUT|PATCH) ", built))
        run = agent.run(
            checkout,
            dict(config, **{"registry-hostname": proxy.host}),
            pipeline,
            {"ECR_CACHE_DOCKER_CLI": str(cli)},
        )
    assert_ok(run)
    assert run.tag == seeded.tag
    assert "retrying" in run.output
    assert "warning: cannot pull the cached image" in run.output
    assert "ecr-cache: miss (unavailable)" in run.output
    # dockerd asks /v2/ first on every pull attempt: one 500 per attempt, four attempts.
    assert proxy.count(r"^GET /v2/$", fault="respond") >= 4
    assert "pull: attempt 4 failed" in run.output
    assert re.search(r"warning: cannot pull \S+:latest for --cache-from", run.output)
    assert built.exists(), "the build ran through the marking CLI"
    assert "push failed" not in run.output
    assert "built and pushed" in run.output
    pushed = rf"^PUT /v2/build-cache/acme/{pipeline}/manifests/{run.tag}$"
    assert proxy.count(pushed, fault=None) == 1, proxy.lines()


# --- fleets and maintainers ------------------------------------------------------------------


def test_six_hooks_at_once_for_a_new_pipeline_all_succeed_with_one_repository(
    agent: Agent, services: Services, checkout: Path, pipeline: str, ecr_client: Any
) -> None:
    config = base_config(services)
    started = [agent.start(checkout, config, pipeline) for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        runs = list(pool.map(lambda job: agent.finish(*job), started))
    for run in runs:
        assert_ok(run)
    assert len({run.reference for run in runs}) == 1
    repositories = ecr_client.describe_repositories()["repositories"]
    assert [r["repositoryName"] for r in repositories] == [f"build-cache/acme/{pipeline}"]
    policy = ecr_client.get_lifecycle_policy(repositoryName=f"build-cache/acme/{pipeline}")
    assert lifecycle.max_age_days(policy["lifecyclePolicyText"]) == 30


def test_force_rebuild_from_the_environment_rebuilds_from_scratch(
    world: World, pipeline: str, busybox_image: str
) -> None:
    agent, services, docker_client, _ecr_client, tmp_path = world.parts()
    # --pull needs a base image a registry serves: the plain registry has one.
    base = f"{services.registry}/base/busybox"
    docker_client.images.get(busybox_image).tag(base, "latest")
    docker_client.images.push(base, "latest")
    checkout = write_context(
        tmp_path / "co",
        f"FROM {base}:latest\nRUN echo slow > /slow\nCOPY package.json /p\n",
        {"package.json": "{}"},
    )
    config = base_config(services)
    first = agent.run(checkout, config, pipeline)
    assert_ok(first)
    forced = agent.run(checkout, config, pipeline, {"ECR_CACHE_FORCE_REBUILD": "true"})
    assert_ok(forced)
    assert forced.reference == first.reference
    assert "ecr-cache: miss (forced)" in forced.output
    assert "why: force-rebuild is on" in forced.output
    assert "Using cache" not in forced.output
    assert "built and pushed" in forced.output


def test_a_maintainers_policy_survives_unless_max_age_is_set_in_the_pipeline(
    agent: Agent, services: Services, checkout: Path, pipeline: str, ecr_client: Any
) -> None:
    name = f"build-cache/acme/{pipeline}"
    ecr_client.create_repository(repositoryName=name)
    ecr_client.put_lifecycle_policy(
        repositoryName=name, lifecyclePolicyText=lifecycle.policy_text(90)
    )
    assert_ok(agent.run(checkout, base_config(services), pipeline))
    policy = ecr_client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    assert lifecycle.max_age_days(policy) == 90

    assert_ok(agent.run(checkout, base_config(services, **{"max-age-days": 7}), pipeline))
    policy = ecr_client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    assert lifecycle.max_age_days(policy) == 7


def test_bad_input_is_one_line_exit_2_and_no_side_effect(
    world: World, checkout: Path, pipeline: str
) -> None:
    agent, services, docker_client, ecr_client, _tmp_path = world.parts()
    images_before = {i.id for i in docker_client.images.list()}
    run = agent.run(checkout, base_config(services, **{"max-age-days": 0}), pipeline)
    assert run.rc == 2, run.output
    lines = [line for line in run.output.splitlines() if line.startswith("ecr-cache:")]
    assert len(lines) == 1 and "max-age-days" in lines[0] and "0" in lines[0]
    assert run.exported == {}
    assert ecr_client.describe_repositories()["repositories"] == []
    assert {i.id for i in docker_client.images.list()} == images_before
