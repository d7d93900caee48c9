"""Repository, tags and lifecycle policy decisions; the calls against a recording fake."""

from __future__ import annotations

import io
from collections.abc import Mapping

from ecr_cache_tui import lifecycle
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import AccessDenied
from ecr_cache_tui.hook.log import HookLog
from ecr_cache_tui.hook.repository import (
    ensure_policy,
    ensure_repository,
    policy_to_write,
    tags_to_apply,
)
from ecr_cache_tui.model import RegistryAuth, RepositoryInfo

REPO = RepositoryInfo("build-cache/a/b", "arn:r", "1.dkr/build-cache/a/b", "1", None, "MUTABLE")
MAINTAINER = lifecycle.policy_text(90)


class FakeEcr:
    def __init__(
        self,
        *,
        exists: bool = True,
        policy: str | None = None,
        tags: Mapping[str, str] | None = None,
        deny_policy: bool = False,
    ) -> None:
        self.exists = exists
        self.policy = policy
        self.tags = dict(tags or {})
        self.deny_policy = deny_policy
        self.calls: list[str] = []

    def describe_repository(self, name: str) -> RepositoryInfo | None:
        self.calls.append("describe")
        return REPO if self.exists else None

    def create_repository(self, name: str, tags: Mapping[str, str]) -> RepositoryInfo:
        self.calls.append("create")
        self.tags = dict(tags)
        return REPO

    def list_tags(self, arn: str) -> dict[str, str]:
        self.calls.append("list_tags")
        return dict(self.tags)

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        self.calls.append("tag")
        self.tags.update(tags)

    def get_lifecycle_policy(self, name: str) -> str | None:
        self.calls.append("get_policy")
        return self.policy

    def put_lifecycle_policy(self, name: str, text: str) -> None:
        self.calls.append("put_policy")
        if self.deny_policy:
            raise AccessDenied("not allowed")
        self.policy = text

    def authorization(self, registry_id: str | None = None) -> RegistryAuth:
        self.calls.append("auth")
        return RegistryAuth("AWS", "pw", "https://h", None)


def log() -> HookLog:
    return HookLog(io.StringIO())


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
    repo, created = ensure_repository(ecr, PluginConfig(ecr_name="build-cache/a/b"), log())
    assert (repo, created, ecr.calls) == (REPO, False, ["describe"])


def test_missing_repository_is_created_with_its_tags() -> None:
    ecr = FakeEcr(exists=False)
    config = PluginConfig(ecr_name="build-cache/a/b", ecr_tags={"k": "v"})
    _, created = ensure_repository(ecr, config, log())
    assert created and ecr.calls == ["describe", "create"] and ecr.tags == {"k": "v"}


def test_tags_applied_only_when_they_differ() -> None:
    ecr = FakeEcr(tags={"k": "v"})
    ensure_repository(ecr, PluginConfig(ecr_name="x", ecr_tags={"k": "v"}), log())
    assert ecr.calls == ["describe", "list_tags"]
    ensure_repository(ecr, PluginConfig(ecr_name="x", ecr_tags={"k": "w"}), log())
    assert ecr.calls[-1] == "tag" and ecr.tags == {"k": "w"}


def test_new_repository_gets_the_policy_without_reading_it() -> None:
    ecr = FakeEcr()
    ensure_policy(ecr, PluginConfig(ecr_name="x", max_age_days=30), log(), created=True)
    assert ecr.calls == ["put_policy"]


def test_policy_refused_is_a_warning() -> None:
    ecr = FakeEcr(deny_policy=True)
    hook_log = log()
    ensure_policy(ecr, PluginConfig(ecr_name="x"), hook_log, created=False)
    assert ecr.calls == ["get_policy", "put_policy"]
    assert len(hook_log.warnings) == 1 and "lifecycle policy" in hook_log.warnings[0]
