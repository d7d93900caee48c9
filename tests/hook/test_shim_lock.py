"""The shim's virtualenv bootstrap and its lock, run for real with a fake ``python3``.

The fake plays ``python3 -V``, ``python3 -m venv DIR`` (a directory with a fake ``bin/python``)
and ``pip install`` (logged, slow enough for jobs to overlap), so the locking, the atomic rename,
the reuse and the recovery paths of the real ``hooks/pre-command`` run in seconds. Both lock
flavours are exercised: ``flock`` and, with ``flock`` hidden from PATH, the mkdir lock.
``test_shim_bootstrap.py`` does the same with the real Python and pip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hook.pathfarm import command_farm

REPO = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"
FAKE_VERSION = "Python 3.12.1"

FAKE_PYTHON3 = r"""#!/bin/bash
# Plays python3 for the shim's bootstrap.
printf 'python3 %s\n' "$*" >>"$FAKE_LOG"
case $1 in
  -V) echo "$FAKE_VERSION" ;;
  -c) [[ -z ${FAKE_NO_VENV_MODULE:-} ]] || exit 1 ;;
  -m)
    [[ $2 == venv ]] || exit 9
    dir=${!#}
    mkdir -p "$dir/bin" || exit 9
    cp -- "$FAKE_VENV_PYTHON" "$dir/bin/python"
    [[ -n ${FAKE_VENV_FAIL:-} ]] && exit 1
    ;;
  *) exit 9 ;;
esac
exit 0
"""

FAKE_VENV_PYTHON = r"""#!/bin/bash
# Plays a virtualenv's python: pip, the two one-liners the shim runs, and the package.
if [[ $1 == -m && $2 == pip ]]; then
  printf 'pip %s\n' "$*" >>"$FAKE_LOG"
  sleep "${FAKE_PIP_SECONDS:-1}"
  exit "${FAKE_PIP_RC:-0}"
elif [[ $1 == -m && $2 == ecr_cache_tui ]]; then
  printf 'VENV_PYTHON\0%s\0' "$0" >"${!#}"
  exit 0
elif [[ $1 == -c && $2 == *sysconfig* ]]; then
  site=$(cd -P -- "${0%/*}/.." && pwd)/lib/site-packages
  mkdir -p -- "$site" && echo "$site"
elif [[ $1 == -c ]]; then
  exec "$REAL_PYTHON" "$@"
else
  exit 9
fi
"""


@dataclass(frozen=True)
class Run:
    rc: int
    stdout: str
    stderr: str
    venv_python: str


@dataclass(frozen=True)
class Job:
    proc: subprocess.Popen[bytes]
    out: Path

    def finish(self) -> Run:
        stdout, stderr = self.proc.communicate(timeout=120)
        return Run(self.proc.returncode, stdout.decode(), stderr.decode(), self.out.read_text())


@dataclass(frozen=True)
class Plugin:
    """A plugin checkout holding just what the bootstrap reads, and a way to start jobs in it."""

    root: Path
    fakes: Path
    path_with_flock: str
    path_without_flock: str

    def start(self, *, flock: bool = True, **extra: str) -> Job:
        """Source the hook in a new bash, as a job would; it reports the Python it ran."""
        search = self.path_with_flock if flock else self.path_without_flock
        env = {
            "PATH": f"{self.fakes}:{search}",
            "HOME": str(self.root.parent),
            "FAKE_LOG": str(self.root.parent / "calls.log"),
            "FAKE_VERSION": FAKE_VERSION,
            "FAKE_VENV_PYTHON": str(self.fakes / "venv-python"),
            "REAL_PYTHON": sys.executable,
            "FAKE_PIP_SECONDS": "1",
            **extra,
        }
        out = self.root.parent / f"venv-python.{os.urandom(4).hex()}"
        script = '. "$1"; rc=$?; printf "%s" "${VENV_PYTHON:-}" >"$2"; exit "$rc"'
        proc = subprocess.Popen(
            [BASH, "-c", script, "bash", str(self.root / "hooks" / "pre-command"), str(out)],
            cwd=self.root.parent / "checkout",
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        return Job(proc, out)

    def run(self, *, flock: bool = True, **extra: str) -> Run:
        return self.start(flock=flock, **extra).finish()

    def key(self, version: str = FAKE_VERSION) -> str:
        """The key the shim derives: ``python3 -V``, the interpreter's path, the lock's bytes."""
        digest = hashlib.sha256()
        digest.update(f"{version.split()[1]}\n{self.fakes / 'python3'}\n".encode())
        digest.update((self.root / "requirements.lock").read_bytes())
        return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def path_without_flock(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PATH directory with every usual command but ``flock`` and any ``python``."""
    return command_farm(tmp_path_factory.mktemp("farm"), hide=("flock",))


@pytest.fixture(scope="module")
def path_without_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PATH directory with every usual command but any ``python`` (the fake is the only one)."""
    return command_farm(tmp_path_factory.mktemp("farm"))


@pytest.fixture
def plugin(tmp_path: Path, path_without_python: str, path_without_flock: str) -> Plugin:
    root = tmp_path / "plugin"
    (root / "hooks").mkdir(parents=True)
    shutil.copy2(REPO / "hooks" / "pre-command", root / "hooks" / "pre-command")
    shutil.copy2(REPO / "requirements.lock", root / "requirements.lock")
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    for name, text in (("python3", FAKE_PYTHON3), ("venv-python", FAKE_VENV_PYTHON)):
        (fakes / name).write_text(text)
        (fakes / name).chmod(0o755)
    (tmp_path / "checkout").mkdir()
    return Plugin(root, fakes, path_without_python, path_without_flock)


def calls(plugin: Plugin, prefix: str) -> list[str]:
    log = plugin.root.parent / "calls.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if line.startswith(prefix)]


def leftovers(plugin: Plugin) -> list[str]:
    return sorted(
        p.name for p in plugin.root.iterdir() if ".tmp." in p.name or p.name.endswith(".d")
    )


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "mkdir-lock"])
def test_jobs_started_together_build_one_virtualenv_and_all_use_it(
    plugin: Plugin, flock: bool
) -> None:
    jobs = [plugin.start(flock=flock) for _ in range(4)]
    runs = [job.finish() for job in jobs]

    venv = plugin.root / f".venv-{plugin.key()}"
    assert [run.rc for run in runs] == [0, 0, 0, 0], [run.stderr for run in runs]
    assert len(calls(plugin, "python3 -m venv")) == 1
    assert len(calls(plugin, "pip ")) == 1
    assert {run.venv_python for run in runs} == {str(venv / "bin" / "python")}
    assert (venv / ".ecr-cache-complete").is_file()
    assert leftovers(plugin) == []
    assert sum("building the plugin's Python environment" in run.stdout for run in runs) == 1


def test_pip_runs_from_the_committed_lock_with_hashes_required(plugin: Plugin) -> None:
    run = plugin.run()

    assert run.rc == 0
    [pip] = calls(plugin, "pip ")
    assert "install" in pip
    assert "--require-hashes" in pip
    assert f"-r {plugin.root / 'requirements.lock'}" in pip


def test_the_package_is_linked_from_the_checkout(plugin: Plugin) -> None:
    plugin.run()

    [venv] = [p for p in plugin.root.iterdir() if p.name.startswith(".venv-") and p.is_dir()]
    link = venv / "lib" / "site-packages" / "ecr_cache_tui"
    assert link.is_symlink()
    assert not os.path.isabs(os.readlink(link))
    assert os.path.normpath(link.parent / os.readlink(link)) == str(plugin.root / "ecr_cache_tui")


def test_a_built_virtualenv_is_reused_without_venv_or_pip(plugin: Plugin) -> None:
    first = plugin.run()
    before = len(calls(plugin, ""))

    second = plugin.run()

    assert first.rc == second.rc == 0
    assert calls(plugin, "")[before:] == ["python3 -V"]
    assert second.stdout == ""
    assert second.venv_python == first.venv_python


def test_a_new_python_version_gets_its_own_virtualenv_and_the_old_one_is_kept(
    plugin: Plugin,
) -> None:
    first = plugin.run()
    second = plugin.run(FAKE_VERSION="Python 3.13.0")

    assert first.venv_python != second.venv_python
    assert Path(first.venv_python).exists()
    assert len(calls(plugin, "pip ")) == 2


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "mkdir-lock"])
def test_a_failed_install_leaves_nothing_behind_and_the_next_job_retries(
    plugin: Plugin, flock: bool
) -> None:
    failed = plugin.run(flock=flock, FAKE_PIP_RC="1")

    assert failed.rc == 5
    assert "pip could not install" in failed.stderr
    assert [
        p.name for p in plugin.root.iterdir() if p.name.startswith(".venv-") and p.is_dir()
    ] == []
    assert leftovers(plugin) == []

    retried = plugin.run(flock=flock)
    assert retried.rc == 0
    assert len(calls(plugin, "pip ")) == 2


def test_a_missing_venv_module_is_explained(plugin: Plugin) -> None:
    run = plugin.run(FAKE_VENV_FAIL="1")

    assert run.rc == 5
    assert "python3-venv" in run.stderr
    assert leftovers(plugin) == []


def test_a_half_built_virtualenv_from_a_dead_job_is_cleaned_up(plugin: Plugin) -> None:
    stale = plugin.root / f".venv-{plugin.key()}.tmp.999999"
    (stale / "bin").mkdir(parents=True)

    run = plugin.run()

    assert run.rc == 0
    assert not stale.exists()


def test_the_mkdir_lock_of_a_dead_job_is_broken(plugin: Plugin) -> None:
    lock = plugin.root / f".venv-{plugin.key()}.lock.d"
    lock.mkdir()
    exited = subprocess.Popen(["true"])
    exited.wait()
    (lock / "pid").write_text(f"{exited.pid}\n")

    run = plugin.run(flock=False)

    assert run.rc == 0
    assert not lock.exists()
