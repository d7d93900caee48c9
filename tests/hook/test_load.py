"""Twenty hooks at once, through the real shim: on one new pipeline, and on twenty pipelines.

What is asserted here: every job exits 0 with the same (or its own) reference, the registry
holds what was exported, ECR holds one repository per pipeline with its policy, nothing is left
in the jobs' shared ``TMPDIR``, and no output carries the token. How many builds one pipeline
costs on one host is the build lock's business (issue 13's tests count them); ECR and the
registry are behind counting proxies so a failure here says what was asked of them.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui import lifecycle
from ecr_cache_tui.adapters.registry import RegistryClient
from tests.faultproxy import FaultProxy
from tests.hook.hookrun import Agent, HookRun
from tests.services import ECR_PASSWORD, ECR_USER, Services, write_context

pytestmark = pytest.mark.services

JOBS = 20
DOCKERFILE = "FROM local/busybox\nCOPY package.json /p.json\n"


def run_all(
    agent: Agent, jobs: list[tuple[Path, dict[str, Any], str, dict[str, str]]]
) -> list[HookRun]:
    started = [agent.start(*job) for job in jobs]
    with ThreadPoolExecutor(len(started)) as pool:
        runs = list(pool.map(lambda job: agent.finish(*job), started))
    assert len(agent.transcript) >= JOBS  # each job's log is scanned for the token
    return runs


def assert_all_ok(runs: list[HookRun], job_tmp: Path) -> None:
    failed = [run.output for run in runs if run.rc != 0]
    assert not failed, failed[0]
    assert all("Traceback" not in run.output for run in runs)
    assert sorted(p.name for p in job_tmp.iterdir()) == []


def test_twenty_hooks_at_once_on_one_new_pipeline(
    agent: Agent,
    services: Services,
    tmp_path: Path,
    ecr_client: Any,
    checkout: Path,
    pipeline: str,
) -> None:
    job_tmp = tmp_path / "job-tmp"
    job_tmp.mkdir()
    with FaultProxy(services.moto_url) as ecr:
        config = {"cache-on": ["package.json"], "registry-hostname": services.auth_registry}
        extra = {"TMPDIR": str(job_tmp), "AWS_ENDPOINT_URL_ECR": ecr.url}
        runs = run_all(agent, [(checkout, config, pipeline, extra)] * JOBS)

        assert_all_ok(runs, job_tmp)
        assert len({run.reference for run in runs}) == 1
        # Twenty jobs raced to create it: one repository, one policy, nothing else.
        assert ecr.count(r" CreateRepository$") >= 1
    name = f"build-cache/acme/{pipeline}"
    repositories = ecr_client.describe_repositories()["repositories"]
    assert [r["repositoryName"] for r in repositories] == [name]
    policy = ecr_client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    assert lifecycle.max_age_days(policy) == 30
    registry = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    assert registry.manifest_exists(name, runs[0].tag)
    assert registry.manifest_exists(name, "latest")


def test_twenty_hooks_at_once_on_twenty_pipelines(
    agent: Agent, services: Services, tmp_path: Path, ecr_client: Any
) -> None:
    job_tmp = tmp_path / "job-tmp"
    job_tmp.mkdir()
    suffix = secrets.token_hex(3)
    jobs = []
    for n in range(JOBS):
        checkout = write_context(tmp_path / f"co{n}", DOCKERFILE, {"package.json": f'{{"v": {n}}}'})
        config = {"cache-on": ["package.json"], "registry-hostname": services.auth_registry}
        jobs.append((checkout, config, f"many-{suffix}-{n}", {"TMPDIR": str(job_tmp)}))

    runs = run_all(agent, jobs)

    assert_all_ok(runs, job_tmp)
    assert len({run.tag for run in runs}) == JOBS  # each checkout its own inputs
    names = sorted(r["repositoryName"] for r in ecr_client.describe_repositories()["repositories"])
    assert names == sorted(f"build-cache/acme/many-{suffix}-{n}" for n in range(JOBS))
    registry = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    for n, run in enumerate(runs):
        assert run.image.endswith(f"/build-cache/acme/many-{suffix}-{n}")
        assert registry.manifest_exists(f"build-cache/acme/many-{suffix}-{n}", run.tag)
