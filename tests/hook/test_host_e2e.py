"""What the host remembers, end to end: the real shim, dockerd, the registry, moto.

* a local hit on a host that ensured the repository makes no request to AWS or the registry
  (counted by relays in front of both) and imports neither botocore nor docker;
* a push refused (registry stopped) is made by the next job on the host that hits locally;
* 20 jobs at once on a new pipeline, each its own agent with its own plugin checkout, build once.

Every agent of the test shares one ``HOME`` (as the agents of a host share one user), so the
host state is ``$HOME/.local/state/ecr-cache-tui``; each plugin checkout is a copy of the hook
and of the package, imported from that copy (``PYTHONPATH``).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui import lifecycle
from ecr_cache_tui.adapters.registry import RegistryClient
from tests.hook.hookrun import HEAVY, HOOK, Agent, ModuleSpy, ok, summary
from tests.relay import CountingRelay
from tests.services import ECR_PASSWORD, ECR_USER, Services

pytestmark = pytest.mark.services

REPO = HOOK.parents[1]
DOCKERFILE = """\
FROM local/busybox
RUN echo built > /built.txt
COPY package.json /p.json
"""
#: For jobs run while the registry is stopped: the cache check and the --cache-from pull fail
#: too, and a 1 s retry budget (not 60 s) gives each up after two attempts instead of four.
SHORT_RETRIES = {"ECR_CACHE_RETRY_SECONDS": "1"}
#: A docker CLI that notes each build in a file and, before building, waits (at most two
#: minutes) until every job has asked the registry for the tag (``{checked}`` has a line per
#: manifest check): then every other job is at the lock, and must wait for this build.
COUNTING_CLI = """#!/bin/bash
for arg in "$@"; do
  if [[ $arg == build ]]; then
    echo "$$ $*" >>{log}
    while (( $(wc -l <{checked}) < {jobs} && SECONDS < 120 )); do sleep 0.1; done
    break
  fi
done
exec {cli} "$@"
"""


def config(registry: str, **options: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "cache-on": ["package.json"],
        "registry-hostname": registry,
        "additional-build-args": "--network=host",
    }
    found.update(options)
    return found


def plugin_checkout(tmp_path: Path, agent_name: str) -> tuple[Path, dict[str, str]]:
    """``<plugins-path>/<agent name>/``: this agent's copy of the hook and the package."""
    root = tmp_path / "plugins" / agent_name / "ecr-cache-tui"
    (root / "hooks").mkdir(parents=True)
    shutil.copy2(HOOK, root / "hooks" / "pre-command")
    shutil.copytree(
        REPO / "ecr_cache_tui", root / "ecr_cache_tui", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {"PYTHONPATH": str(root), "BUILDKITE_AGENT_NAME": agent_name}
    return root / "hooks" / "pre-command", env


# --- a local hit with no network ----------------------------------------------------------------


def test_a_local_hit_on_a_host_that_ensured_the_repository_asks_nobody(
    agent: Agent, services: Services, checkout: Path, pipeline: str
) -> None:
    with (
        CountingRelay(services.moto_url.removeprefix("http://")) as aws,
        CountingRelay(services.auth_registry) as registry,
    ):
        extra = {"AWS_ENDPOINT_URL_ECR": f"http://{aws.address}"}
        first = ok(agent.run(checkout, config(registry.address), pipeline, extra))
        assert "built and pushed" in summary(first)
        assert "DescribeRepositories" in " ".join(aws.targets)
        assert registry.requests, "the relay saw the push"
        aws.reset()
        registry.reset()

        hit = ok(agent.run(checkout, config(registry.address), pipeline, extra))
        assert summary(hit).startswith("ecr-cache: hit (local)")
        assert hit.reference == first.reference
        assert (aws.connections, registry.connections) == (0, 0), (aws.targets, registry.requests)
        assert "this host ensured them" in hit.output


def test_a_local_hit_imports_neither_botocore_nor_docker(
    agent: Agent, services: Services, checkout: Path, pipeline: str, tmp_path: Path
) -> None:
    ok(agent.run(checkout, config(services.auth_registry), pipeline))
    spy = ModuleSpy.at(tmp_path)
    hit = ok(
        agent.run(
            checkout,
            config(services.auth_registry),
            pipeline,
            {"ECR_CACHE_PYTHON": str(spy.python)},
        )
    )
    assert summary(hit).startswith("ecr-cache: hit (local)")
    loaded = spy.loaded()
    assert "ecr_cache_tui.hook.flow" in loaded, "the hook path ran in that interpreter"
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert heavy == []
    # Nor what only a miss, a remote check or the CLI's parsing needs.
    # Values on that path are NamedTuples: a dataclass costs ~0.6 ms to make, and brings inspect.
    lean = (
        "argparse",
        "shutil",
        "dataclasses",
        "inspect",
        "socket",
        "base64",
        "ecr_cache_tui.hook.miss",
        "ecr_cache_tui.hook.repository",
    )
    assert [m for m in lean if m in loaded] == []


def test_a_changed_max_age_is_applied_by_the_next_local_hit(
    agent: Agent, services: Services, checkout: Path, pipeline: str, ecr_client: Any
) -> None:
    name = f"build-cache/acme/{pipeline}"
    ok(agent.run(checkout, config(services.auth_registry, **{"max-age-days": 14}), pipeline))
    hit = ok(agent.run(checkout, config(services.auth_registry, **{"max-age-days": 7}), pipeline))
    assert summary(hit).startswith("ecr-cache: hit (local)")
    policy = ecr_client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    assert lifecycle.max_age_days(policy) == 7


def test_an_unusable_state_location_is_one_warning_and_the_job_goes_on(
    agent: Agent, services: Services, checkout: Path, pipeline: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    extra = {"XDG_STATE_HOME": str(blocker)}
    first = ok(agent.run(checkout, config(services.auth_registry), pipeline, extra))
    hit = ok(agent.run(checkout, config(services.auth_registry), pipeline, extra))
    for run in (first, hit):
        assert run.output.count("host state at") == 1, run.output
    assert summary(hit).startswith("ecr-cache: hit (local)")
    assert "this host ensured them" not in hit.output


# --- a cache that heals ---------------------------------------------------------------------------


def test_a_refused_push_is_made_by_the_next_job_that_hits_locally(
    agent: Agent, services: Services, checkout: Path, pipeline: str, tmp_path: Path
) -> None:
    name = f"build-cache/acme/{pipeline}"
    registry = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    hook_1, env_1 = plugin_checkout(tmp_path, "agent-1")
    with services.registry_stopped("auth"):
        refused = ok(
            dataclasses.replace(agent, hook=hook_1).run(
                checkout, config(services.auth_registry), pipeline, {**env_1, **SHORT_RETRIES}
            )
        )
    assert "push failed: local image used" in summary(refused)
    assert "(retry budget 1s)" in refused.output
    assert not registry.manifest_exists(name, refused.tag)

    hook_2, env_2 = plugin_checkout(tmp_path, "agent-2")  # another agent of the host
    healed = ok(
        dataclasses.replace(agent, hook=hook_2).run(
            checkout, config(services.auth_registry), pipeline, env_2
        )
    )
    assert summary(healed).startswith("ecr-cache: hit (local)")
    assert "an earlier push from this host had failed" in summary(healed)
    assert registry.manifest_exists(name, refused.tag)
    assert registry.manifest_exists(name, "latest")

    again = ok(agent.run(checkout, config(services.auth_registry), pipeline))
    assert "pushed" not in summary(again), "nothing is owed any more"


def test_an_owed_push_refused_again_is_a_warning_and_exit_0(
    agent: Agent, services: Services, checkout: Path, pipeline: str
) -> None:
    name = f"build-cache/acme/{pipeline}"
    with services.registry_stopped("auth"):
        first = ok(agent.run(checkout, config(services.auth_registry), pipeline, SHORT_RETRIES))
        again = ok(agent.run(checkout, config(services.auth_registry), pipeline, SHORT_RETRIES))
    assert "push failed: local image used" in summary(first)
    assert "(retry budget 1s)" in first.output
    assert "push failed again: local image used" in summary(again)
    assert "^^^ +++" not in again.output
    healed = ok(agent.run(checkout, config(services.auth_registry), pipeline))
    assert "an earlier push from this host had failed" in summary(healed)
    registry = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    assert registry.manifest_exists(name, healed.tag)


# --- one build per host ---------------------------------------------------------------------------


def test_twenty_jobs_of_twenty_agents_on_one_host_build_once(
    agent: Agent, services: Services, checkout: Path, pipeline: str, tmp_path: Path
) -> None:
    builds, checked = tmp_path / "builds.log", tmp_path / "checked.log"
    checked.write_text("")

    def note(head: str) -> None:
        # A hook's check of the tag: its HEAD with credentials (after the 401 that asks for
        # them), not the daemon's (pulls and pushes have their own user agent).
        line, _, headers = head.partition("\r\n")
        headers = headers.lower()
        if (
            line.startswith("HEAD /v2/")
            and "/manifests/" in line
            and "authorization:" in headers
            and "user-agent: docker" not in headers
        ):
            with checked.open("a") as out:
                out.write(line + "\n")

    cli = tmp_path / "counting-docker"
    cli.write_text(
        COUNTING_CLI.format(log=builds, checked=checked, jobs=20, cli=services.legacy_cli)
    )
    cli.chmod(0o755)
    with CountingRelay(services.auth_registry, on_request=note) as registry:
        started = []
        for n in range(20):
            hook, env = plugin_checkout(tmp_path, f"agent-{n}")
            env.update({"ECR_CACHE_DOCKER_CLI": str(cli), "BUILDKITE_JOB_ID": f"job-{n}"})
            one = dataclasses.replace(agent, hook=hook)
            job = one.start(checkout, config(registry.address), pipeline, env)
            started.append((one, job))
        runs = [one.finish(*job) for one, job in started]

    assert [run.rc for run in runs] == [0] * 20, [r.output for r in runs if r.rc]
    assert len({run.reference for run in runs}) == 1
    assert len(builds.read_text().splitlines()) == 1, builds.read_text()
    summaries = [summary(run) for run in runs]
    assert sum("built and pushed" in s for s in summaries) == 1, summaries
    assert sum(s.startswith("ecr-cache: hit (") for s in summaries) == 19, summaries
    waited = [run for run in runs if "waiting for pid" in run.output]
    assert len(waited) == 19, [summary(run) for run in runs]
    for run in waited:
        assert "(agent agent-" in run.output and ", job job-" in run.output
        assert "built by the job this one waited for" in run.output


def test_a_bad_build_wait_is_one_line_exit_2_before_anything_happens(
    agent: Agent, services: Services, checkout: Path, pipeline: str, ecr_client: Any
) -> None:
    run = agent.run(
        checkout, config(services.auth_registry), pipeline, {"ECR_CACHE_BUILD_WAIT": "soon\x1b"}
    )
    assert run.rc == 2, run.output
    (line,) = [line for line in run.output.splitlines() if line.startswith("ecr-cache:")]
    assert "ECR_CACHE_BUILD_WAIT" in line and "'soon\\x1b'" in line and "\x1b" not in line
    names = [r["repositoryName"] for r in ecr_client.describe_repositories()["repositories"]]
    assert f"build-cache/acme/{pipeline}" not in names


# --- hostile host state ---------------------------------------------------------------------------


def spoil_state(state: Path, kind: str, elsewhere: Path) -> None:
    """Replace every file of the host state by ``kind``: what another user could plant."""
    files = [p for p in state.rglob("*") if p.is_file()]
    assert files, "the first job wrote records"
    for path in files:
        path.unlink()
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "symlink":
            target = elsewhere / path.name
            target.write_text("precious\n")
            path.symlink_to(target)
        elif kind == "deep":
            path.write_text('{"version": 1, "a": ' + "[" * 100_000 + "]" * 100_000 + "}")
        else:
            with path.open("wb") as out:
                out.truncate(50 << 20)


@pytest.mark.parametrize("kind", ["fifo", "symlink", "deep", "50MB"])
def test_hostile_host_state_is_one_warning_and_the_job_goes_on(
    agent: Agent, services: Services, checkout: Path, pipeline: str, tmp_path: Path, kind: str
) -> None:
    first = ok(agent.run(checkout, config(services.auth_registry), pipeline))
    state = agent.home / ".local" / "state" / "ecr-cache-tui"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    spoil_state(state, kind, elsewhere)

    # Bounded: Agent.finish gives up (and fails the test) after 280 s; a FIFO blocked forever.
    hit = ok(agent.run(checkout, config(services.auth_registry), pipeline))

    assert hit.reference == first.reference
    assert summary(hit).startswith("ecr-cache: hit (local)")
    assert "Traceback" not in hit.output
    assert hit.output.count("host state") == 1, hit.output
    assert "this host ensured them" not in hit.output
    for target in elsewhere.iterdir():
        assert target.read_text() == "precious\n"


def test_a_group_writable_state_directory_is_not_trusted(
    agent: Agent, services: Services, checkout: Path, pipeline: str
) -> None:
    ok(agent.run(checkout, config(services.auth_registry), pipeline))
    state = agent.home / ".local" / "state" / "ecr-cache-tui"
    state.chmod(0o775)

    hit = ok(agent.run(checkout, config(services.auth_registry), pipeline))

    assert summary(hit).startswith("ecr-cache: hit (local)")
    assert "this host ensured them" not in hit.output
    assert hit.output.count("host state at") == 1, hit.output


def test_another_aws_account_does_not_trust_a_record_of_the_same_repository_name(
    agent: Agent, services: Services, checkout: Path, pipeline: str
) -> None:
    import boto3

    # Account B's credentials (moto: a role assumed in another account switches to it).
    sts = boto3.client(
        "sts",
        endpoint_url=services.moto_url,
        region_name=services.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    role = "arn:aws:iam::111111111111:role/ci"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="job")["Credentials"]
    account_b = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    ecr_b = boto3.client(
        "ecr",
        endpoint_url=services.moto_url,
        region_name=services.region,
        aws_access_key_id=account_b["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=account_b["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=account_b["AWS_SESSION_TOKEN"],
    )
    name = f"build-cache/acme/{pipeline}"
    ok(agent.run(checkout, config(services.auth_registry), pipeline))  # account A ensured it

    other = ok(agent.run(checkout, config(services.auth_registry), pipeline, account_b))

    # Account B's job ensured its own repository: A's record said nothing about B.
    assert "this host ensured them" not in other.output
    found = ecr_b.describe_repositories(repositoryNames=[name])["repositories"]
    assert [repo["registryId"] for repo in found] == ["111111111111"]
