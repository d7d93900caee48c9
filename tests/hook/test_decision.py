"""The hit/miss ladder and the retry policy, with plain callables for the checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecr_cache_tui.errors import AccessDenied, RegistryError, TagNotFound
from ecr_cache_tui.hook.decision import Outcome, RetryPolicy, decide, retry

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
    outcome = ladder(calls, exists=AccessDenied("401"))
    assert outcome.source == "unavailable"
    assert calls.names.count("exists") == 3 and calls.warnings


def test_retry_does_not_retry_not_found() -> None:
    slept: list[float] = []

    def missing() -> None:
        raise TagNotFound("nope")

    with pytest.raises(TagNotFound):
        retry(missing, POLICY, slept.append)
    assert slept == []
