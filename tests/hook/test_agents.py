"""The real hook, sourced as each agent generation runs it (:mod:`tests.agentenv`).

v4 and v3.28+ hand the hook ``BUILDKITE_PLUGIN_CONFIGURATION``; v3.27 and earlier only
``BUILDKITE_PLUGINS`` and the flattened variables. The options must be honoured the same way
(same image, same tag), and a misspelt option refused the same way (exit 2, nothing created).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.agentenv import Generation, hook_environment, plugins_json
from tests.hook.hookrun import HOOK, REPO, Agent, HookRun
from tests.services import Services, write_context

pytestmark = pytest.mark.services

REF = "github.com/buildkite-plugins/ecr-cache-tui-buildkite-plugin#v1.0.0"
DOCKER = {"github.com/buildkite-plugins/docker-buildkite-plugin#v5.12.0": {"image": "x"}}
FORK = "github.com/acme/my-cache-buildkite-plugin#v3"
FORK_DIRECTORY = "github-com-acme-my-cache-buildkite-plugin-v3"


@pytest.fixture
def checkout(tmp_path: Path, busybox_image: str) -> Path:
    files = {"package.json": '{"v": 1}\n', "other.json": "{}\n"}
    return write_context(tmp_path / "checkout", "FROM local/busybox\nCOPY package.json /\n", files)


def options(services: Services) -> dict[str, Any]:
    # Every one changes the image or the tag: ignored, the run would not be a hit on the same.
    return {
        "cache-on": ["package.json", "other.json"],
        "registry-hostname": services.auth_registry,
        "build-args": ["MODE=ci"],
        "additional-build-args": "--network=host",
        "max-age-days": 3,
    }


def run_as(
    agent: Agent,
    generation: Generation,
    checkout: Path,
    pipeline: str,
    plugins: tuple[dict[str, Any], ...],
    *,
    running: int = 0,
    drop_plugins_json: bool = False,
    stray: dict[str, str] | None = None,
) -> HookRun:
    variables = {**hook_environment(generation, plugins, running), **(stray or {})}
    if drop_plugins_json:
        del variables["BUILDKITE_PLUGINS"]
    config = variables.pop("BUILDKITE_PLUGIN_CONFIGURATION", None)
    extra = {**variables, **({"BUILDKITE_PLUGIN_CONFIGURATION": config} if config else {})}
    return agent.run(checkout, None, pipeline, extra)


def fork_checkout(tmp_path: Path) -> Path:
    """The hook, copied where an agent would have cloned a fork named ``my-cache``."""
    hooks = tmp_path / "plugins" / "agent-1" / FORK_DIRECTORY / "hooks"
    hooks.mkdir(parents=True)
    shutil.copy(HOOK, hooks / "pre-command")
    return hooks / "pre-command"


def test_every_generation_honours_the_options_with_the_same_tag(
    agent: Agent, services: Services, checkout: Path, pipeline: str, tmp_path: Path
) -> None:
    config = options(services)
    step = ({REF: config}, DOCKER)
    first = run_as(agent, "v4", checkout, pipeline, step)
    assert first.rc == 0, first.output
    assert "ecr-cache: miss" in first.output
    assert first.image == f"{services.auth_registry}/build-cache/acme/{pipeline}"

    # v3.28: BUILDKITE_PLUGIN_CONFIGURATION too; v3.27: only BUILDKITE_PLUGINS and flattened.
    for generation in ("v3.28", "v3.27"):
        again = run_as(agent, generation, checkout, pipeline, step)
        assert again.rc == 0, again.output
        assert again.exported == first.exported, generation
        assert "ecr-cache: hit (local)" in again.output

    # Only BUILDKITE_PLUGINS: this checkout by its path (the name here is the worktree's).
    for ref in (REF, f"file://{REPO}"):
        only = agent.run(
            checkout, None, pipeline, {"BUILDKITE_PLUGINS": plugins_json([{ref: config}])}
        )
        assert only.rc == 0, only.output
        assert only.exported == first.exported, ref

    # The flattened variables alone, with no plugin name to key on.
    flat = run_as(agent, "v3.27", checkout, pipeline, step, drop_plugins_json=True)
    assert flat.rc == 0, flat.output
    assert flat.exported == first.exported

    # A fork under another name, found by the directory the agent cloned it into.
    agent.hook = fork_checkout(tmp_path)
    fork = run_as(agent, "v3.27", checkout, pipeline, (DOCKER, {FORK: config}), running=1)
    assert fork.rc == 0, fork.output
    assert fork.exported == first.exported


@pytest.mark.parametrize(
    ("generation", "drop_plugins_json", "stray"),
    [
        ("v4", False, False),
        ("v3.28", False, False),
        ("v3.27", False, False),
        ("v3.27", True, False),
        ("v4", False, True),
        ("v3.27", False, True),
    ],
    ids=["v4", "v3.28", "v3.27", "v3.27-flattened-only", "v4-stray", "v3.27-stray"],
)
def test_a_misspelt_option_exits_2_before_anything_happens(
    agent: Agent,
    services: Services,
    checkout: Path,
    pipeline: str,
    ecr_client: Any,
    generation: Generation,
    drop_plugins_json: bool,
    stray: bool,
) -> None:
    # Misspelt in the step (so in every variable the agent derives from it), or, by hand, one
    # flattened variable beside a correct step.
    config = options(services)
    if not stray:
        config["max-age-dayz"] = config.pop("max-age-days")
    run = run_as(
        agent,
        generation,
        checkout,
        pipeline,
        ({REF: config},),
        drop_plugins_json=drop_plugins_json,
        stray={"BUILDKITE_PLUGIN_ECR_CACHE_TUI_MAX_AGE_DAYZ": "3"} if stray else None,
    )
    assert run.rc == 2, run.output
    assert run.output.strip().splitlines() == [
        'ecr-cache: "max-age-dayz" is not an option of this plugin: did you mean "max-age-days"?'
    ]
    assert run.exported == {}
    assert ecr_client.describe_repositories()["repositories"] == []


def test_two_entries_on_an_agent_before_v3_28_exit_2(
    agent: Agent, services: Services, checkout: Path, pipeline: str, ecr_client: Any
) -> None:
    config = options(services)
    step = ({REF: config}, {REF: {**config, "export-env-variable": "OTHER"}})
    run = run_as(agent, "v3.27", checkout, pipeline, step)
    assert run.rc == 2, run.output
    assert (
        run.output.strip()
        .splitlines()[0]
        .startswith("ecr-cache: BUILDKITE_PLUGINS: this plugin is on the step 2 times")
    )
    assert ecr_client.describe_repositories()["repositories"] == []


# -- what the build page is told -------------------------------------------------------------


def recording_agent(tmp_path: Path) -> tuple[str, Path]:
    """A ``buildkite-agent`` on PATH that records each call's argv and body; (PATH, records)."""
    calls = tmp_path / "annotations"
    calls.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "buildkite-agent"
    fake.write_text(
        "#!/bin/bash\n"
        f'd={calls}/$(ls {calls} | wc -l)\nmkdir "$d"\n'
        'printf "%s\\n" "$@" >"$d/argv"\ncat >"$d/body"\n'
    )
    fake.chmod(0o755)
    return f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}", calls


def annotations(calls: Path) -> list[tuple[list[str], str]]:
    found = sorted(calls.iterdir(), key=lambda d: int(d.name))
    return [((d / "argv").read_text().splitlines(), (d / "body").read_text()) for d in found]


def test_the_build_page_hears_of_misses_and_failures_never_of_hits(
    agent: Agent, services: Services, checkout: Path, pipeline: str, tmp_path: Path
) -> None:
    path, calls = recording_agent(tmp_path)
    config = options(services)
    step = {"PATH": path, "BUILDKITE_STEP_KEY": "deps", "BUILDKITE_PARALLEL_JOB_COUNT": "2"}
    first, second = ({**step, "BUILDKITE_PARALLEL_JOB": str(i)} for i in range(2))

    miss = agent.run(checkout, config, pipeline, first)
    assert miss.rc == 0, miss.output
    hit = agent.run(checkout, config, pipeline, second)
    assert hit.rc == 0 and "ecr-cache: hit (local)" in hit.output, hit.output
    ((argv, body),) = annotations(calls)  # the hit added nothing
    assert argv == ["annotate", "--style", "info", "--context", "ecr-cache-deps", "--append"]
    assert body.startswith(f"- **ecr-cache** job 1/2: miss (not-found) {miss.reference}, built")
    assert " in " in body and "Why: " in body and body.endswith("\n")

    # The step's next miss appends to the same annotation; annotate: false adds nothing.
    (checkout / "package.json").write_text('{"v": 2}\n')
    again = agent.run(checkout, config, pipeline, second)
    assert again.rc == 0, again.output
    (checkout / "package.json").write_text('{"v": 3}\n')
    quiet = agent.run(checkout, {**config, "annotate": False}, pipeline, second)
    assert quiet.rc == 0 and "ecr-cache: miss" in quiet.output, quiet.output
    (_, _), (argv, body) = annotations(calls)
    assert argv[-3:] == ["--context", "ecr-cache-deps", "--append"]
    assert body.startswith("- **ecr-cache** job 2/2: miss") and "package.json changed" in body

    # A failed build: the step's failure annotation, in red.
    (checkout / "Dockerfile").write_text("FROM local/busybox\nRUN exit 3\n")
    failed = agent.run(checkout, config, pipeline, first)
    assert failed.rc == 1, failed.output
    *_, (argv, body) = annotations(calls)
    assert argv == [
        "annotate",
        "--style",
        "error",
        "--context",
        "ecr-cache-deps-failed",
        "--append",
    ]
    assert body.startswith("- **ecr-cache** job 1/2: the build failed: ")
