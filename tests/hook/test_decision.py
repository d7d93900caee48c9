"""The hit/miss ladder and the retry policy, with plain callables for the checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecr_cache_tui.errors import (
    AccessDenied,
    LoginUnavailable,
    RegistryError,
    TagNotFound,
    Throttled,
)
from ecr_cache_tui.hook.decision import ECR_RETRY, Attempt, Outcome, RetryPolicy, decide, retry
from tests.fakes import FakeClock

POLICY = RetryPolicy(delays=(1.0, 2.0))


class Calls:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.slept: list[float] = []
        self.warnings: list[str] = []

    def check(self, name: str, answer: object) -> Callable[[], object]:
        def run() -> object:
            self.names.append(name)
            if isinstance(answer, BaseException):
                raise answer
            if isinstance(answer, list):
                item = answer.pop(0)
                if isinstance(item, BaseException):
                    raise item
                return item
            return answer

        return run


def ladder(
    calls: Calls,
    *,
    force: bool = False,
    skip_pull: bool = False,
    local: object = False,
    exists: object = True,
    pull: object = None,
) -> Outcome:
    return decide(
        force=force,
        skip_pull=skip_pull,
        in_daemon=calls.check("local", local),  # type: ignore[arg-type]
        tag_exists=calls.check("exists", exists),  # type: ignore[arg-type]
        pull=calls.check("pull", pull),  # type: ignore[arg-type]
        policy=POLICY,
        sleep=calls.slept.append,
        warn=calls.warnings.append,
    )


def test_force_rebuild_is_a_miss_without_looking() -> None:
    calls = Calls()
    assert ladder(calls, force=True, local=True) == Outcome(False, "forced", "force-rebuild")
    assert calls.names == []


def test_local_image_is_a_hit_with_nothing_pulled() -> None:
    calls = Calls()
    assert ladder(calls, local=True).source == "local"
    assert calls.names == ["local"]


def test_skip_pull_hits_on_the_registry_check_alone() -> None:
    calls = Calls()
    outcome = ladder(calls, skip_pull=True)
    assert (outcome.hit, outcome.source) == (True, "registry")
    assert calls.names == ["local", "exists"]


def test_tag_absent_from_registry_is_a_miss_without_pulling() -> None:
    calls = Calls()
    outcome = ladder(calls, exists=False)
    assert (outcome.hit, outcome.source) == (False, "not-found")
    assert "pull" not in calls.names


def test_pull_success_is_a_hit() -> None:
    calls = Calls()
    assert ladder(calls).source == "pulled"
    assert calls.names == ["local", "exists", "pull"]


def test_pull_not_found_is_a_miss_not_a_warning() -> None:
    calls = Calls()
    outcome = ladder(calls, pull=TagNotFound("gone"))
    assert (outcome.hit, outcome.source) == (False, "not-found")
    assert calls.warnings == [] and calls.slept == []


def test_failing_pull_is_retried_with_backoff_then_a_warned_miss() -> None:
    calls = Calls()
    outcome = ladder(calls, pull=RegistryError("HTTP 500"))
    assert (outcome.hit, outcome.source) == (False, "unavailable")
    assert calls.names.count("pull") == 3
    assert calls.slept == [1.0, 2.0]
    assert len(calls.warnings) == 1 and "HTTP 500" in calls.warnings[0]


def test_pull_recovering_on_retry_is_a_hit() -> None:
    calls = Calls()
    outcome = ladder(calls, pull=[RegistryError("503"), None])
    assert outcome.source == "pulled"
    assert calls.slept == [1.0]


def test_registry_check_failing_is_retried_then_a_warned_miss() -> None:
    calls = Calls()
    outcome = ladder(calls, exists=RegistryError("HTTP 502"))
    assert outcome.source == "unavailable"
    assert calls.names.count("exists") == 3 and calls.warnings


def test_a_refused_login_is_not_retried_with_backoff_but_is_a_warned_miss() -> None:
    # The flow has already tried a fresh token by then (hook.login); the same again is pointless.
    calls = Calls()
    outcome = ladder(calls, exists=AccessDenied("401"))
    assert outcome.source == "unavailable"
    assert calls.names.count("exists") == 1 and calls.slept == [] and calls.warnings


@pytest.mark.parametrize("step", ["exists", "pull"])
def test_no_login_at_all_is_raised_not_a_miss(step: str) -> None:
    calls = Calls()
    with pytest.raises(LoginUnavailable):
        ladder(calls, **{step: LoginUnavailable("throttled")})  # type: ignore[arg-type]
    assert calls.slept == [] and calls.warnings == []


def test_retry_does_not_retry_not_found() -> None:
    slept: list[float] = []

    def missing() -> None:
        raise TagNotFound("nope")

    with pytest.raises(TagNotFound):
        retry(missing, POLICY, slept.append)
    assert slept == []


def test_retries_stop_at_the_budget_in_total_time_and_each_is_reported() -> None:
    clock = FakeClock()
    heard: list[Attempt] = []
    calls = 0

    def throttled() -> None:
        nonlocal calls
        calls += 1
        clock.now += 2.0  # each attempt itself takes 2 s (botocore's own retries)
        raise Throttled("GetAuthorizationToken: ThrottlingException")

    with pytest.raises(Throttled):
        retry(throttled, ECR_RETRY, clock.sleep, heard.append, clock=clock)

    # Seven attempts of 2 s and six waits (1+2+4+8+15+15) end at 59 s; the next 15 s wait
    # would end past 60, so it is not started.
    assert calls == 7
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert clock.now == 59.0
    assert [a.number for a in heard] == [1, 2, 3, 4, 5, 6, 7]
    assert [a.delay for a in heard] == [*clock.slept, None]
    assert "giving up after 59.0s (retry budget 60s)" in heard[-1].describe("login")
    assert "retrying in 1.0s (58s of 60s left)" in heard[0].describe("login")


def test_throttled_forever_is_bounded_by_the_budget_even_with_slow_attempts() -> None:
    clock = FakeClock()
    calls = 0

    def slow() -> None:
        nonlocal calls
        calls += 1
        clock.now += 25.0
        raise Throttled("slow and throttled")

    with pytest.raises(Throttled):
        retry(slow, ECR_RETRY.with_budget(60), clock.sleep, clock=clock)
    # The budget counts the attempts too: a retry starts only while it is not spent (25 + 1,
    # then 51 + 2), so the step ends within the budget plus one attempt (78 s), not 7 attempts.
    assert calls == 3
    assert clock.now == 78.0


def test_retry_on_limits_what_is_retried() -> None:
    clock = FakeClock()

    def failing() -> None:
        raise RegistryError("not a throttle")

    with pytest.raises(RegistryError):
        retry(failing, ECR_RETRY, clock.sleep, clock=clock, retry_on=(Throttled,))
    assert clock.slept == []


def test_a_short_budget_gives_up_early() -> None:
    clock = FakeClock()
    with pytest.raises(Throttled):
        retry(
            lambda: (_ for _ in ()).throw(Throttled("x")),
            ECR_RETRY.with_budget(5),
            clock.sleep,
            clock=clock,
        )
    assert clock.slept == [1.0, 2.0]  # then 4 s would end at 7 s, past 5
