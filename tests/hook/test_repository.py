"""Repository, tags and lifecycle policy decisions; the calls against a recording fake."""

from __future__ import annotations

from ecr_cache_tui import lifecycle
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import AccessDenied
from ecr_cache_tui.hook.repository import (
    ensure_policy,
    ensure_repository,
    policy_to_write,
    tags_to_apply,
)
from tests.fakes import FakeEcr, FakeLog

MAINTAINER = lifecycle.policy_text(90)


def test_tags_to_apply_keeps_values_exactly_and_ignores_extra_tags() -> None:
    assert tags_to_apply({"team": "web", "other": "x"}, {"team": "web"}) == {}
    assert tags_to_apply({"Team": "web"}, {"team": " Web "}) == {"team": " Web "}


def test_policy_written_where_there_is_none() -> None:
    assert policy_to_write(None, 30, explicit=False) == lifecycle.policy_text(30)


def test_maintainer_policy_survives_when_max_age_is_not_explicit() -> None:
    assert policy_to_write(MAINTAINER, 30, explicit=False) is None
    assert policy_to_write('{"rules": []}', 30, explicit=False) is None


def test_explicit_max_age_is_enforced_only_when_different() -> None:
    assert policy_to_write(MAINTAINER, 14, explicit=True) == lifecycle.policy_text(14)
    assert policy_to_write(lifecycle.policy_text(14), 14, explicit=True) is None


def test_existing_repository_without_tags_is_one_call() -> None:
    ecr = FakeEcr()
    existing = ecr.add_repository("build-cache/a/b")
    repo, created = ensure_repository(ecr, PluginConfig(ecr_name="build-cache/a/b"), FakeLog())
    assert (repo, created, ecr.calls) == (existing, False, ["DescribeRepositories"])


def test_missing_repository_is_created_with_its_tags() -> None:
    ecr = FakeEcr()
    config = PluginConfig(ecr_name="build-cache/a/b", ecr_tags={"k": "v"})
    _, created = ensure_repository(ecr, config, FakeLog())
    assert created and ecr.calls == ["DescribeRepositories", "CreateRepository"]
    assert ecr.tags_of("build-cache/a/b") == {"k": "v"}


def test_tags_applied_only_when_they_differ() -> None:
    ecr = FakeEcr()
    ecr.add_repository("x", tags={"k": "v"})
    ensure_repository(ecr, PluginConfig(ecr_name="x", ecr_tags={"k": "v"}), FakeLog())
    assert ecr.calls == ["DescribeRepositories", "ListTagsForResource"]
    ensure_repository(ecr, PluginConfig(ecr_name="x", ecr_tags={"k": "w"}), FakeLog())
    assert ecr.calls[-1] == "TagResource" and ecr.tags_of("x") == {"k": "w"}


def test_new_repository_gets_the_policy_without_reading_it() -> None:
    ecr = FakeEcr()
    ecr.add_repository("x")
    ensure_policy(ecr, PluginConfig(ecr_name="x", max_age_days=30), FakeLog(), created=True)
    assert ecr.calls == ["PutLifecyclePolicy"]


def test_policy_refused_is_a_warning() -> None:
    ecr = FakeEcr()
    ecr.add_repository("x")
    ecr.fail("PutLifecyclePolicy", AccessDenied("not allowed"))
    hook_log = FakeLog()
    ensure_policy(ecr, PluginConfig(ecr_name="x"), hook_log, created=False)
    assert ecr.calls == ["GetLifecyclePolicy", "PutLifecyclePolicy"]
    assert len(hook_log.warnings) == 1 and "lifecycle policy" in hook_log.warnings[0]
