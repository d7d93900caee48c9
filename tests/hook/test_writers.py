"""A reader's repository step and every hit's label check (``ecr_cache_tui.hook.writers``)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from ecr_cache_tui.cachekey.inputs import LABEL, InputEntry, Manifest
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import LabelMismatch
from ecr_cache_tui.hook.decision import Outcome
from ecr_cache_tui.hook.flow import run_pre_command
from ecr_cache_tui.hook.log import HookLog
from ecr_cache_tui.hook.writers import LocalLook, remote_for_reader, verify_hit
from ecr_cache_tui.host_records import PendingPush
from tests.fakes import FakeEcr, FakeEngine, FakeHostState
from tests.hook.flowdeps import IMAGE, TAG, ensured, entries, make, with_host

T = TypeVar("T")
HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
NAME = "build-cache/acme/web"
REFERENCE = f"{HOST}/{NAME}:{'ab' * 16}"
COMPUTED = Manifest("ab" * 16, (InputEntry("cache-on", "package.json", "1" * 32),))
PLANTED = Manifest("ab" * 16, (InputEntry("cache-on", "package.json", "2" * 32),))


def reader_ecr(*, exists: bool) -> FakeEcr:
    """An ECR answering only what a reader policy allows; anything else fails the test."""
    ecr = FakeEcr(allow={"DescribeRepositories", "GetAuthorizationToken"})
    if exists:
        ecr.add_repository(NAME)
    return ecr


def step(what: str, action: Callable[[], T]) -> T:
    return action()


def test_a_reader_describes_and_creates_nothing() -> None:
    ecr = reader_ecr(exists=True)
    out = io.StringIO()
    host = remote_for_reader(PluginConfig(ecr_name=NAME), ecr, HookLog(out), step)  # type: ignore[arg-type]
    assert host == (HOST, "123456789012")
    assert ecr.calls == ["DescribeRepositories"]


def test_a_missing_repository_is_a_miss_whose_host_comes_from_the_login() -> None:
    ecr = reader_ecr(exists=False)
    out = io.StringIO()
    host = remote_for_reader(PluginConfig(ecr_name=NAME), ecr, HookLog(out), step)  # type: ignore[arg-type]
    assert host == (HOST, None)
    assert ecr.calls == ["DescribeRepositories", "GetAuthorizationToken"]
    assert "does not exist; this build does not create it" in out.getvalue()


def test_a_missing_repository_behind_registry_hostname_needs_no_login() -> None:
    ecr = reader_ecr(exists=False)
    config = PluginConfig(ecr_name=NAME, registry_hostname="127.0.0.1:5000")
    assert remote_for_reader(config, ecr, HookLog(io.StringIO()), step)[0] == "127.0.0.1:5000"  # type: ignore[arg-type]
    assert ecr.calls == ["DescribeRepositories"]


def test_the_local_look_asks_once_and_keeps_the_labels() -> None:
    engine = FakeEngine(local={REFERENCE}, labels={REFERENCE: {LABEL: "x"}})
    look = LocalLook(engine)
    assert look.has(REFERENCE) and look.labels == {LABEL: "x"} and len(engine.inspected) == 1
    assert not LocalLook(FakeEngine()).has(REFERENCE)


HIT = Outcome(hit=True, source="local")


def _verify(
    labels: dict[str, str] | None, mode: str, outcome: Outcome = HIT
) -> tuple[Outcome, str]:
    out = io.StringIO()
    result, _ = verify_hit(
        outcome,
        labels,
        manifest=COMPUTED,
        reference=REFERENCE,
        mode=mode,
        log=HookLog(out),  # type: ignore[arg-type]
    )
    return result, out.getvalue()


@pytest.mark.parametrize("mode", ["rebuild", "fail", "warn"])
def test_a_matching_label_is_used_quietly(mode: str) -> None:
    assert _verify({LABEL: COMPUTED.to_label()}, mode) == (HIT, "")


def test_rebuild_turns_other_inputs_into_a_miss_naming_tag_and_first_input() -> None:
    outcome, log = _verify({LABEL: PLANTED.to_label()}, "rebuild")
    assert (outcome.hit, outcome.source) == (False, "mismatch")
    first = f"package.json: {'2' * 16} -> {'1' * 16}"
    line = f"{REFERENCE} carries an inputs label for other inputs: {first}"
    assert line in log and "verify-label is rebuild" in log
    assert log.count("\n") == 1


def test_fail_raises_exit_3_in_one_line() -> None:
    with pytest.raises(LabelMismatch) as raised:
        _verify({LABEL: PLANTED.to_label()}, "fail")
    assert raised.value.exit_code == 3
    assert "package.json" in str(raised.value) and "\n" not in str(raised.value)


def test_warn_uses_it_with_one_warning() -> None:
    outcome, log = _verify({LABEL: PLANTED.to_label()}, "warn", Outcome(hit=True, source="pulled"))
    assert outcome.hit and "verify-label is warn: used as it is" in log and log.count("\n") == 1


@pytest.mark.parametrize("mode", ["rebuild", "fail", "warn"])
def test_no_label_is_used_with_one_warning(mode: str) -> None:
    outcome, log = _verify({"maintainer": "x"}, mode)
    assert outcome == HIT and "carries no inputs label" in log and log.count("\n") == 1


def test_an_unreadable_label_is_never_used_silently() -> None:
    outcome, log = _verify({LABEL: '{"tag":1e400'}, "rebuild")
    assert not outcome.hit and "not an inputs manifest" in log


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome(hit=False, source="not-found"),
        Outcome(hit=True, source="registry"),
        Outcome(hit=False, source="forced"),
    ],
)
def test_only_local_and_pulled_hits_are_checked(outcome: Outcome) -> None:
    assert _verify({LABEL: PLANTED.to_label()}, "fail", outcome) == (outcome, "")


# --- through the flow, with the fakes ------------------------------------------------------------


READER = PluginConfig(ecr_name=NAME, push=False)
WRITES = {"DescribeRepositories", "GetAuthorizationToken"}


def test_a_reader_miss_builds_and_pushes_nothing() -> None:
    deps, out, ecr, engine, builder = make()
    result = run_pre_command(READER, Path("/co"), env={}, deps=deps)
    assert result.built and not result.pushed and len(builder.args) == 1
    assert [c for c in engine.calls if c.startswith(("push", "tag"))] == []
    assert set(ecr.calls) <= WRITES, ecr.calls
    log = out.getvalue()
    assert log.count("this build does not write the cache: push is false") == 2  # line, summary
    assert "built, not pushed: this build does not write the cache: push is false" in log


def test_a_reader_never_creates_a_missing_repository() -> None:
    deps, _, ecr, _, _ = make(ecr=FakeEcr())  # no repository
    result = run_pre_command(READER, Path("/co"), env={}, deps=deps)
    assert result.built and "CreateRepository" not in ecr.calls
    assert set(ecr.calls) <= WRITES, ecr.calls


def test_a_reader_owes_no_push_and_pays_none() -> None:
    host = ensured()
    host.pending[f"{IMAGE}:{TAG}"] = PendingPush(f"{IMAGE}:{TAG}", True, 0.0, "refused")
    honest = {LABEL: Manifest(TAG, entries("l2")).to_label()}
    engine = FakeEngine(local={f"{IMAGE}:{TAG}"}, labels={f"{IMAGE}:{TAG}": honest})
    deps, _, _, engine, _ = make(engine=engine)
    result = run_pre_command(READER, Path("/co"), env={}, deps=with_host(deps, host))
    assert result.outcome.hit and not result.owed and engine.calls == []
    host2 = FakeHostState()
    deps, _, _, _, _ = make()
    run_pre_command(READER, Path("/co"), env={}, deps=with_host(deps, host2))
    assert host2.pending == {} and host2.records == {}


def test_a_fork_reads_whatever_push_says() -> None:
    env = {"BUILDKITE_REPO": "git@github.com:acme/web.git", "BUILDKITE_PULL_REQUEST_REPO": "x/y"}
    deps, _, _, engine, _ = make()
    result = run_pre_command(PluginConfig(ecr_name=NAME), Path("/co"), env=env, deps=deps)
    assert not result.pushed and "fork" in result.not_written
    assert [c for c in engine.calls if c.startswith("push")] == []


def test_a_local_image_for_other_inputs_is_rebuilt_and_pushed_over() -> None:
    reference = f"{IMAGE}:{TAG}"
    planted = Manifest(TAG, entries("l1")).to_label()
    engine = FakeEngine(local={reference}, labels={reference: {LABEL: planted}})
    deps, out, _, engine, builder = make(engine=engine)
    result = run_pre_command(PluginConfig(ecr_name=NAME), Path("/co"), env={}, deps=deps)
    assert (result.outcome.source, result.built, result.pushed) == ("mismatch", True, True)
    assert f"push {TAG}" in engine.calls and len(builder.args) == 1
    assert (
        "why: the cached image carries an inputs label for other inputs (lock: " in out.getvalue()
    )


def test_a_pulled_hit_is_checked_from_the_daemon_after_the_pull() -> None:
    reference = f"{IMAGE}:{TAG}"
    planted = Manifest(TAG, entries("l1")).to_label()
    engine = FakeEngine(remote={reference}, labels={reference: {LABEL: planted}})
    deps, _, _, engine, _ = make(engine=engine)
    config = PluginConfig(ecr_name=NAME, verify_label="fail")
    with pytest.raises(LabelMismatch):
        run_pre_command(config, Path("/co"), env={}, deps=deps)
    assert engine.calls == [f"pull {TAG}"]
