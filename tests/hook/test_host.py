"""What the host remembers, with fakes: the zero-call local hit, the owed push, the build lock."""

from __future__ import annotations

from pathlib import Path

from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import RegistryError
from ecr_cache_tui.hook.flow import run_pre_command
from ecr_cache_tui.hook.host import (
    ENSURED_TTL_SECONDS,
    ensured_record,
    is_fresh,
    repository_key,
    wait_for_build_lock,
)
from ecr_cache_tui.host_records import PendingPush
from tests.fakes import FakeEngine, FakeHostState
from tests.hook.flowdeps import HOST, IMAGE, NAME, NOW, TAG, ensured, make, with_host

REFERENCE = f"{IMAGE}:{TAG}"
CONFIG = PluginConfig(ecr_name=NAME)
EXPLICIT_14 = PluginConfig(ecr_name=NAME, max_age_days=14, max_age_days_explicit=True)


# --- freshness ---------------------------------------------------------------------------------


def test_a_record_is_fresh_within_its_time_to_live_only() -> None:
    record = ensured_record(CONFIG, host=HOST, registry_id=None, now=NOW)
    assert is_fresh(record, CONFIG, now=NOW + ENSURED_TTL_SECONDS - 1)
    assert not is_fresh(record, CONFIG, now=NOW + ENSURED_TTL_SECONDS)
    assert not is_fresh(record, CONFIG, now=NOW - 5), "a clock that went back is not trusted"
    assert not is_fresh(None, CONFIG, now=NOW)


def test_a_changed_explicit_max_age_is_not_fresh_but_an_unset_one_is() -> None:
    record = ensured_record(EXPLICIT_14, host=HOST, registry_id=None, now=NOW)
    assert is_fresh(record, EXPLICIT_14, now=NOW)
    assert not is_fresh(record, EXPLICIT_14._replace(max_age_days=7), now=NOW)
    assert is_fresh(record, CONFIG, now=NOW), "unset max-age-days never rewrites a policy"
    unset = ensured_record(CONFIG, host=HOST, registry_id=None, now=NOW)
    assert not is_fresh(unset, EXPLICIT_14, now=NOW), "the days were never ensured"


def test_changed_ecr_tags_or_another_key_are_not_fresh() -> None:
    record = ensured_record(CONFIG, host=HOST, registry_id=None, now=NOW)
    assert not is_fresh(record, CONFIG._replace(ecr_tags={"team": "web"}), now=NOW)
    assert not is_fresh(record, CONFIG._replace(region="us-east-1"), now=NOW)
    assert not is_fresh(record, CONFIG._replace(account_id="210987654321"), now=NOW)
    assert repository_key(CONFIG) == record.key


# --- the local hit ------------------------------------------------------------------------------


def test_a_local_hit_on_a_host_that_ensured_the_repository_makes_no_call() -> None:
    deps, out, ecr, engine, _ = make(engine=FakeEngine(local={REFERENCE}))
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=with_host(deps, ensured()))
    assert (result.outcome.source, result.reference) == ("local", REFERENCE)
    assert ecr.calls == [] and engine.calls == []
    assert "this host ensured them 60s ago" in out.getvalue()


def test_a_stale_record_is_ensured_again_and_rewritten() -> None:
    host = ensured(at=NOW - ENSURED_TTL_SECONDS - 1)
    deps, _, ecr, _, _ = make(engine=FakeEngine(local={REFERENCE}))
    run_pre_command(CONFIG, Path("/co"), env={}, deps=with_host(deps, host))
    assert ecr.calls == ["DescribeRepositories", "GetLifecyclePolicy"]
    assert host.records[repository_key(CONFIG)].ensured_at == NOW


def test_a_changed_explicit_max_age_is_applied_at_once() -> None:
    host = ensured(EXPLICIT_14)
    deps, _, ecr, _, _ = make(engine=FakeEngine(local={REFERENCE}))
    seven = EXPLICIT_14._replace(max_age_days=7)
    run_pre_command(seven, Path("/co"), env={}, deps=with_host(deps, host))
    assert ecr.calls == ["DescribeRepositories", "GetLifecyclePolicy", "PutLifecyclePolicy"]
    assert host.records[repository_key(seven)].policy_days == 7


def test_the_fast_path_needs_the_image_in_the_daemon() -> None:
    deps, _, ecr, engine, _ = make(engine=FakeEngine(remote={REFERENCE}))
    run_pre_command(CONFIG, Path("/co"), env={}, deps=with_host(deps, ensured()))
    assert ecr.calls == ["DescribeRepositories", "GetLifecyclePolicy", "GetAuthorizationToken"]
    assert engine.calls == [f"pull {TAG}"]


def test_force_rebuild_ignores_the_record() -> None:
    deps, _, ecr, _, _ = make(engine=FakeEngine(local={REFERENCE}))
    forced = CONFIG._replace(force_rebuild=True)
    result = run_pre_command(forced, Path("/co"), env={}, deps=with_host(deps, ensured()))
    assert result.built and ecr.calls[:2] == ["DescribeRepositories", "GetLifecyclePolicy"]


# --- the owed push ------------------------------------------------------------------------------


def test_a_failed_push_is_remembered_and_made_by_the_next_local_hit() -> None:
    host = FakeHostState()
    engine = FakeEngine(push_error=RegistryError("connection refused"))
    deps, _, _, _, _ = make(engine=engine)
    first = run_pre_command(CONFIG, Path("/co"), env={}, deps=with_host(deps, host))
    assert first.built and not first.pushed
    assert host.pending[REFERENCE].latest and "connection refused" in host.pending[REFERENCE].error

    engine.push_error = None
    engine.calls.clear()
    engine.local.add(REFERENCE)
    deps, out, ecr, _, _ = make(engine=engine)
    second = run_pre_command(CONFIG, Path("/co"), env={}, deps=with_host(deps, host))
    assert (second.outcome.source, second.built, second.pushed, second.owed) == (
        "local",
        False,
        True,
        True,
    )
    assert engine.calls == ["tag latest", f"push {TAG}", "push latest"]
    assert "GetAuthorizationToken" in ecr.calls
    assert REFERENCE not in host.pending
    assert "an earlier push from this host had failed" in out.getvalue().splitlines()[-1]


def test_an_owed_push_that_fails_again_is_a_warning_and_stays_owed() -> None:
    host = FakeHostState()
    host.save_pending_push(PendingPush(REFERENCE, True, NOW - 30, "refused"))
    engine = FakeEngine(local={REFERENCE}, push_error=RegistryError("still down"))
    deps, out, _, _, _ = make(engine=engine)
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=with_host(deps, host))
    assert result.outcome.hit and not result.pushed
    assert len(deps.log.warnings) == 1 and "still down" in deps.log.warnings[0]
    assert "still down" in host.pending[REFERENCE].error
    assert "push failed again" in out.getvalue().splitlines()[-1]


def test_a_push_with_latest_off_owes_only_the_tag() -> None:
    host = FakeHostState()
    host.save_pending_push(PendingPush(REFERENCE, False, NOW - 30))
    engine = FakeEngine(local={REFERENCE})
    deps, _, _, _, _ = make(engine=engine)
    config = CONFIG._replace(push_latest=False)
    run_pre_command(config, Path("/co"), env={}, deps=with_host(deps, host))
    assert engine.calls == [f"push {TAG}"]


# --- one build per host -------------------------------------------------------------------------


def test_a_miss_builds_under_the_lock_and_lets_it_go() -> None:
    host = FakeHostState()
    deps, _, _, _, builder = make()
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=with_host(deps, host))
    assert result.built and len(builder.args) == 1
    assert host.held == host.released == [REFERENCE]


class BuildingEngine(FakeEngine):
    """The image appears in the daemon while this job waits (another job built it)."""

    def __init__(self, host: FakeHostState) -> None:
        super().__init__()
        self.host = host

    def image_exists(self, reference: str) -> bool:
        return reference not in self.host.holders and self.host.busy_for == 0


def test_a_job_that_misses_while_another_builds_waits_then_hits_locally() -> None:
    host = FakeHostState()
    host.holders[REFERENCE] = "pid 42 (agent agent-2, job j-2, since 01:02:03 UTC)"
    host.busy_for = 3
    deps, out, _, _, builder = make(engine=BuildingEngine(host))
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=with_host(deps, host))
    assert (result.outcome.source, result.built) == ("local", False)
    assert builder.args == []
    log = out.getvalue()
    assert "waiting for pid 42 (agent agent-2, job j-2" in log
    assert "built by the job this one waited for" in log
    assert host.released == [REFERENCE]


def test_the_wait_is_bounded_then_the_job_builds_with_a_warning() -> None:
    host = FakeHostState()
    host.holders[REFERENCE] = "pid 42 (agent a, job j)"
    clock = iter(float(n) for n in range(1000))
    deps, _, _, _, builder = make()
    deps = with_host(deps, host)._replace(clock=lambda: next(clock), build_wait=5.0)
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)
    assert result.built and len(builder.args) == 1
    assert any("waited 5s for pid 42" in w for w in deps.log.warnings)
    assert host.released == []


def test_the_waiter_names_each_holder_it_waits_for() -> None:
    host = FakeHostState()
    host.holders[REFERENCE] = "pid 1"
    seen: list[str] = []
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        host.holders[REFERENCE] = "pid 2"
        host.busy_for = 0 if len(slept) >= 3 else None

    lock, waited = wait_for_build_lock(
        host,
        REFERENCE,
        bound=60,
        clock=lambda: 0.0,
        sleep=sleep,
        info=seen.append,
        warn=seen.append,
    )
    assert waited and lock is not None
    assert seen[0].startswith("waiting for pid 1") and seen[1] == "now waiting for pid 2"
    assert seen[2].startswith("pid 2 is done") and len(seen) == 3


def test_no_host_state_means_no_lock_and_no_record() -> None:
    deps, _, ecr, _, _ = make(engine=FakeEngine(local={REFERENCE}))
    run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)
    assert ecr.calls == ["DescribeRepositories", "GetLifecyclePolicy"]
