"""Which interpreter the shim picks, with PATHs made of real interpreters of several versions.

pyenv on these machines holds real interpreters from 3.6 on; each test puts a few of them on a
PATH of its own under the names an agent has (``python3``, ``python3.11`` …), through a small
wrapper that logs every call before it ``exec``\\ s the real one. The virtualenvs the shim would
build are made beforehand (a fake package in place of the real one, at the place and key the shim
derives), so a test sees which one the shim chose and how many interpreter processes it started;
``test_shim_bootstrap.py`` builds a real one from a PATH whose ``python3`` is 3.9.

A Python version missing here is a skip that says so; in CI (``CI=true``) it is a failure.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hook.pathfarm import command_farm, real_interpreter
from tests.hook.venvkey import hook_venv, venv_key

REPO = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"

FAKE_PACKAGE = r"""#!/bin/bash
# A prebuilt virtualenv's python playing the package: exports which virtualenv ran.
out=
while (($#)); do [[ $1 == --export-file ]] && out=$2; shift; done
printf 'CHOSEN_VENV\0%s\0' "${0%/bin/python}" >"$out"
"""


@dataclass(frozen=True)
class Agent:
    """A plugin checkout, a HOME, and a PATH of chosen interpreters (and the usual commands)."""

    root: Path
    plugin: Path
    bin: Path
    farm: str

    @property
    def log(self) -> Path:
        return self.root / "python.log"

    def put(self, name: str, minor: str, *, without_ensurepip: bool = False) -> Path:
        """``name`` on PATH: a logging wrapper around the real ``python<minor>``."""
        real = real_interpreter(minor)
        hide = ""
        if without_ensurepip:
            # As on Debian without python3.N-venv: the shim's probe (`import venv, ensurepip`)
            # fails. (A shadowing PYTHONPATH would not do: the shim runs every interpreter -I.)
            hide = (
                'case "$*" in *"import venv, ensurepip"*)\n'
                "  echo \"ModuleNotFoundError: No module named 'ensurepip'\" >&2; exit 1 ;;\nesac\n"
            )
        wrapper = self.bin / name
        log = f'printf "%s %s\\n" "{name}" "$*" >>"{self.log}"\n'
        wrapper.write_text(f'#!/bin/bash\n{log}{hide}exec "{real}" "$@"\n')
        wrapper.chmod(0o755)
        return wrapper

    def prebuild(self, name: str) -> Path:
        """The virtualenv the shim would build with ``name``, made now (a fake package inside)."""
        wrapper = self.bin / name
        version = subprocess.run([str(wrapper), "-V"], capture_output=True, text=True, check=True)
        venv = hook_venv(
            self.plugin,
            self.root / "home",
            venv_key(version.stdout.split()[1], str(wrapper), self.plugin / "requirements.lock"),
        )
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "python").write_text(FAKE_PACKAGE)
        (venv / "bin" / "python").chmod(0o755)
        (venv / ".ecr-cache-complete").write_text("test\n")
        self.log.unlink(missing_ok=True)
        return venv

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def run(self) -> tuple[int, str, str]:
        """Source the hook as the agent does; its status, what it exported, its stderr."""
        out = self.root / "chosen"
        out.unlink(missing_ok=True)
        script = '. "$1"; rc=$?; printf "%s" "${CHOSEN_VENV:-}" >"$2"; exit "$rc"'
        done = subprocess.run(
            [BASH, "-c", script, "bash", str(self.plugin / "hooks" / "pre-command"), str(out)],
            cwd=self.root / "checkout",
            env={"PATH": f"{self.bin}:{self.farm}", "HOME": str(self.root / "home")},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.returncode, out.read_text() if out.exists() else "", done.stderr


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> str:
    return command_farm(tmp_path_factory.mktemp("farm"))


@pytest.fixture
def agent(tmp_path: Path, farm: str) -> Agent:
    plugin = tmp_path / "plugin"
    (plugin / "hooks").mkdir(parents=True)
    shutil.copy2(REPO / "hooks" / "pre-command", plugin / "hooks" / "pre-command")
    shutil.copy2(REPO / "requirements.lock", plugin / "requirements.lock")
    for name in ("checkout", "home", "bin"):
        (tmp_path / name).mkdir()
    return Agent(tmp_path, plugin, tmp_path / "bin", farm)


def test_python3_3_9_with_python3_11_beside_it_runs_with_3_11(agent: Agent) -> None:
    # The Elastic CI Stack (Amazon Linux 2023), and macOS with a newer Python installed.
    agent.put("python3", "3.9")
    agent.put("python3.11", "3.11")
    venv = agent.prebuild("python3.11")

    rc, chosen, stderr = agent.run()

    assert rc == 0, stderr
    assert chosen == str(venv)
    # The fast path: one interpreter process, `-V`; the 3.9 python3 is never started.
    assert agent.calls() == ["python3.11 -I -V"]


def test_the_newest_python3_n_on_path_is_chosen(agent: Agent) -> None:
    agent.put("python3", "3.11")
    for minor in ("3.10", "3.12", "3.13"):
        agent.put(f"python{minor}", minor)
    venvs = {name: agent.prebuild(name) for name in ("python3", "python3.10", "python3.13")}

    rc, chosen, stderr = agent.run()

    assert rc == 0, stderr
    assert chosen == str(venvs["python3.13"])
    assert agent.calls() == ["python3.13 -I -V"]


def test_python3_is_the_last_resort(agent: Agent) -> None:
    agent.put("python3", "3.12")
    venv = agent.prebuild("python3")

    rc, chosen, stderr = agent.run()

    assert rc == 0, stderr
    assert chosen == str(venv)
    assert agent.calls() == ["python3 -I -V"]


def test_a_versioned_name_that_is_older_than_its_name_is_passed_over(agent: Agent) -> None:
    agent.put("python3.12", "3.9")  # a misnamed link: the version it reports is what counts
    agent.put("python3", "3.10")
    venv = agent.prebuild("python3")

    rc, chosen, stderr = agent.run()

    assert rc == 0, stderr
    assert chosen == str(venv)
    assert agent.calls() == ["python3.12 -I -V", "python3 -I -V"]


def test_one_without_venv_is_passed_over_when_a_virtualenv_must_be_built(agent: Agent) -> None:
    agent.put("python3.13", "3.13", without_ensurepip=True)
    agent.put("python3.12", "3.12")
    venv = agent.prebuild("python3.12")

    rc, chosen, stderr = agent.run()

    assert rc == 0, stderr
    assert chosen == str(venv)
    # Probed only because its virtualenv did not exist yet; the one chosen is only asked -V.
    calls = agent.calls()
    assert calls[0] == "python3.13 -I -V"
    assert calls[1].startswith("python3.13 -I -c ")
    assert calls[2:] == ["python3.12 -I -V"]


def test_with_no_usable_python_exit_5_says_what_was_found_and_what_to_install(
    agent: Agent,
) -> None:
    three_nine = agent.put("python3", "3.9")
    no_venv = agent.put("python3.13", "3.13", without_ensurepip=True)

    rc, chosen, stderr = agent.run()

    assert rc == 5
    assert chosen == ""
    [line, group] = stderr.splitlines()
    assert group == "^^^ +++"
    assert f"{three_nine} is 3.9." in line
    assert "(older than 3.10)" in line
    assert f"{no_venv} is 3.13." in line
    assert "apt-get install python3.13-venv" in line
    assert "dnf install python3.12" in line
    assert "ECR_CACHE_PYTHON" in line
    # Nothing was built, nothing left behind.
    assert list((agent.root / "home").iterdir()) == []
    assert sorted(p.name for p in agent.plugin.iterdir()) == ["hooks", "requirements.lock"]


def test_discovery_leaves_nothing_behind_in_the_job_shell(agent: Agent) -> None:
    agent.put("python3", "3.9")
    agent.put("python3.11", "3.11")
    agent.prebuild("python3.11")
    script = (
        'set -eu; . "$1"; printf "%s\\n" "$-" "$(compgen -v | grep -c "^__ecr" || true)" '
        '"$(declare -F | grep -c __ecr || true)" "$CHOSEN_VENV"'
    )

    done = subprocess.run(
        [BASH, "-c", script, "bash", str(agent.plugin / "hooks" / "pre-command")],
        cwd=agent.root / "checkout",
        env={"PATH": f"{agent.bin}:{agent.farm}", "HOME": str(agent.root / "home")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    flags, variables, functions, chosen = done.stdout.splitlines()
    assert "e" in flags
    assert "u" in flags
    assert variables == "0"
    assert functions == "0"
    assert chosen.startswith(str(agent.root / "home"))
