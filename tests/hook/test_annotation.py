"""What the build page is told: a miss or a failure, one annotation per step, never a hit.

The flow with fakes and a recording annotator; the adapter with a real ``buildkite-agent``
stand-in (a script on PATH) that records, fails or hangs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ecr_cache_tui.adapters.buildkite import TIMEOUT, Buildkite
from ecr_cache_tui.errors import AccessDenied, BuildError
from ecr_cache_tui.hook import annotation
from ecr_cache_tui.hook.annotation import job_label, step_context
from ecr_cache_tui.hook.flow import run_pre_command
from ecr_cache_tui.hook.types import HookDeps
from tests.fakes import FakeAnnotator, FakeBuilder, FakeEngine
from tests.hook.flowdeps import CONFIG, IMAGE, TAG, ecr_with_repository, make


def job(deps: HookDeps, recorder: FakeAnnotator, label: str = "job 1/2") -> HookDeps:
    return deps._replace(
        annotator=recorder, annotation_context="ecr-cache-build", annotation_job=label
    )


# -- the flow --------------------------------------------------------------------------------


def test_a_hit_is_never_annotated() -> None:
    recorder = FakeAnnotator()
    for engine in (FakeEngine(local={f"{IMAGE}:{TAG}"}), FakeEngine(remote={f"{IMAGE}:{TAG}"})):
        deps, *_ = make(engine=engine)
        assert run_pre_command(CONFIG, Path("/co"), env={}, deps=job(deps, recorder)).outcome.hit
    assert recorder.calls == []


def test_a_miss_appends_one_line_saying_why_and_how_long_to_the_steps_annotation() -> None:
    recorder = FakeAnnotator()
    for label in ("job 1/2", "job 2/2"):
        deps, *_ = make()
        run_pre_command(CONFIG, Path("/co"), env={}, deps=job(deps, recorder, label))
    (first, style, context, append), second = recorder.calls
    assert (style, context, append) == ("info", "ecr-cache-build", True)
    assert first == (
        f"- **ecr-cache** job 1/2: miss (not-found) {IMAGE}:{TAG}, built and pushed in 0.0s. "
        "Why: no previous image to compare with (TagNotFound)\n"
    )
    assert second[0].startswith("- **ecr-cache** job 2/2: miss")
    assert second[1:] == (style, context, append)


def test_a_miss_lists_its_warnings_under_its_line() -> None:
    recorder = FakeAnnotator()
    deps, *_ = make(engine=FakeEngine(push_error=AccessDenied("push denied\nby policy")))
    run_pre_command(CONFIG, Path("/co"), env={}, deps=job(deps, recorder))
    ((body, style, _, _),) = recorder.calls
    assert style == "info"
    first, warning = body.splitlines()
    assert "push failed: local image used" in first
    assert warning.startswith("  - ⚠️ push of") and "push denied by policy" in warning


def test_a_failed_build_is_annotated_in_the_steps_failure_annotation() -> None:
    recorder = FakeAnnotator()
    deps, *_ = make(builder=FakeBuilder(fail=True))
    with pytest.raises(BuildError):
        run_pre_command(CONFIG, Path("/co"), env={}, deps=job(deps, recorder))
    assert recorder.calls == [
        (
            "- **ecr-cache** job 1/2: the build failed: docker build exited with status 1\n",
            "error",
            "ecr-cache-build-failed",
            True,
        )
    ]


def test_an_aws_failure_is_annotated_and_still_raised() -> None:
    denied = ecr_with_repository()
    denied.fail("DescribeRepositories", AccessDenied("ecr:DescribeRepositories denied"))
    recorder = FakeAnnotator()
    deps, *_ = make(ecr=denied)
    with pytest.raises(AccessDenied):
        run_pre_command(CONFIG, Path("/co"), env={}, deps=job(deps, recorder))
    ((body, style, context, _),) = recorder.calls
    assert (style, context) == ("error", "ecr-cache-build-failed")
    assert "AWS or the registry failed: ecr:DescribeRepositories denied" in body


def test_annotate_false_never_annotates() -> None:
    recorder = FakeAnnotator()
    quiet = CONFIG._replace(annotate=False)
    deps, *_ = make()
    run_pre_command(quiet, Path("/co"), env={}, deps=job(deps, recorder))
    deps, *_ = make(builder=FakeBuilder(fail=True))
    with pytest.raises(BuildError):
        run_pre_command(quiet, Path("/co"), env={}, deps=job(deps, recorder))
    assert recorder.calls == []


def test_an_annotation_that_fails_is_one_log_line_and_the_job_goes_on() -> None:
    recorder = FakeAnnotator(problem="buildkite-agent annotate took longer than 5s")
    deps, out, *_ = make()
    result = run_pre_command(CONFIG, Path("/co"), env={}, deps=job(deps, recorder))
    assert result.built and result.pushed
    assert "ecr-cache: annotation skipped: buildkite-agent annotate took longer than 5s\n" in (
        out.getvalue()
    )


def test_the_annotation_never_shows_a_secret() -> None:
    recorder = FakeAnnotator()
    deps, *_ = make(builder=FakeBuilder(fail=True))
    deps.log.redactor.add("hunter2-secret")
    exploding = FakeBuilder(fail=True, message="cannot run docker: hunter2-secret")
    failing = deps._replace(builder=exploding)
    with pytest.raises(BuildError):
        run_pre_command(CONFIG, Path("/co"), env={}, deps=job(failing, recorder))
    assert "hunter2-secret" not in recorder.calls[0][0]


# -- one context per step --------------------------------------------------------------------


def test_the_context_is_the_steps_key_else_its_id_else_the_job() -> None:
    env = {"BUILDKITE_STEP_KEY": "deps", "BUILDKITE_STEP_ID": "0190-s", "BUILDKITE_JOB_ID": "j"}
    assert step_context(env) == "ecr-cache-deps"
    assert step_context({**env, "BUILDKITE_STEP_KEY": ""}) == "ecr-cache-0190-s"
    assert step_context({"BUILDKITE_JOB_ID": "j"}) == "ecr-cache-j"
    assert step_context({}) == "ecr-cache-job"


def test_a_long_step_key_fits_the_agents_limit_and_stays_distinct() -> None:
    a = step_context({"BUILDKITE_STEP_KEY": "k" * 150 + "a"})
    b = step_context({"BUILDKITE_STEP_KEY": "k" * 150 + "b"})
    assert a != b
    assert len(a + "-failed") <= 100 and len(b + "-failed") <= 100


def test_a_line_names_its_job_and_links_to_it() -> None:
    env = {"BUILDKITE_PARALLEL_JOB": "3", "BUILDKITE_PARALLEL_JOB_COUNT": "50"}
    assert job_label(env) == "job 4/50"
    assert job_label({}) == "job"
    linked = {
        **env,
        "BUILDKITE_BUILD_URL": "https://buildkite.com/a/b/builds/7",
        "BUILDKITE_JOB_ID": "01j",
    }
    assert job_label(linked) == "[job 4/50](https://buildkite.com/a/b/builds/7#01j)"
    labelled = {**linked, "BUILDKITE_LABEL": ":docker: Tests\n(web)"}
    assert job_label(labelled) == (
        ":docker: Tests (web), [job 4/50](https://buildkite.com/a/b/builds/7#01j)"
    )


# -- the adapter, with a real process on PATH -----------------------------------------------


def agent_on_path(tmp_path: Path, script: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "buildkite-agent"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}


def test_the_body_goes_through_stdin_with_append(tmp_path: Path) -> None:
    env = agent_on_path(tmp_path, f'printf "%s|" "$@" >{tmp_path}/argv\ncat >{tmp_path}/body\n')
    body = "- **ecr-cache** miss `x` $(not run)\n" + "y" * 300_000
    assert Buildkite(env).annotate(body, style="info", context="ecr-cache-s", append=True) is None
    assert (
        tmp_path / "argv"
    ).read_text() == "annotate|--style|info|--context|ecr-cache-s|--append|"
    assert (tmp_path / "body").read_text() == body


def test_a_failing_agent_is_reported_as_text(tmp_path: Path) -> None:
    env = agent_on_path(
        tmp_path, 'echo "fatal: missing BUILDKITE_AGENT_ACCESS_TOKEN" >&2\nexit 1\n'
    )
    problem = Buildkite(env).annotate("x", style="info", context="c")
    assert problem == (
        "buildkite-agent annotate exited 1: fatal: missing BUILDKITE_AGENT_ACCESS_TOKEN"
    )


def test_a_hanging_agent_is_killed_after_the_timeout(tmp_path: Path) -> None:
    env = agent_on_path(tmp_path, "exec sleep 300\n")
    started = time.monotonic()
    problem = Buildkite(env, timeout=0.5).annotate("x", style="info", context="c")
    assert problem == "buildkite-agent annotate took longer than 0.5s"
    assert time.monotonic() - started < 60  # not the 300 s the agent would have taken
    assert TIMEOUT <= 5


def test_no_agent_on_path_is_no_annotation(tmp_path: Path) -> None:
    buildkite = Buildkite({"PATH": str(tmp_path)})
    assert not buildkite.available
    assert buildkite.annotate("x", style="info", context="c") is None


HOSTILE = (
    "pkg\x1b]0;PWNED\x1b\\ <img src=x onerror=alert(1)> [x](http://evil) ![i](j) **b** www.evil.com"
)


def test_text_from_a_label_is_inert_in_the_annotation() -> None:
    line = annotation.miss_line("job", "miss", f"{HOSTILE} changed", [f"warning {HOSTILE}"])
    for raw in ("\x1b", "<img", "[x](", "![i](", "**b**", "http://", "www.evil"):
        assert raw not in line, raw
    assert "&lt;img src=x onerror=alert(1)&gt;" in line  # shown, as text
    assert line.count("\n") == 2  # the line and its one warning


def test_an_error_from_a_registry_is_inert_in_the_failure_line() -> None:
    line = annotation.failure_line("job", "AWS or the registry failed", HOSTILE)
    assert "<img" not in line and "[x](" not in line and "\x1b" not in line
