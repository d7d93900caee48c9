"""The flow under faults, with fakes: refused logins get one fresh token, retries keep a budget.

The same cases run end to end against moto and the registry through a fault-injecting proxy in
``tests/hook/test_faults.py``; these pin the orchestration: which call is repeated, how often,
and what the log says.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from ecr_cache_tui.cachekey.inputs import LABEL, Manifest
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import AccessDenied, LoginUnavailable, Throttled, Unavailable
from ecr_cache_tui.hook.decision import ECR_RETRY
from ecr_cache_tui.hook.flow import run_pre_command
from ecr_cache_tui.hook.types import HookDeps
from ecr_cache_tui.model import Credentials
from tests.fakes import FakeClock, FakeEcr, FakeEngine, FakeRegistry
from tests.hook.flowdeps import IMAGE, NAME, TAG, ecr_with_repository, entries, make

CONFIG = PluginConfig(ecr_name=NAME)
NO_CACHE_FROM = PluginConfig(ecr_name=NAME, cache_from=False)


@dataclass
class Faulty:
    """The flow's collaborators with ECR's tokens numbered (``token-1``, ...) and time passing
    only when the flow sleeps or an ECR call takes its ``latency``."""

    deps: HookDeps
    out: io.StringIO
    ecr: FakeEcr
    clock: FakeClock

    def lines(self) -> list[str]:
        return self.out.getvalue().splitlines()


def faulty(
    engine: FakeEngine,
    *,
    registry: FakeRegistry | None = None,
    stored: Credentials | None = None,
    latency: dict[str, float] | None = None,
) -> Faulty:
    clock = FakeClock()
    ecr = ecr_with_repository(clock=clock, token="token-{n}", latency=latency)
    deps, out, *_ = make(ecr=ecr, engine=engine, registry=registry, stored=stored, clock=clock)
    return Faulty(deps, out, ecr, clock)


# --- a refused login: one fresh token, one more try ------------------------------------------


def test_a_token_that_expires_between_pull_and_push_is_renewed_and_the_push_made() -> None:
    engine = FakeEngine(refusals={"push": 1})
    flow = faulty(engine)

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=flow.deps)

    assert result.built and result.pushed
    assert flow.ecr.calls.count("GetAuthorizationToken") == 2
    # The refused push went out with the first token, its retry with the fresh one; latest too.
    assert [u for u in engine.used if u.startswith("push")] == [
        "push token-1",
        "push token-2",
        "push token-2",
    ]
    assert any("the registry refused the login" in line for line in flow.lines())
    assert flow.deps.log.warnings == []


@pytest.mark.parametrize("step", ["cache check", "label read"])
def test_a_refused_registry_read_is_renewed_once(step: str) -> None:
    remote = {f"{IMAGE}:latest"} if step == "label read" else {f"{IMAGE}:{TAG}"}
    engine = FakeEngine(remote=remote)
    previous = Manifest("cd" * 16, entries("l1")).to_label()
    registry = FakeRegistry(engine, labels={LABEL: previous}, refusals=1)
    if step == "label read":
        registry.refusals = 0
    flow = faulty(engine, registry=registry)
    if step == "label read":
        # The check finds no tag; the label read of latest is the one refused.
        original = registry.image_labels

        def refused_once(*args: object, **kwargs: object) -> dict[str, str]:
            registry.image_labels = original  # type: ignore[method-assign]
            raise AccessDenied("401")

        registry.image_labels = refused_once  # type: ignore[method-assign]

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=flow.deps)

    assert flow.ecr.calls.count("GetAuthorizationToken") == 2
    assert registry.logins == ["token-1", "token-2"]
    assert f"{step}: the registry refused the login" in flow.out.getvalue()
    if step == "cache check":
        assert result.outcome.source == "pulled"
    else:
        assert result.why == "lock changed"


def test_a_refused_pull_is_renewed_once_and_hits() -> None:
    engine = FakeEngine(remote={f"{IMAGE}:{TAG}"}, refusals={"pull": 1})
    flow = faulty(engine)

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=flow.deps)

    assert result.outcome.source == "pulled"
    assert engine.used == ["pull token-1", "pull token-2"]
    assert flow.clock.slept == []  # renewed, not backed off


def test_refused_again_with_the_fresh_token_is_the_steps_failure_after_one_renewal() -> None:
    engine = FakeEngine(remote={f"{IMAGE}:{TAG}"}, refusals={"pull": 99, "push": 99})
    flow = faulty(engine)

    result = run_pre_command(NO_CACHE_FROM, Path("/co"), env={}, deps=flow.deps)

    # Pull refused twice: a warned miss; the build's push refused twice: a warning, exit 0.
    assert (result.outcome.source, result.built, result.pushed) == ("unavailable", True, False)
    assert engine.used == ["pull token-1", "pull token-2", "push token-2", "push token-3"]
    assert flow.ecr.calls.count("GetAuthorizationToken") == 3
    assert len(flow.deps.log.warnings) == 2


def test_a_fixed_login_from_the_docker_config_is_not_asked_for_again() -> None:
    config = PluginConfig(
        ecr_name="team/web",
        registry_provider="oci",
        registry_hostname="r:5000",
        cache_from=False,
        push_latest=False,
    )
    engine = FakeEngine(refusals={"push": 1})
    flow = faulty(engine, stored=Credentials("u", "p"))
    deps = flow.deps._replace(ecr=None)

    result = run_pre_command(config, Path("/co"), env={}, deps=deps)

    assert engine.used == ["push p"]  # not again with the same login
    assert result.built and not result.pushed


# --- ECR throttled: retried within the budget ------------------------------------------------


def test_a_throttled_token_is_retried_and_each_retry_logged() -> None:
    throttle = Throttled("get ECR authorization token: ThrottlingException: Rate exceeded")
    flow = faulty(FakeEngine(remote={f"{IMAGE}:{TAG}"}))
    flow.ecr.fail("GetAuthorizationToken", throttle, throttle, throttle)

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=flow.deps)

    assert result.outcome.source == "pulled"
    assert flow.ecr.calls.count("GetAuthorizationToken") == 4
    assert flow.clock.slept == [1.0, 2.0, 4.0]
    retries = [line for line in flow.lines() if "get the registry login: attempt" in line]
    assert len(retries) == 3 and "retrying in 4.0s" in retries[-1]


def test_a_token_throttled_forever_ends_within_the_budget_without_building() -> None:
    engine = FakeEngine(remote={f"{IMAGE}:{TAG}"})
    # botocore's own attempts inside each call: 3 s a token call.
    flow = faulty(engine, latency={"GetAuthorizationToken": 3.0})
    flow.ecr.fail("GetAuthorizationToken", *[Throttled("ThrottlingException") for _ in range(100)])

    with pytest.raises(LoginUnavailable):
        run_pre_command(CONFIG, Path("/co"), env={}, deps=flow.deps)

    # 3 s calls after waits of 1, 2, 4, 8 and 15 s: the sixth ends at 48 s, and a seventh
    # would start at 63 s, past the budget. Not 4 cache checks times that, as it once was.
    assert flow.clock.now == 48.0 <= ECR_RETRY.budget
    assert flow.ecr.calls.count("GetAuthorizationToken") == 6
    assert engine.calls == []
    assert "giving up after" in flow.lines()[-1]


def test_an_unavailable_ecr_is_retried_for_the_repository_step() -> None:
    flow = faulty(FakeEngine(local={f"{IMAGE}:{TAG}"}))
    flow.ecr.fail("DescribeRepositories", Unavailable("HTTP 503"), Throttled("slow down"))

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=flow.deps)

    assert result.outcome.source == "local"
    assert flow.clock.slept == [1.0, 2.0]
    assert "ensure the repository: attempt 2 failed (slow down)" in flow.out.getvalue()
