"""The fault matrix through the real shim: ECR and the registry behind a fault-injecting proxy.

Every test sources ``hooks/pre-command`` as the agent does (``tests.hook.hookrun``) with moto
and the htpasswd registry each behind a :class:`tests.faultproxy.FaultProxy` of the test's own:
``AWS_ENDPOINT_URL_ECR`` and ``registry-hostname`` point at the proxies, which count every
request and inject what the test scripts: ECR's ThrottlingException, 5xx, 401, connection
resets, delays. Every run's whole output is scanned for moto's token when the test ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faultproxy import FaultProxy
from tests.hook.hookrun import Agent, ok
from tests.hook.proxied import ProxiedJob
from tests.services import Services

pytestmark = pytest.mark.services

DOCKERFILE = "FROM local/busybox\nCOPY package.json /p.json\n"
TOKEN_CALL = r" GetAuthorizationToken$"


@pytest.fixture
def faulty(
    services: Services, agent: Agent, checkout: Path, pipeline: str, docker_client: Any
) -> Iterator[ProxiedJob]:
    with FaultProxy(services.moto_url) as ecr, FaultProxy(services.auth_registry) as registry:
        yield ProxiedJob(agent, ecr, registry, checkout, pipeline, docker_client)


# --- ECR throttled -------------------------------------------------------------------------


def test_ecr_throttled_three_times_then_answering_is_retried(faulty: ProxiedJob) -> None:
    faulty.ecr.throttle("DescribeRepositories", times=3)
    faulty.ecr.throttle("GetAuthorizationToken", times=3)

    run = ok(faulty.run())

    assert "built and pushed" in run.output
    # botocore's 3 attempts were all throttled, then the hook's own retry of the step answered.
    assert faulty.ecr.count(r" DescribeRepositories$", fault="respond") == 3
    assert faulty.ecr.count(r" DescribeRepositories$", fault=None) >= 1
    assert faulty.ecr.count(TOKEN_CALL) == 4
    assert "ensure the repository: attempt 1 failed" in run.output
    assert "get the registry login: attempt 1 failed" in run.output
    assert faulty.in_registry(run.tag)


def test_a_token_throttled_forever_is_exit_3_within_the_budget(faulty: ProxiedJob) -> None:
    faulty.ecr.throttle("GetAuthorizationToken", times=None)
    started = time.monotonic()

    run = faulty.run(ECR_CACHE_RETRY_SECONDS="2")

    elapsed = time.monotonic() - started
    assert run.rc == 3, run.output
    assert run.exported == {}
    assert "Traceback" not in run.output
    errors = [line for line in run.output.splitlines() if line.startswith("ecr-cache: no registry")]
    assert len(errors) == 1 and "ThrottlingException" in errors[0], run.output
    assert "giving up after" in run.output
    # Bounded: the hook's attempts within 2 s (an attempt under way is not cut short),
    # botocore's 3 calls each; nothing built.
    calls = faulty.ecr.count(TOKEN_CALL)
    assert 3 <= calls <= 12, calls
    assert elapsed < 2 + 20, elapsed
    assert "(retry budget 2s)" in run.output
    assert "ecr-cache: building" not in run.output
    assert faulty.registry.count(r"^PUT ") == 0


# --- the registry: 5xx, down, resets, delays ------------------------------------------------


def test_pulls_failing_with_5xx_are_retried_then_a_hit_or_built(faulty: ProxiedJob) -> None:
    seeded = ok(faulty.run())
    # The daemon's pull only (it reads the manifest by tag first): the hook's own cache check
    # finds the tag, so each failure is the pull's. Only the tag's: latest (the same digest)
    # stays readable, else the --cache-from pull after the miss fails four times too (3.5 s).
    pull = rf"^(HEAD|GET) /v2/{faulty.name}/manifests/{seeded.tag}$"

    faulty.forget_local(seeded.tag, "latest")
    faulty.registry.fail(pull, 500, times=2, user_agent="^docker/")
    recovered = ok(faulty.run())
    assert "ecr-cache: hit (pulled)" in recovered.output
    assert "pull: attempt 1 failed" in recovered.output
    assert faulty.registry.count(pull, fault="respond") == 2

    faulty.forget_local(seeded.tag, "latest")
    faulty.registry.fail(pull, 500, times=None, user_agent="^docker/")
    built = ok(faulty.run())
    assert "warning: cannot pull the cached image" in built.output
    assert "ecr-cache: miss (unavailable)" in built.output
    assert "pull: attempt 4 failed" in built.output and "giving up" in built.output
    assert "built and pushed" in built.output
    assert built.reference == seeded.reference
    assert built.output.count("warning: cannot pull") == 1  # latest, for --cache-from, pulled
    assert "for --cache-from" in built.output


def test_the_registry_down_during_the_push_is_a_warning_and_the_next_job_pushes(
    faulty: ProxiedJob,
) -> None:
    # dockerd begins every push by asking /v2/: resetting that is a registry that is down for
    # the push, while the hook's own cache check (a HEAD of the manifest) still gets through.
    faulty.registry.reset(r"^GET /v2/$", times=None)
    config = faulty.config(**{"cache-from": False})

    run = ok(faulty.run(config))

    assert "warning: push of" in run.output
    assert "push failed: local image used" in run.output
    assert run.exported["BUILDKITE_PLUGIN_DOCKER_IMAGE"].endswith(run.tag)
    assert faulty.registry.count(r"^GET /v2/$", fault="reset") >= 1
    assert not faulty.in_registry(run.tag)

    faulty.registry.clear()
    healed = ok(faulty.run(config))
    assert "ecr-cache: hit (local)" in healed.output
    assert faulty.in_registry(run.tag)  # the push owed by this host, made by the next job


def test_resets_and_delays_on_both_sides_are_survived(faulty: ProxiedJob) -> None:
    faulty.ecr.reset(r" DescribeRepositories$", times=1)
    faulty.ecr.delay(r"^POST / ", 0.1, times=None)
    faulty.registry.reset(r"^HEAD /v2/.*/manifests/", times=1)
    faulty.registry.delay(r"^(HEAD|GET) /v2/", 0.1, times=None)

    run = ok(faulty.run())

    assert "built and pushed" in run.output
    assert faulty.ecr.count(fault="reset") == 1 and faulty.registry.count(fault="reset") == 1
    assert faulty.ecr.count(fault="delay") >= 3
    assert "cache check: attempt 1 failed" in run.output
    assert faulty.in_registry(run.tag)


# --- a token refused mid-run ----------------------------------------------------------------


def test_a_401_mid_run_gets_one_fresh_token_for_each_step_refused(faulty: ProxiedJob) -> None:
    seeded = ok(faulty.run())
    tokens = faulty.ecr.count(TOKEN_CALL)

    # A hit with a pull: the cache check (the hook's HEAD) and then the pull are each refused
    # once. The daemon answers a refused HEAD of the tag with a GET of it: both are refused.
    faulty.forget_local(seeded.tag, "latest")
    manifests = rf"^(HEAD|GET) /v2/{faulty.name}/manifests/"
    faulty.registry.unauthorized(manifests, user_agent="^ecr-cache")
    faulty.registry.unauthorized(manifests, times=2, user_agent="^docker/")
    pulled = ok(faulty.run())
    assert "ecr-cache: hit (pulled)" in pulled.output
    assert "cache check: the registry refused the login" in pulled.output
    assert "pull: the registry refused the login" in pulled.output
    assert faulty.ecr.count(TOKEN_CALL) - tokens == 3  # the first, and one fresh per refusal
    tokens = faulty.ecr.count(TOKEN_CALL)

    # A miss: the label read of latest and the push of the new tag are each refused once.
    (faulty.checkout / "package.json").write_text('{"v": 2}\n')
    faulty.registry.unauthorized(rf"^GET /v2/{faulty.name}/manifests/latest$")
    faulty.registry.unauthorized(rf"^PUT /v2/{faulty.name}/manifests/")
    rebuilt = ok(faulty.run())
    assert rebuilt.tag != seeded.tag
    assert "label read: the registry refused the login" in rebuilt.output
    assert "why: package.json changed" in rebuilt.output
    assert "the registry refused the login" in rebuilt.output.split("pushing", 1)[1]
    assert "built and pushed" in rebuilt.output
    assert faulty.ecr.count(TOKEN_CALL) - tokens == 3
    assert faulty.in_registry(rebuilt.tag) and faulty.in_registry("latest")
