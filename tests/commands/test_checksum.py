"""``ecr-cache checksum`` as a user runs it: ``python -m ecr_cache_tui checksum`` in a subprocess.

Every bad input of issue 3's list gets exit 2 and one stderr line naming the option and the
value; every configuration source gives the tag the engine computes in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.cachekey.checksum import compute
from ecr_cache_tui.config import parse
from tests.config.bad_configs import BAD

SLUGS = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}
CONFIG: dict[str, Any] = {
    "cache-on": ["**/package.json", "package-lock.json", "missing/*.lock"],
    "build-args": ["NODE_ENV", "REGISTRY=internal"],
    "target": "deps",
}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    for name, text in {
        "Dockerfile": "FROM scratch\n",
        "package.json": '{"name": "root"}',
        "package-lock.json": "{}",
        "apps/web/package.json": '{"name": "web"}',
        "settings.json": '{"a": {"b": 1}}',
        "broken.json": "{nope",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run(
    checkout: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "NODE_ENV": "production", **SLUGS}
    return subprocess.run(
        [sys.executable, "-m", "ecr_cache_tui", "checksum", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        env={**base, **(env or {})},
    )


def expected_tag(checkout: Path, raw: dict[str, Any], platform: str = "linux/amd64") -> str:
    env = {"NODE_ENV": "production", **SLUGS}
    return compute(parse(raw, env, checkout), checkout, platform=platform).tag


def test_prints_the_tag_then_the_manifest_and_warnings_on_stderr(checkout: Path) -> None:
    result = run(checkout, "--platform", "linux/amd64", "--config", json.dumps(CONFIG))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == expected_tag(checkout, CONFIG)
    assert lines[1].split()[:2] == ["dockerfile", "Dockerfile"]
    assert any(line.split()[:2] == ["cache-on", "**/package.json"] for line in lines)
    assert "(no match)" in result.stdout
    assert result.stderr.startswith("warning: cache-on 'missing/*.lock' matches nothing")
    assert "production" not in result.stdout + result.stderr


def test_json_output_has_the_tag_and_the_inputs(checkout: Path) -> None:
    result = run(checkout, "--json", "--platform", "linux/arm64", "--config", json.dumps(CONFIG))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["tag"] == expected_tag(checkout, CONFIG, "linux/arm64")
    assert data["version"] == 1
    assert data["algorithm"] == "xxh3-128"
    kinds = [item["kind"] for item in data["inputs"]]
    assert kinds[:4] == ["dockerfile", "context", "target", "platform"]
    (root,) = [i for i in data["inputs"] if i["name"] == "**/package.json"]
    assert [f["path"] for f in root["files"]] == ["apps/web/package.json", "package.json"]


def test_every_configuration_source_gives_the_same_tag(checkout: Path, tmp_path: Path) -> None:
    tag = expected_tag(checkout, CONFIG)
    json_file = tmp_path / "options.json"
    json_file.write_text(json.dumps(CONFIG))
    pipeline = tmp_path / "pipeline.yml"
    pipeline.write_text(
        "steps:\n"
        "  - command: npm test\n"
        "    plugins:\n"
        "      - acme/ecr-cache#v1.0.0:\n"
        "          cache-on: ['**/package.json', package-lock.json, 'missing/*.lock']\n"
        "          build-args: [NODE_ENV, REGISTRY=internal]\n"
        "          target: deps\n"
        "      - docker#v5.12.0: {volumes: [/workdir/node_modules]}\n"
    )
    flattened = {"BUILDKITE_PLUGIN_NAME": "ECR_CACHE", "BUILDKITE_PLUGIN_ECR_CACHE_TARGET": "deps"}
    for i, item in enumerate(CONFIG["cache-on"]):
        flattened[f"BUILDKITE_PLUGIN_ECR_CACHE_CACHE_ON_{i}"] = item
    for i, item in enumerate(CONFIG["build-args"]):
        flattened[f"BUILDKITE_PLUGIN_ECR_CACHE_BUILD_ARGS_{i}"] = item
    runs = [
        run(checkout, "--platform", "linux/amd64", "--config", json.dumps(CONFIG)),
        run(checkout, "--platform", "linux/amd64", "--config-file", str(json_file)),
        run(checkout, "--platform", "linux/amd64", "--config-file", str(pipeline)),
        run(
            checkout,
            "--platform",
            "linux/amd64",
            env={"BUILDKITE_PLUGIN_CONFIGURATION": json.dumps(CONFIG)},
        ),
        run(checkout, "--platform", "linux/amd64", env=flattened),
        run(
            tmp_path,
            "--platform",
            "linux/amd64",
            "--checkout",
            str(checkout),
            "--config",
            json.dumps(CONFIG),
        ),
        run(checkout, "--config", json.dumps({**CONFIG, "platform": "linux/amd64"})),
    ]
    for result in runs:
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0] == tag
    # ... and the platform option is hashed like --platform.
    assert runs[-1].stdout.splitlines()[0] == tag


def test_works_outside_a_buildkite_job(checkout: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ecr_cache_tui", "checksum", "--platform", "linux/amd64"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()[0]) == 32


@pytest.mark.parametrize(
    ("config", "env", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_input_is_one_line_exit_2_naming_option_and_value(
    checkout: Path, config: Any, env: dict[str, str], expected: tuple[str, ...]
) -> None:
    result = run(checkout, "--platform", "linux/amd64", "--config", json.dumps(config), env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    for text in expected:
        assert text in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--config", "{oops"], {}, ("--config", "not valid JSON")),
        (["--platform", "amd64"], {}, ("--platform", '"amd64"')),
        (["--checkout", "/nonexistent/dir"], {}, ("--checkout", "/nonexistent/dir")),
        (["--config-file", "/nonexistent.yml"], {}, ("--config-file", "/nonexistent.yml")),
        (
            ["--platform", "linux/amd64"],
            {"BUILDKITE_PLUGIN_CONFIGURATION": "{oops"},
            ("BUILDKITE_PLUGIN_CONFIGURATION", "not valid JSON"),
        ),
        (["--config", "{}", "--config-file", "x.yml"], {}, ("not allowed with",)),
    ],
)
def test_bad_arguments_are_one_line_exit_2(
    checkout: Path, args: list[str], env: dict[str, str], expected: tuple[str, ...]
) -> None:
    result = run(checkout, *args, env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    for text in expected:
        assert text in result.stderr


def test_no_daemon_and_no_platform_is_exit_4(checkout: Path, tmp_path: Path) -> None:
    result = run(
        checkout, "--config", "{}", env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    )
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1
    assert "Docker daemon" in result.stderr


def test_without_platform_the_docker_daemons_own_is_hashed(
    checkout: Path, services: Any, docker_client: Any
) -> None:
    version = docker_client.version()
    platform = f"{version['Os']}/{version['Arch']}"
    result = run(checkout, "--json", "--config", "{}", env={"DOCKER_HOST": services.docker_host})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (entry,) = [i for i in data["inputs"] if i["kind"] == "platform"]
    assert entry["name"] == platform
    assert data["tag"] == expected_tag(checkout, {}, platform)
