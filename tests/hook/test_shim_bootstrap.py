"""The bootstrap for real: a plugin copy, no ``ECR_CACHE_PYTHON``, a real ``python3`` and pip.

Slow (pip installs the runtime lock, from pip's cache or PyPI), so the module builds one
virtualenv, with two jobs started together, and every test reads what that left behind. The
``python3`` on PATH is a wrapper that logs its arguments before running the real interpreter, so
the tests count how many virtualenvs were created and see that a later job runs only ``-V``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hook.pathfarm import command_farm, real_interpreter

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"
# `max-age-days: 0` is bad input: the package, once it runs, exits 2 before any side effect.
BAD_CONFIG = '{"max-age-days": 0}'


@dataclass(frozen=True)
class Run:
    rc: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Bootstrapped:
    plugin: Path
    log: Path
    first: tuple[Run, Run]
    env: dict[str, str]

    def run(self) -> Run:
        return finish(start(self.plugin, self.env))


def real_python() -> str:
    """The base interpreter (not this virtualenv's), as an agent's python3 would be."""
    base = getattr(sys, "_base_executable", sys.executable)
    return os.path.realpath(base)


def copy_plugin(dest: Path) -> Path:
    """What a Buildkite agent's plugin checkout holds: the repository's files, nothing built."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = Path(os.fsdecode(raw))
        source = REPO / rel
        if not source.is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / rel)
    return dest


def start(plugin: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [BASH, "-c", '. "$1"', "bash", str(plugin / "hooks" / "pre-command")],
        cwd=plugin.parent / "checkout",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes]) -> Run:
    stdout, stderr = proc.communicate(timeout=850)
    return Run(proc.returncode, stdout.decode(), stderr.decode())


@pytest.fixture(scope="module")
def bootstrapped(tmp_path_factory: pytest.TempPathFactory) -> Bootstrapped:
    root = tmp_path_factory.mktemp("bootstrap")
    plugin = copy_plugin(root / "plugin")
    (root / "checkout").mkdir()
    bin_dir = root / "bin"
    bin_dir.mkdir()
    log = root / "python3.log"
    # As on the Elastic CI Stack: python3 is 3.9, a newer python3.N beside it. The newer one is
    # this interpreter's base, through a wrapper that logs how it is called.
    (bin_dir / "python3").symlink_to(real_interpreter("3.9"))
    wrapper = bin_dir / f"python3.{sys.version_info.minor}"
    wrapper.write_text(f'#!/bin/bash\nprintf "%s\\n" "$*" >>"{log}"\nexec "{real_python()}" "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECR_CACHE_", "VIRTUAL_ENV"))}
    env.update(
        {
            "PATH": f"{bin_dir}:{command_farm(root / 'farm')}",
            "BUILDKITE_PLUGIN_CONFIGURATION": BAD_CONFIG,
            "BUILDKITE_ORGANIZATION_SLUG": "acme",
            "BUILDKITE_PIPELINE_SLUG": "web",
        }
    )
    jobs = (start(plugin, env), start(plugin, env))
    first = (finish(jobs[0]), finish(jobs[1]))
    return Bootstrapped(plugin, log, first, env)


def venvs(plugin: Path) -> list[Path]:
    return [p for p in plugin.iterdir() if p.name.startswith(".venv-") and p.is_dir()]


def test_two_jobs_started_together_build_one_virtualenv(bootstrapped: Bootstrapped) -> None:
    log = bootstrapped.log.read_text().splitlines()

    assert len([line for line in log if line.startswith("-m venv")]) == 1
    assert len(venvs(bootstrapped.plugin)) == 1
    assert [p.name for p in bootstrapped.plugin.iterdir() if ".tmp." in p.name] == []
    building = [run for run in bootstrapped.first if "building the plugin's Python" in run.stdout]
    assert len(building) == 1


def test_both_jobs_then_ran_the_package_in_it(bootstrapped: Bootstrapped) -> None:
    for run in bootstrapped.first:
        # Bad input, reported by the package itself: the environment imports and runs it.
        assert run.rc == 2, run.stderr
        assert run.stderr.startswith("ecr-cache") or "\necr-cache" in run.stderr
        assert "Traceback" not in run.stderr


def test_the_virtualenv_holds_the_locked_dependencies_and_the_checkouts_package(
    bootstrapped: Bootstrapped,
) -> None:
    [venv] = venvs(bootstrapped.plugin)
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import boto3, botocore, docker, xxhash, yaml, textual, ecr_cache_tui;"
            "print(ecr_cache_tui.__file__)",
        ],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )

    package = Path(os.path.realpath(probe.stdout.strip()))
    assert package == (bootstrapped.plugin / "ecr_cache_tui" / "__init__.py").resolve()
    frozen = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    lock = (bootstrapped.plugin / "requirements.lock").read_text().lower()
    for line in frozen.splitlines():
        if "==" in line:
            assert f"{line.replace('_', '-')} " in lock.replace("_", "-") + " ", line


def test_a_later_job_reuses_it_without_venv_or_pip(bootstrapped: Bootstrapped) -> None:
    [venv] = venvs(bootstrapped.plugin)
    before_lines = len(bootstrapped.log.read_text().splitlines())
    before_mtime = venv.stat().st_mtime_ns

    run = bootstrapped.run()

    assert run.rc == 2
    assert "building" not in run.stdout
    assert bootstrapped.log.read_text().splitlines()[before_lines:] == ["-V"]
    assert venvs(bootstrapped.plugin) == [venv]
    assert venv.stat().st_mtime_ns == before_mtime
