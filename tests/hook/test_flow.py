"""The flow's orchestration with fakes: AWS calls per hit, order of side effects, failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ecr_cache_tui.cachekey.inputs import LABEL, Manifest
from ecr_cache_tui.config import BuildArg, PluginConfig, Secret
from ecr_cache_tui.config.variables import EXPORT_IMAGE, EXPORT_TAG
from ecr_cache_tui.errors import BuildError, ConfigError, RegistryError
from ecr_cache_tui.hook.flow import run_pre_command
from ecr_cache_tui.model import Credentials
from tests.fakes import TOKEN, FakeBuilder, FakeEngine
from tests.hook.flowdeps import CONFIG, IMAGE, NAME, TAG, entries, make


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
    deps = deps._replace(ecr=None)
    result = run_pre_command(config, tmp_path, env={}, deps=deps)
    assert result.reference == f"r:5000/team/web:{TAG}" and ecr.calls == []


def test_a_miss_names_the_copied_sources_the_key_misses_in_one_group(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY lock src/ /app/\n")
    (tmp_path / "lock").write_text("l")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a")
    deps, out, *_ = make()
    run_pre_command(CONFIG, tmp_path, env={}, deps=deps)
    text = out.getvalue()
    group = text[text.index("~~~ :docker: ecr-cache: 2 COPY/ADD sources not in the key") :]
    assert group.splitlines()[1:3] == [
        "COPY lock src/ /app/ (Dockerfile:2): lock goes into the image but not into the key; the "
        "cached image will not change when it does. Add it to cache-on, or set "
        "cache-on-copied: true.",
        "COPY lock src/ /app/ (Dockerfile:2): src/ goes into the image but not into the key; the "
        "cached image will not change when it does. Add it to cache-on, or set "
        "cache-on-copied: true.",
    ]
    assert deps.log.warnings == []  # so never in the annotation


def test_a_hit_never_reads_the_context(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY src/ /app/\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a")  # uncovered: a miss would name it
    deps, out, *_ = make(engine=FakeEngine(local={f"{IMAGE}:{TAG}"}))
    run_pre_command(CONFIG, tmp_path, env={}, deps=deps)
    assert "not in the key" not in out.getvalue()
