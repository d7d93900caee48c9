"""The flow's orchestration with fakes: AWS calls per hit, order of side effects, failures."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ecr_cache_tui import lifecycle
from ecr_cache_tui.cachekey.inputs import LABEL, InputEntry, Manifest
from ecr_cache_tui.config import BuildArg, PluginConfig, Secret
from ecr_cache_tui.errors import BuildError, ConfigError, RegistryError, TagNotFound
from ecr_cache_tui.hook.decision import RetryPolicy
from ecr_cache_tui.hook.flow import EXPORT_IMAGE, EXPORT_TAG, HookDeps, run_pre_command
from ecr_cache_tui.hook.log import HookLog
from ecr_cache_tui.model import Credentials, ProgressEvent, RegistryAuth, RepositoryInfo

TAG = "ab" * 16
HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
NAME = "build-cache/acme/web"
IMAGE = f"{HOST}/{NAME}"
TOKEN = "secret-ecr-token-value"


class FakeEcr:
    def __init__(self, *, exists: bool = True, policy: str | None = None) -> None:
        self.exists = exists
        self.policy = policy if policy is not None else lifecycle.policy_text(30)
        self.calls: list[str] = []

    def describe_repository(self, name: str) -> RepositoryInfo | None:
        self.calls.append("DescribeRepositories")
        if not self.exists:
            return None
        return RepositoryInfo(name, "arn:x", f"{HOST}/{name}", "123456789012", None, "MUTABLE")

    def create_repository(self, name: str, tags: Mapping[str, str]) -> RepositoryInfo:
        self.calls.append("CreateRepository")
        self.exists = True
        return RepositoryInfo(name, "arn:x", f"{HOST}/{name}", "123456789012", None, "MUTABLE")

    def list_tags(self, arn: str) -> dict[str, str]:
        self.calls.append("ListTagsForResource")
        return {}

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        self.calls.append("TagResource")

    def get_lifecycle_policy(self, name: str) -> str | None:
        self.calls.append("GetLifecyclePolicy")
        return self.policy

    def put_lifecycle_policy(self, name: str, text: str) -> None:
        self.calls.append("PutLifecyclePolicy")
        self.policy = text

    def authorization(self, registry_id: str | None = None) -> RegistryAuth:
        self.calls.append("GetAuthorizationToken")
        return RegistryAuth("AWS", TOKEN, f"https://{HOST}", None)


@dataclass
class FakeEngine:
    local: set[str] = field(default_factory=set)
    remote: set[str] = field(default_factory=set)
    pull_error: Exception | None = None
    push_error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    def platform(self) -> str:
        return "linux/amd64"

    def image_exists(self, reference: str) -> bool:
        return reference in self.local

    def pull(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        platform: str | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        self.calls.append(f"pull {tag}")
        if self.pull_error:
            raise self.pull_error
        if f"{repository}:{tag}" not in self.remote:
            raise TagNotFound(tag)
        self.local.add(f"{repository}:{tag}")

    def tag(self, source: str, repository: str, tag: str) -> None:
        self.calls.append(f"tag {tag}")

    def push(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        self.calls.append(f"push {tag}")
        if self.push_error:
            raise self.push_error
        self.remote.add(f"{repository}:{tag}")


@dataclass
class FakeBuilder:
    buildkit: bool = True
    fail: bool = False
    args: list[list[str]] = field(default_factory=list)

    def has_buildkit(self) -> bool:
        return self.buildkit

    def build(self, args: list[str], *, buildkit: bool, on_line: Callable[[str], None]) -> None:
        self.args.append(args)
        on_line(f"step using {TOKEN}")
        if self.fail:
            raise BuildError("docker build exited with status 1")


@dataclass
class FakeRegistry:
    engine: FakeEngine
    labels: dict[str, str] = field(default_factory=dict)

    def manifest_exists(self, repository: str, reference: str) -> bool:
        return f"{IMAGE}:{reference}" in self.engine.remote

    def image_labels(
        self, repository: str, reference: str, *, platform: str | None = None
    ) -> dict[str, str]:
        if f"{IMAGE}:{reference}" not in self.engine.remote:
            raise TagNotFound(reference)
        return self.labels


@dataclass(frozen=True)
class Checksum:
    manifest: Manifest
    warnings: tuple[str, ...] = ()


def entries(lock: str) -> tuple[InputEntry, ...]:
    return (InputEntry("dockerfile", "Dockerfile", "d1"), InputEntry("cache-on", "lock", lock))


def make(
    *,
    ecr: FakeEcr | None = None,
    engine: FakeEngine | None = None,
    builder: FakeBuilder | None = None,
    labels: dict[str, str] | None = None,
    stored: Credentials | None = None,
) -> tuple[HookDeps, io.StringIO, FakeEcr, FakeEngine, FakeBuilder]:
    ecr = ecr or FakeEcr()
    engine = engine or FakeEngine()
    builder = builder or FakeBuilder()
    out = io.StringIO()
    registry = FakeRegistry(engine, labels or {})
    deps = HookDeps(
        engine=engine,
        builder=builder,
        registry=lambda host, login: registry,
        ecr=ecr,
        stored_login=lambda host, helpers_only: stored,
        checksum=lambda config, checkout, platform: Checksum(Manifest(TAG, entries("l2"))),
        log=HookLog(out),
        clock=lambda: 0.0,
        sleep=lambda s: None,
        retry=RetryPolicy(delays=(0.0, 0.0)),
    )
    return deps, out, ecr, engine, builder


CONFIG = PluginConfig(ecr_name=NAME)


def test_hit_with_the_image_local_costs_two_aws_calls_and_no_token() -> None:
    deps, out, ecr, engine, _ = make(engine=FakeEngine(local={f"{IMAGE}:{TAG}"}))
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)
    assert result.outcome.source == "local"
    assert ecr.calls == ["DescribeRepositories", "GetLifecyclePolicy"]
    assert engine.calls == []
    assert result.exports == (
        ("BUILDKITE_PLUGIN_DOCKER_IMAGE", f"{IMAGE}:{TAG}"),
        (EXPORT_IMAGE, IMAGE),
        (EXPORT_TAG, TAG),
    )
    assert out.getvalue().splitlines()[-1] == f"ecr-cache: hit (local) {IMAGE}:{TAG} in 0.0s"


def test_hit_that_must_pull_costs_three_aws_calls() -> None:
    engine = FakeEngine(remote={f"{IMAGE}:{TAG}"})
    deps, _, ecr, _, _ = make(engine=engine)
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)
    assert result.outcome.hit and result.outcome.source != "local"
    assert ecr.calls == ["DescribeRepositories", "GetLifecyclePolicy", "GetAuthorizationToken"]
    assert engine.calls == [f"pull {TAG}"]


def test_a_credential_helper_for_the_host_saves_the_token_call() -> None:
    deps, _, ecr, engine, _ = make(
        engine=FakeEngine(remote={f"{IMAGE}:{TAG}"}), stored=Credentials("AWS", "from-helper")
    )
    run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)
    assert engine.calls == [f"pull {TAG}"]
    assert "GetAuthorizationToken" not in ecr.calls


def test_miss_says_why_builds_with_cache_from_and_pushes_tag_and_latest() -> None:
    previous = Manifest("cd" * 16, entries("l1")).to_label()
    engine = FakeEngine(remote={f"{IMAGE}:latest"})
    deps, out, _, _, builder = make(engine=engine, labels={LABEL: previous})
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)
    assert (result.outcome.source, result.built, result.pushed) == ("not-found", True, True)
    assert result.why == "lock changed"
    assert engine.calls == ["pull latest", "tag latest", f"push {TAG}", "push latest"]
    assert builder.args[0][builder.args[0].index("--cache-from") + 1] == f"{IMAGE}:latest"
    assert TOKEN not in out.getvalue()


def test_push_failure_is_a_warning_and_the_result_still_exports() -> None:
    engine = FakeEngine(push_error=RegistryError("connection refused"))
    deps, out, _, _, _ = make(engine=engine)
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)
    assert result.built and not result.pushed
    assert "push failed: local image used" in out.getvalue().splitlines()[-1]
    assert len(deps.log.warnings) == 1


def test_build_failure_expands_the_group_and_raises() -> None:
    deps, out, _, _, _ = make(builder=FakeBuilder(fail=True))
    with pytest.raises(BuildError):
        run_pre_command(CONFIG, Path("/co"), env={}, deps=deps)
    assert out.getvalue().splitlines()[-1] == "^^^ +++"


def test_secrets_without_buildkit_fail_before_any_side_effect() -> None:
    config = PluginConfig(ecr_name=NAME, secrets=(Secret("NPM", "id=NPM,env=NPM"),))
    deps, _, ecr, engine, _ = make(builder=FakeBuilder(buildkit=False))
    with pytest.raises(ConfigError, match="secrets"):
        run_pre_command(config, Path("/co"), env={}, deps=deps)
    assert ecr.calls == [] and engine.calls == []


def test_environment_values_are_masked_in_build_output() -> None:
    config = PluginConfig(
        ecr_name=NAME,
        build_args=(BuildArg("NODE_ENV", "env-value-1", from_env=True),),
        unhashed_build_args=(BuildArg("TOKEN", "literal-volatile", from_env=False),),
        secrets=(Secret("NPM", "id=NPM,env=NPM"),),
    )
    deps, out, _, _, builder = make()

    def build(args: list[str], *, buildkit: bool, on_line: Callable[[str], None]) -> None:
        on_line("env-value-1 literal-volatile npm-secret-value")

    builder.build = build  # type: ignore[method-assign]
    run_pre_command(config, Path("/co"), env={"NPM": "npm-secret-value"}, deps=deps)
    text = out.getvalue()
    for value in ("env-value-1", "literal-volatile", "npm-secret-value"):
        assert value not in text


def test_oci_provider_makes_no_aws_call(tmp_path: Path) -> None:
    config = PluginConfig(ecr_name="team/web", registry_provider="oci", registry_hostname="r:5000")
    engine = FakeEngine(local={f"r:5000/team/web:{TAG}"})
    deps, _, ecr, _, _ = make(engine=engine)
    deps = HookDeps(**{**deps.__dict__, "ecr": None})
    result = run_pre_command(config, tmp_path, env={}, deps=deps)
    assert result.reference == f"r:5000/team/web:{TAG}" and ecr.calls == []
