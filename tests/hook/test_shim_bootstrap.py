"""The bootstrap for real: a plugin copy, no ``ECR_CACHE_PYTHON``, real interpreters and pip.

Slow (pip installs the hook's lock, from pip's cache or PyPI), so the module builds one
virtualenv, with two jobs started together, and every test reads what that left behind. The PATH
is the Elastic CI Stack's: ``python3`` is 3.9 and a newer ``python3.N`` beside it is a wrapper
that logs its arguments before running the real interpreter, so the tests count how many
virtualenvs were created and see that a later job runs only ``-V``. HOME is the test's own, so
the shared place (``~/.cache/ecr-cache-tui/venvs``) is too; pip's cache stays the machine's.
The last tests build again with the other installers: ensurepip's pip, and uv.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.checkout import copy_checkout
from tests.hook.hookrun import Agent
from tests.hook.pathfarm import command_farm, real_interpreter
from tests.hook.venvkey import shared_venvs
from tests.services import Services, write_context

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


def pip_cache() -> str:
    """The machine's pip cache (warm), kept while HOME moves to the test's directory."""
    if os.environ.get("PIP_CACHE_DIR"):
        return os.environ["PIP_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "pip")


def uv_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return os.environ.get("UV_CACHE_DIR") or str(Path(base) / "uv")


def job_env(bin_dir: Path, farm: str, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ECR_CACHE_", "VIRTUAL_ENV", "XDG_CACHE_HOME", "PYTHON"))
    }
    env.update(
        {
            "PATH": f"{bin_dir}:{farm}",
            "HOME": str(home),
            "PIP_CACHE_DIR": pip_cache(),
            "UV_CACHE_DIR": uv_cache(),
            "BUILDKITE_PLUGIN_CONFIGURATION": BAD_CONFIG,
            "BUILDKITE_ORGANIZATION_SLUG": "acme",
            "BUILDKITE_PIPELINE_SLUG": "web",
        }
    )
    return env


def logging_wrapper(path: Path, log: Path, real: str) -> Path:
    path.write_text(f'#!/bin/bash\nprintf "%s\\n" "$*" >>"{log}"\nexec "{real}" "$@"\n')
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def bootstrapped(tmp_path_factory: pytest.TempPathFactory) -> Bootstrapped:
    root = tmp_path_factory.mktemp("bootstrap")
    plugin = copy_checkout(root / "plugin")
    (root / "checkout").mkdir()
    (root / "home").mkdir()
    bin_dir = root / "bin"
    bin_dir.mkdir()
    log = root / "python3.log"
    # As on the Elastic CI Stack: python3 is 3.9, a newer python3.N beside it. The newer one is
    # this interpreter's base (which has pip: pip --python installs), through a logging wrapper.
    (bin_dir / "python3").symlink_to(real_interpreter("3.9"))
    logging_wrapper(bin_dir / f"python3.{sys.version_info.minor}", log, real_python())
    env = job_env(bin_dir, command_farm(root / "farm", hide=("uv",)), root / "home")
    jobs = (start(plugin, env), start(plugin, env))
    first = (finish(jobs[0]), finish(jobs[1]))
    return Bootstrapped(plugin, log, first, env)


def venvs(home: Path) -> list[Path]:
    place = shared_venvs(home)
    return (
        [p for p in place.iterdir() if p.is_dir() and "." not in p.name] if place.is_dir() else []
    )


#: A sitecustomize that writes the names in sys.modules to a file when the interpreter exits.
LIST_MODULES = """
import atexit, json, sys
atexit.register(lambda: open({out!r}, "w").write(json.dumps(sorted(sys.modules))))
"""


def installed(venv: Path) -> dict[str, str]:
    """Distribution name -> version, as the virtualenv's own interpreter sees them."""
    listed = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m, json;"
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))",
        ],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )
    return {k.lower().replace("_", "-"): v for k, v in json.loads(listed.stdout).items()}


def locked(lock: Path) -> dict[str, str]:
    """Name -> version of every pin in a pip-compile style lock."""
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", lock.read_text(), re.MULTILINE)
    return {name.lower().replace("_", "-"): version for name, version in pins}


def test_two_jobs_started_together_build_one_virtualenv(bootstrapped: Bootstrapped) -> None:
    log = bootstrapped.log.read_text().splitlines()
    home = Path(bootstrapped.env["HOME"])

    assert len([line for line in log if line.startswith("-I -m venv")]) == 1
    assert len(venvs(home)) == 1
    assert [p.name for p in shared_venvs(home).iterdir() if ".tmp." in p.name] == []
    # Nothing in the plugin's checkout: the virtualenv is in the host's shared place.
    assert [p.name for p in bootstrapped.plugin.iterdir() if p.name.startswith(".venv")] == []
    building = [run for run in bootstrapped.first if "building the plugin's Python" in run.stdout]
    assert len(building) == 1
    assert "installer=pip" in (venvs(home)[0] / ".ecr-cache-complete").read_text()


def test_both_jobs_then_ran_the_package_in_it(bootstrapped: Bootstrapped) -> None:
    for run in bootstrapped.first:
        # Bad input, reported by the package itself: the environment imports and runs it.
        assert run.rc == 2, run.stderr
        assert run.stderr.startswith("ecr-cache") or "\necr-cache" in run.stderr
        assert "Traceback" not in run.stderr


def test_the_virtualenv_holds_exactly_the_hook_lock_and_no_tui(bootstrapped: Bootstrapped) -> None:
    [venv] = venvs(Path(bootstrapped.env["HOME"]))
    have = installed(venv)
    lock = locked(bootstrapped.plugin / "requirements.lock")

    # pip and setuptools are not in it either: pip installed from outside.
    assert have == {name: version for name, version in lock.items() if name != "pywin32"}
    for name in ("textual", "rich", "pygments", "boto3", "s3transfer", "pyyaml", "pip"):
        assert name not in have, name
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import ecr_cache_tui"],
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    # The package is not installed: each checkout runs its own, on its import path.
    assert probe.returncode != 0


def test_a_later_job_reuses_it_without_venv_or_pip(bootstrapped: Bootstrapped) -> None:
    [venv] = venvs(Path(bootstrapped.env["HOME"]))
    before_lines = len(bootstrapped.log.read_text().splitlines())
    before_mtime = venv.stat().st_mtime_ns

    run = bootstrapped.run()

    assert run.rc == 2
    assert "building" not in run.stdout
    assert bootstrapped.log.read_text().splitlines()[before_lines:] == ["-I -V"]
    assert venvs(Path(bootstrapped.env["HOME"])) == [venv]
    assert venv.stat().st_mtime_ns == before_mtime


def test_the_hook_path_runs_in_it_a_miss_then_a_hit(
    bootstrapped: Bootstrapped, services: Services, moto_reset: None, busybox_image: str
) -> None:
    # Another checkout of the plugin (this repository), the same host: it reuses the virtualenv
    # built from the hook lock alone, and runs the whole hook path in it against the services.
    root = Path(bootstrapped.env["HOME"]).parent
    checkout = write_context(
        root / "lean-checkout", f"FROM {busybox_image}\nCOPY a.txt /a.txt\n", {"a.txt": "x\n"}
    )
    modules = root / "modules.json"
    # What the hook path imports: the shim runs the plugin's own virtualenv -I -S (no PYTHON*
    # variables, no site module), so a copy of the plugin whose package lists sys.modules at exit.
    plugin = copy_checkout(root / "spied-plugin")
    init = plugin / "ecr_cache_tui" / "__init__.py"
    init.write_text(init.read_text() + LIST_MODULES.format(out=str(modules)))
    agent = Agent(
        services=services,
        home=Path(bootstrapped.env["HOME"]),
        transcript=[],
        hook=plugin / "hooks" / "pre-command",
    )
    extra = {"ECR_CACHE_PYTHON": "", "PATH": bootstrapped.env["PATH"]}
    config = {
        "cache-on": ["a.txt"],
        "registry-hostname": services.auth_registry,
        "additional-build-args": "--network=host",
    }
    before_lines = len(bootstrapped.log.read_text().splitlines())

    miss = agent.run(checkout, config, "lean", extra)
    imported = json.loads(modules.read_text())
    hit = agent.run(checkout, config, "lean", extra)

    assert miss.rc == 0, miss.output
    assert hit.rc == 0, hit.output
    assert hit.reference == miss.reference
    assert "building the plugin's Python" not in miss.output + hit.output
    assert bootstrapped.log.read_text().splitlines()[before_lines:] == ["-I -V", "-I -V"]
    # What the hook path imported: the lock's packages, nothing of the TUI.
    top = {name.split(".")[0] for name in imported}
    for needed in ("botocore", "docker", "requests", "xxhash", "ecr_cache_tui"):
        assert needed in top, needed
    for never in ("textual", "rich", "boto3", "yaml", "moto", "site"):
        assert never not in top, never


@pytest.mark.parametrize("installer", ["ensurepip", "uv"])
def test_the_other_installers_build_the_same_virtualenv(tmp_path: Path, installer: str) -> None:
    plugin = copy_checkout(tmp_path / "plugin")
    (tmp_path / "checkout").mkdir()
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = real_python()
    if installer == "ensurepip":
        # No pip beside the interpreter (a --without-pip virtualenv's python still has venv and
        # ensurepip): the shim installs pip into the new virtualenv for the install only.
        subprocess.run([python, "-m", "venv", "--without-pip", str(tmp_path / "nopip")], check=True)
        python = str(tmp_path / "nopip" / "bin" / "python")
    else:
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
        if uv is None:
            if os.environ.get("CI") == "true":
                pytest.fail("uv is not installed (requirements-dev.lock has it): CI must have it")
            pytest.skip("uv is not installed here (requirements-dev.lock has it); CI fails instead")
        (bin_dir / "uv").symlink_to(uv)
    logging_wrapper(bin_dir / f"python3.{sys.version_info.minor}", tmp_path / "log", python)
    env = job_env(bin_dir, command_farm(tmp_path / "farm", hide=("uv",)), home)

    run = finish(start(plugin, env))

    assert run.rc == 2, run.stdout + run.stderr
    [venv] = venvs(home)
    assert f"installer={installer}" in (venv / ".ecr-cache-complete").read_text()
    lock = locked(plugin / "requirements.lock")
    assert installed(venv) == {name: version for name, version in lock.items() if name != "pywin32"}


def test_the_cli_in_it_explains_that_yaml_needs_the_tui_extra(
    bootstrapped: Bootstrapped, tmp_path: Path
) -> None:
    [venv] = venvs(Path(bootstrapped.env["HOME"]))
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "pipeline.yml").write_text("dockerfile: Dockerfile\n")
    (tmp_path / "options.json").write_text('{"dockerfile": "Dockerfile"}\n')
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(bootstrapped.plugin), "PYTHONSAFEPATH": "1"}

    def checksum(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                *(str(venv / "bin" / "python"), "-m", "ecr_cache_tui", "checksum"),
                *("--checkout", str(tmp_path), "--platform", "linux/amd64"),
                *("--config-file", str(tmp_path / name)),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    yaml_run = checksum("pipeline.yml")
    json_run = checksum("options.json")

    assert yaml_run.returncode == 2
    assert yaml_run.stderr.count("\n") == 1, yaml_run.stderr
    assert "--config-file" in yaml_run.stderr
    assert "pip install 'ecr_cache_tui[tui]'" in yaml_run.stderr
    assert json_run.returncode == 0, json_run.stderr


@pytest.mark.parametrize(
    ("argv", "extra"), [(["tui"], "[tui]"), (["tui", "--demo"], "[demo]")], ids=["tui", "demo"]
)
def test_the_tui_in_it_says_which_extra_it_needs(
    bootstrapped: Bootstrapped, argv: list[str], extra: str
) -> None:
    [venv] = venvs(Path(bootstrapped.env["HOME"]))
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "ecr_cache_tui", *argv],
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(bootstrapped.plugin),
            "PYTHONSAFEPATH": "1",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "textual" in done.stderr
    assert f"pip install 'ecr_cache_tui{extra}'" in done.stderr
