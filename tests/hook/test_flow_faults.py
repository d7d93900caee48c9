"""The flow under faults, with fakes: refused logins get one fresh token, retries keep a budget.

The same cases run end to end against moto and the registry through a fault-injecting proxy in
``tests/hook/test_faults.py``; these pin the orchestration: which call is repeated, how often,
and what the log says.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from ecr_cache_tui.cachekey.inputs import LABEL, Manifest
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import AccessDenied, LoginUnavailable, Throttled, Unavailable
from ecr_cache_tui.hook.decision import ECR_RETRY
from ecr_cache_tui.hook.flow import HookDeps, run_pre_command
from ecr_cache_tui.model import Credentials, RegistryAuth, RepositoryInfo
from tests.hook.test_flow import IMAGE, NAME, TAG, FakeEcr, FakeEngine, entries, make

CONFIG = PluginConfig(ecr_name=NAME)
NO_CACHE_FROM = PluginConfig(ecr_name=NAME, cache_from=False)


class Clock:
    """Seconds that pass when the flow sleeps, and when a fake call says it took a while."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Script:
    """Raises the scripted errors in order, then lets the call through."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)

    def __call__(self) -> None:
        if self.errors:
            raise self.errors.pop(0)


class FlakyEcr(FakeEcr):
    def __init__(
        self,
        clock: Clock,
        *,
        token: Script | None = None,
        describe: Script | None = None,
        seconds_per_call: float = 0.0,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.token = token or Script()
        self.describe = describe or Script()
        self.seconds_per_call = seconds_per_call

    def authorization(self, registry_id: str | None = None) -> RegistryAuth:
        self.calls.append("GetAuthorizationToken")
        self.clock.now += self.seconds_per_call
        self.token()
        return RegistryAuth("AWS", f"token-{self.calls.count('GetAuthorizationToken')}", "", None)

    def describe_repository(self, name: str) -> RepositoryInfo | None:
        self.describe()
        return super().describe_repository(name)


class RefusingRegistry:
    """A registry that refuses the first ``refusals`` requests, and records each login used."""

    def __init__(self, engine: FakeEngine, refusals: int, labels: Mapping[str, str]) -> None:
        self.engine = engine
        self.refusals = refusals
        self.labels = dict(labels)
        self.logins: list[str] = []

    def client(self, host: str, login: Credentials | None) -> RefusingRegistry:
        self.logins.append(login.password if login else "")
        return self

    def _gate(self) -> None:
        if self.refusals:
            self.refusals -= 1
            raise AccessDenied("401 unauthorized")

    def manifest_exists(self, repository: str, reference: str) -> bool:
        self._gate()
        return f"{IMAGE}:{reference}" in self.engine.remote

    def image_labels(
        self, repository: str, reference: str, *, platform: str | None = None
    ) -> dict[str, str]:
        self._gate()
        return self.labels


class RefusingEngine(FakeEngine):
    """Pulls and pushes refused while ``refusals`` lasts; records the password each one used."""

    refusals: dict[str, int]
    used: list[str]

    def with_refusals(self, **refusals: int) -> RefusingEngine:
        self.refusals = refusals
        self.used = []
        return self

    def _gate(self, what: str, credentials: Credentials | None) -> None:
        self.used.append(f"{what} {credentials.password if credentials else ''}")
        if self.refusals.get(what, 0):
            self.refusals[what] -= 1
            raise AccessDenied(f"{what}: unauthorized: authentication required")

    def pull(self, repository, tag, credentials, *, platform=None, on_progress=None):  # type: ignore[no-untyped-def]
        self._gate("pull", credentials)
        super().pull(repository, tag, credentials, platform=platform, on_progress=on_progress)

    def push(self, repository, tag, credentials, *, on_progress=None):  # type: ignore[no-untyped-def]
        self._gate("push", credentials)
        super().push(repository, tag, credentials, on_progress=on_progress)


def deps_for(
    clock: Clock,
    *,
    ecr: FakeEcr,
    engine: FakeEngine,
    registry: RefusingRegistry | None = None,
    stored: Credentials | None = None,
) -> tuple[HookDeps, list[str]]:
    deps, out, _, _, _ = make(ecr=ecr, engine=engine, stored=stored)
    changes: dict[str, object] = {"clock": clock, "sleep": clock.sleep}
    if registry is not None:
        changes["registry"] = registry.client
    deps = HookDeps(**{**deps.__dict__, **changes})
    return deps, out  # type: ignore[return-value]


def lines(out: object) -> list[str]:
    return out.getvalue().splitlines()  # type: ignore[attr-defined,no-any-return]


# --- a refused login: one fresh token, one more try ------------------------------------------


def test_a_token_that_expires_between_pull_and_push_is_renewed_and_the_push_made() -> None:
    clock = Clock()
    ecr = FlakyEcr(clock)
    engine = RefusingEngine().with_refusals(push=1)
    deps, out = deps_for(clock, ecr=ecr, engine=engine)

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)

    assert result.built and result.pushed
    assert ecr.calls.count("GetAuthorizationToken") == 2
    # The refused push went out with the first token, its retry with the fresh one; latest too.
    assert [u for u in engine.used if u.startswith("push")] == [
        "push token-1",
        "push token-2",
        "push token-2",
    ]
    assert any("the registry refused the login" in line for line in lines(out))
    assert deps.log.warnings == []


@pytest.mark.parametrize("step", ["cache check", "label read"])
def test_a_refused_registry_read_is_renewed_once(step: str) -> None:
    clock = Clock()
    ecr = FlakyEcr(clock)
    remote = {f"{IMAGE}:latest"} if step == "label read" else {f"{IMAGE}:{TAG}"}
    engine = RefusingEngine(remote=remote).with_refusals()
    previous = Manifest("cd" * 16, entries("l1")).to_label()
    registry = RefusingRegistry(engine, refusals=1, labels={LABEL: previous})
    if step == "label read":
        registry.refusals = 0
    deps, out = deps_for(clock, ecr=ecr, engine=engine, registry=registry)
    if step == "label read":
        # The check finds no tag; the label read of latest is the one refused.
        original = registry.image_labels

        def refused_once(*args: object, **kwargs: object) -> dict[str, str]:
            registry.image_labels = original  # type: ignore[method-assign]
            raise AccessDenied("401")

        registry.image_labels = refused_once  # type: ignore[method-assign,assignment]

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)

    assert ecr.calls.count("GetAuthorizationToken") == 2
    assert registry.logins == ["token-1", "token-2"]
    assert f"{step}: the registry refused the login" in out.getvalue()
    if step == "cache check":
        assert result.outcome.source == "pulled"
    else:
        assert result.why == "lock changed"


def test_a_refused_pull_is_renewed_once_and_hits() -> None:
    clock = Clock()
    ecr = FlakyEcr(clock)
    engine = RefusingEngine(remote={f"{IMAGE}:{TAG}"}).with_refusals(pull=1)
    deps, _ = deps_for(clock, ecr=ecr, engine=engine)

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)

    assert result.outcome.source == "pulled"
    assert engine.used == ["pull token-1", "pull token-2"]
    assert clock.slept == []  # renewed, not backed off


def test_refused_again_with_the_fresh_token_is_the_steps_failure_after_one_renewal() -> None:
    clock = Clock()
    ecr = FlakyEcr(clock)
    engine = RefusingEngine(remote={f"{IMAGE}:{TAG}"}).with_refusals(pull=99, push=99)
    deps, _ = deps_for(clock, ecr=ecr, engine=engine)

    result = run_pre_command(NO_CACHE_FROM, Path("/co"), env={}, deps=deps)

    # Pull refused twice: a warned miss; the build's push refused twice: a warning, exit 0.
    assert (result.outcome.source, result.built, result.pushed) == ("unavailable", True, False)
    assert engine.used == ["pull token-1", "pull token-2", "push token-2", "push token-3"]
    assert ecr.calls.count("GetAuthorizationToken") == 3
    assert len(deps.log.warnings) == 2


def test_a_fixed_login_from_the_docker_config_is_not_asked_for_again() -> None:
    clock = Clock()
    config = PluginConfig(
        ecr_name="team/web",
        registry_provider="oci",
        registry_hostname="r:5000",
        cache_from=False,
        push_latest=False,
    )
    engine = RefusingEngine().with_refusals(push=1)
    deps, _ = deps_for(clock, ecr=FlakyEcr(clock), engine=engine, stored=Credentials("u", "p"))
    deps = HookDeps(**{**deps.__dict__, "ecr": None})

    result = run_pre_command(config, Path("/co"), env={}, deps=deps)

    assert engine.used == ["push p"]  # not again with the same login
    assert result.built and not result.pushed


# --- ECR throttled: retried within the budget ------------------------------------------------


def test_a_throttled_token_is_retried_and_each_retry_logged() -> None:
    clock = Clock()
    throttle = Throttled("get ECR authorization token: ThrottlingException: Rate exceeded")
    ecr = FlakyEcr(clock, token=Script(throttle, throttle, throttle))
    engine = RefusingEngine(remote={f"{IMAGE}:{TAG}"}).with_refusals()
    deps, out = deps_for(clock, ecr=ecr, engine=engine)

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)

    assert result.outcome.source == "pulled"
    assert ecr.calls.count("GetAuthorizationToken") == 4
    assert clock.slept == [1.0, 2.0, 4.0]
    retries = [line for line in lines(out) if "get the registry login: attempt" in line]
    assert len(retries) == 3 and "retrying in 4.0s" in retries[-1]


def test_a_token_throttled_forever_ends_within_the_budget_without_building() -> None:
    clock = Clock()
    ecr = FlakyEcr(
        clock,
        token=Script(*[Throttled("ThrottlingException") for _ in range(100)]),
        seconds_per_call=3.0,  # botocore's own attempts inside each call
    )
    engine = RefusingEngine(remote={f"{IMAGE}:{TAG}"}).with_refusals()
    deps, out = deps_for(clock, ecr=ecr, engine=engine)

    with pytest.raises(LoginUnavailable):
        run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)

    # 3 s calls after waits of 1, 2, 4, 8 and 15 s: the sixth ends at 48 s, and a seventh
    # would start at 63 s, past the budget. Not 4 cache checks times that, as it once was.
    assert clock.now == 48.0 <= ECR_RETRY.budget
    assert ecr.calls.count("GetAuthorizationToken") == 6
    assert engine.calls == []
    assert "giving up after" in lines(out)[-1]


def test_an_unavailable_ecr_is_retried_for_the_repository_step() -> None:
    clock = Clock()
    ecr = FlakyEcr(clock, describe=Script(Unavailable("HTTP 503"), Throttled("slow down")))
    engine = RefusingEngine(local={f"{IMAGE}:{TAG}"}).with_refusals()
    deps, out = deps_for(clock, ecr=ecr, engine=engine)

    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)

    assert result.outcome.source == "local"
    assert clock.slept == [1.0, 2.0]
    assert "ensure the repository: attempt 2 failed (slow down)" in out.getvalue()
