"""The shim's virtualenv bootstrap and its lock, run for real with a fake ``python3``.

The fake plays ``python3 -V``, ``python3 -m venv DIR`` (a directory with a fake ``bin/python``)
and ``pip install`` (logged; it takes ``FAKE_PIP_SECONDS``, 0 unless a test needs jobs to
overlap), so the locking, the atomic rename, the reuse and the recovery paths of the real
``hooks/pre-command`` run in well under a second each. Both lock flavours are exercised:
``flock`` and, with ``flock`` hidden from PATH, the interpreter's own ``fcntl.flock`` on the
same descriptor.
``test_shim_bootstrap.py`` does the same with the real Python and pip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hook.pathfarm import command_farm
from tests.hook.venvkey import shared_venvs, venv_key

REPO = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"
FAKE_VERSION = "Python 3.12.1"

FAKE_PYTHON3 = r"""#!/bin/bash
# Plays python3 for the shim's bootstrap: -V, the venv probe (prints its pip's version, if
# FAKE_PIP_VERSION), -m venv, and -m pip --python VENV install; the lock where flock(1) is
# missing is the real interpreter's. Every call must be isolated (-I): else it fails.
printf 'python3 %s\n' "$*" >>"$FAKE_LOG"
[[ $1 == -I ]] || exit 9
if [[ $2 == -c && $3 == *fcntl* ]]; then exec "$REAL_PYTHON" "$@"; fi
shift
case $1 in
  -V) echo "$FAKE_VERSION" ;;
  -c)
    [[ -z ${FAKE_NO_VENV_MODULE:-} ]] || exit 1
    [[ -z ${FAKE_PIP_VERSION:-} ]] || echo "$FAKE_PIP_VERSION"
    ;;
  -m)
    if [[ $2 == pip ]]; then
      printf 'pip %s\n' "$*" >>"$FAKE_LOG"
      sleep "${FAKE_PIP_SECONDS:-1}"
      exit "${FAKE_PIP_RC:-0}"
    fi
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
# Plays a virtualenv's python: ensurepip, pip install/uninstall, and the package (which reports
# the python and the directory put first on its import path). Isolated (-I) or it fails.
[[ $1 == -I || $1 == -IS ]] || exit 9  # -IS: the package itself (no site module)
shift
if [[ $1 == -m && $2 == ensurepip ]]; then
  printf 'ensurepip %s\n' "$*" >>"$FAKE_LOG"
elif [[ $1 == -m && $2 == pip && $3 == uninstall ]]; then
  printf 'uninstall %s\n' "$*" >>"$FAKE_LOG"
elif [[ $1 == -m && $2 == pip ]]; then
  printf 'pip %s\n' "$*" >>"$FAKE_LOG"
  sleep "${FAKE_PIP_SECONDS:-1}"
  exit "${FAKE_PIP_RC:-0}"
elif [[ $1 == -c && $4 == hook ]]; then
  python=$0 root=$3 out=
  while (($#)); do [[ $1 == --export-file ]] && out=$2; shift; done
  printf 'VENV_PYTHON\0%s\0IMPORT_ROOT\0%s\0' "$python" "$root" >"$out"
  exit 0
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
    import_root: str


@dataclass(frozen=True)
class Job:
    proc: subprocess.Popen[bytes]
    out: Path

    def finish(self) -> Run:
        stdout, stderr = self.proc.communicate(timeout=120)
        venv_python, _, import_root = self.out.read_text().partition("\n")
        return Run(self.proc.returncode, stdout.decode(), stderr.decode(), venv_python, import_root)


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
            "FAKE_PIP_SECONDS": "0",
            **extra,
        }
        out = self.root.parent / f"venv-python.{os.urandom(4).hex()}"
        script = (
            '. "$1"; rc=$?; printf "%s\\n%s" "${VENV_PYTHON:-}" "${IMPORT_ROOT:-}" >"$2";'
            ' exit "$rc"'
        )
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
        return venv_key(
            version.split()[1], str(self.fakes / "python3"), self.root / "requirements.lock"
        )

    @property
    def venvs(self) -> Path:
        """The shared place (HOME is the test's directory)."""
        return shared_venvs(self.root.parent)

    def built(self) -> list[Path]:
        """The virtualenvs built, in the shared place and in the checkout."""
        found = [p for p in self.root.iterdir() if p.name.startswith(".venv-") and p.is_dir()]
        if self.venvs.is_dir():
            found += [p for p in self.venvs.iterdir() if p.is_dir() and "." not in p.name]
        return found


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
    places = [plugin.root, *([plugin.venvs] if plugin.venvs.is_dir() else [])]
    return sorted(
        p.name
        for place in places
        for p in place.iterdir()
        if ".tmp." in p.name or p.name.endswith(".d")
    )


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "python-flock"])
def test_jobs_started_together_build_one_virtualenv_and_all_use_it(
    plugin: Plugin, flock: bool
) -> None:
    # The install takes a second: the other three jobs reach the lock while the first holds it.
    jobs = [plugin.start(flock=flock, FAKE_PIP_SECONDS="1") for _ in range(4)]
    runs = [job.finish() for job in jobs]

    venv = plugin.venvs / plugin.key()
    assert [run.rc for run in runs] == [0, 0, 0, 0], [run.stderr for run in runs]
    assert len(calls(plugin, "python3 -I -m venv")) == 1
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


def test_without_pip_beside_the_interpreter_ensurepip_installs_and_is_removed(
    plugin: Plugin,
) -> None:
    run = plugin.run()

    assert run.rc == 0, run.stderr
    venv = plugin.venvs / plugin.key()
    [made] = calls(plugin, "python3 -I -m venv")
    assert made.startswith(f"python3 -I -m venv --without-pip -- {venv}.tmp.")
    assert len(calls(plugin, "ensurepip ")) == 1
    [pip] = calls(plugin, "pip ")
    assert pip.startswith("pip -m pip install ")
    [uninstall] = calls(plugin, "uninstall ")
    assert uninstall.endswith("pip setuptools")
    assert "installer=ensurepip" in (venv / ".ecr-cache-complete").read_text()


@pytest.mark.parametrize("version", ["22.3", "24.0"])
def test_the_interpreters_own_pip_installs_into_the_virtualenv(
    plugin: Plugin, version: str
) -> None:
    run = plugin.run(FAKE_PIP_VERSION=version)

    assert run.rc == 0, run.stderr
    venv = plugin.venvs / plugin.key()
    [pip] = calls(plugin, "pip ")
    assert pip.startswith(f"pip -m pip --python {venv}.tmp.")
    assert " install " in pip
    assert "--require-hashes" in pip
    assert calls(plugin, "ensurepip") == []
    assert "installer=pip" in (venv / ".ecr-cache-complete").read_text()


def test_a_pip_older_than_22_3_is_not_used_from_outside(plugin: Plugin) -> None:
    run = plugin.run(FAKE_PIP_VERSION="22.2.2")

    assert run.rc == 0, run.stderr
    assert len(calls(plugin, "ensurepip ")) == 1


def test_the_package_runs_from_the_checkout_not_from_the_virtualenv(plugin: Plugin) -> None:
    run = plugin.run(PYTHONPATH="/job/own/path")

    assert run.rc == 0
    venv = plugin.venvs / plugin.key()
    assert run.venv_python == str(venv / "bin" / "python")
    # Nothing of the package in the shared virtualenv: the plugin checkout is put first on the
    # import path (and the job's PYTHONPATH is not read: -I).
    assert run.import_root == str(plugin.root)
    assert not any(p.name.startswith("ecr_cache_tui") for p in venv.rglob("*"))


def test_another_checkout_with_the_same_lock_reuses_the_virtualenv(
    plugin: Plugin, tmp_path: Path
) -> None:
    first = plugin.run()
    other = tmp_path / "other-agent" / "plugin"
    (other / "hooks").mkdir(parents=True)
    shutil.copy2(plugin.root / "hooks" / "pre-command", other / "hooks" / "pre-command")
    shutil.copy2(plugin.root / "requirements.lock", other / "requirements.lock")
    (tmp_path / "other-agent" / "checkout").mkdir()
    before = len(calls(plugin, ""))

    second = Plugin(other, plugin.fakes, plugin.path_with_flock, plugin.path_without_flock).run(
        HOME=str(tmp_path), FAKE_LOG=str(tmp_path / "calls.log")
    )

    assert second.rc == 0, second.stderr
    assert second.venv_python == first.venv_python
    assert second.import_root == str(other)
    assert calls(plugin, "")[before:] == ["python3 -I -V"]


@pytest.mark.parametrize("home", ["file", "unset"])
def test_without_a_writable_shared_place_the_checkout_holds_the_virtualenv(
    plugin: Plugin, tmp_path: Path, home: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    extra = {"HOME": str(blocker)} if home == "file" else {"HOME": "", "XDG_CACHE_HOME": ""}
    first = plugin.run(**extra)
    again = plugin.run(**extra)

    assert first.rc == again.rc == 0, first.stderr
    assert first.venv_python == str(plugin.root / f".venv-{plugin.key()}" / "bin" / "python")
    assert again.venv_python == first.venv_python
    assert len(calls(plugin, "python3 -I -m venv")) == 1


def test_xdg_cache_home_is_the_shared_place_when_set(plugin: Plugin, tmp_path: Path) -> None:
    run = plugin.run(XDG_CACHE_HOME=str(tmp_path / "xdg"))

    assert run.rc == 0
    assert run.venv_python == str(
        tmp_path / "xdg" / "ecr-cache-tui" / "venvs" / plugin.key() / "bin" / "python"
    )


def test_a_built_virtualenv_is_reused_without_venv_or_pip(plugin: Plugin) -> None:
    first = plugin.run()
    before = len(calls(plugin, ""))

    second = plugin.run()

    assert first.rc == second.rc == 0
    assert calls(plugin, "")[before:] == ["python3 -I -V"]
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


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "python-flock"])
def test_a_failed_install_leaves_nothing_behind_and_the_next_job_retries(
    plugin: Plugin, flock: bool
) -> None:
    failed = plugin.run(flock=flock, FAKE_PIP_RC="1")

    assert failed.rc == 5
    assert "pip could not install" in failed.stderr
    assert plugin.built() == []
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
    plugin.venvs.mkdir(parents=True)
    stale = plugin.venvs / f"{plugin.key()}.tmp.999999"
    (stale / "bin").mkdir(parents=True)

    run = plugin.run()

    assert run.rc == 0
    assert not stale.exists()


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "python-flock"])
def test_a_job_waits_for_the_lock_holder_and_takes_over_when_it_dies(
    plugin: Plugin, flock: bool
) -> None:
    plugin.venvs.mkdir(parents=True)
    lock = plugin.venvs / f"{plugin.key()}.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        job = plugin.start(flock=flock)
        # The job is waiting (it said so) while the holder lives...
        with pytest.raises(subprocess.TimeoutExpired):
            job.proc.wait(timeout=1.5)
    finally:
        holder.kill()  # ...and the kernel drops a dead holder's lock: nothing to break by hand
        holder.wait()
    run = job.finish()

    assert run.rc == 0, run.stderr
    assert "waiting for another job" in run.stdout
    assert len(calls(plugin, "python3 -I -m venv")) == 1


def test_a_lock_directory_left_by_an_older_shim_is_not_waited_for(plugin: Plugin) -> None:
    # The mkdir lock of earlier versions (lock.d, its holder died before writing its pid):
    # nothing reads it now, so it cannot hold a job forever nor be broken twice.
    plugin.venvs.mkdir(parents=True)
    (plugin.venvs / f"{plugin.key()}.lock.d").mkdir()

    run = plugin.start(flock=False).proc.wait(timeout=60)

    assert run == 0
    assert (plugin.venvs / plugin.key() / ".ecr-cache-complete").is_file()


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""


# --- whose the shared place is ---------------------------------------------------------------


def distrusted(run: Run) -> list[str]:
    return [line for line in run.stdout.splitlines() if "not using the shared virtualenvs" in line]


def test_the_places_it_makes_are_the_users_alone(plugin: Plugin) -> None:
    run = plugin.run()

    assert run.rc == 0, run.stderr
    cache = plugin.root.parent / ".cache"
    for place in (cache, cache / "ecr-cache-tui", plugin.venvs):
        assert place.stat().st_mode & 0o777 == 0o700, place
    assert distrusted(run) == []


@pytest.mark.parametrize(
    "spoil",
    ["group-writable venvs", "other-writable cache root", "foreign venv", "foreign bin"],
)
def test_a_shared_virtualenv_that_is_not_the_users_own_is_not_run(
    plugin: Plugin, spoil: str
) -> None:
    first = plugin.run()
    venv = plugin.venvs / plugin.key()
    assert first.venv_python == str(venv / "bin" / "python")
    if spoil == "group-writable venvs":
        plugin.venvs.chmod(0o770)
    elif spoil == "other-writable cache root":
        (plugin.root.parent / ".cache").chmod(0o777)
    elif spoil == "foreign venv":
        os.chown(venv, 4242, 4242)  # root here: another uid than the job's
    else:
        os.chown(venv / "bin", 4242, 4242)
    before = len(calls(plugin, "python3 -I -m venv"))

    run = plugin.run()

    assert run.rc == 0, run.stderr
    # Not run: the virtualenv the job used is the plugin checkout's, built for it.
    assert run.venv_python == str(plugin.root / f".venv-{plugin.key()}" / "bin" / "python")
    assert len(calls(plugin, "python3 -I -m venv")) == before + 1
    [line] = distrusted(run)
    assert f"uid {os.geteuid()}" in line
    assert "Traceback" not in run.stderr


def test_a_shared_place_owned_by_another_user_is_not_built_in(plugin: Plugin) -> None:
    plugin.venvs.mkdir(parents=True, mode=0o700)
    os.chown(plugin.venvs, 4242, 4242)

    run = plugin.run()

    assert run.rc == 0, run.stderr
    assert run.venv_python == str(plugin.root / f".venv-{plugin.key()}" / "bin" / "python")
    assert len(distrusted(run)) == 1
    assert list(plugin.venvs.iterdir()) == []


# --- the remembered key: no `-V` nor hash on later jobs with a binary interpreter --------------


@pytest.fixture
def binary_plugin(plugin: Plugin) -> Plugin:
    """``plugin`` whose ``python3`` looks like a binary, not a script: no ``#!`` line (bash runs
    it all the same, as a script, when the kernel refuses it), so the shim may remember it."""
    python3 = plugin.fakes / "python3"
    python3.write_text(FAKE_PYTHON3.replace("#!/bin/bash\n", "# plays a binary\n", 1))
    return plugin


def memo(plugin: Plugin) -> Path:
    return plugin.root / ".ecr-cache-memo"


def replace(path: Path, text: str) -> None:
    """A new file at ``path`` (a new inode), as a package upgrade or a git checkout makes."""
    new = path.with_name(f"{path.name}.new")
    new.write_text(text)
    new.chmod(path.stat().st_mode & 0o777)
    new.replace(path)


def test_a_binary_interpreter_is_not_asked_again_once_the_key_is_remembered(
    binary_plugin: Plugin,
) -> None:
    first = binary_plugin.run()
    before = len(calls(binary_plugin, ""))

    second = binary_plugin.run()

    assert first.rc == second.rc == 0, first.stderr + second.stderr
    assert second.venv_python == first.venv_python
    assert first.venv_python == str(binary_plugin.venvs / binary_plugin.key() / "bin" / "python")
    assert calls(binary_plugin, "")[before:] == []  # neither `-V` nor anything else
    assert second.stdout == second.stderr == ""
    assert memo(binary_plugin).stat().st_mode & 0o777 == 0o600
    assert binary_plugin.key() in memo(binary_plugin).read_text().splitlines()


def test_a_replaced_interpreter_is_asked_its_version_and_gets_its_own_virtualenv(
    binary_plugin: Plugin,
) -> None:
    first = binary_plugin.run()
    python3 = binary_plugin.fakes / "python3"
    replace(python3, python3.read_text())
    before = len(calls(binary_plugin, ""))

    # The new interpreter at the same path is 3.13: a new key, a new virtualenv.
    second = binary_plugin.run(FAKE_VERSION="Python 3.13.0")
    again = binary_plugin.run(FAKE_VERSION="Python 3.13.0")

    assert first.rc == second.rc == again.rc == 0, second.stderr
    assert calls(binary_plugin, "")[before] == "python3 -I -V"
    assert second.venv_python == str(
        binary_plugin.venvs / binary_plugin.key("Python 3.13.0") / "bin" / "python"
    )
    assert again.venv_python == second.venv_python
    assert len(calls(binary_plugin, "pip ")) == 2
    assert "python3 -I -V" not in calls(binary_plugin, "")[before + 1 :]


def test_a_changed_lock_is_hashed_again(binary_plugin: Plugin) -> None:
    first = binary_plugin.run()
    lock = binary_plugin.root / "requirements.lock"
    replace(lock, lock.read_text() + "# a new lock\n")

    second = binary_plugin.run()

    assert first.rc == second.rc == 0, second.stderr
    assert first.venv_python != second.venv_python
    assert second.venv_python == str(binary_plugin.venvs / binary_plugin.key() / "bin" / "python")
    assert len(calls(binary_plugin, "pip ")) == 2


@pytest.mark.parametrize("spoil", ["group-writable memo", "malformed memo", "foreign lib"])
def test_a_memo_or_virtualenv_not_the_users_own_is_not_trusted(
    binary_plugin: Plugin, spoil: str
) -> None:
    first = binary_plugin.run()
    venv = binary_plugin.venvs / binary_plugin.key()
    assert first.venv_python == str(venv / "bin" / "python")
    if spoil == "group-writable memo":
        memo(binary_plugin).chmod(0o660)
    elif spoil == "malformed memo":
        memo(binary_plugin).write_text(memo(binary_plugin).read_text() + "end\n")
    else:
        (venv / "lib").mkdir()
        os.chown(venv / "lib", 4242, 4242)  # root here: another uid than the job's
    before = len(calls(binary_plugin, ""))

    run = binary_plugin.run()

    assert run.rc == 0, run.stderr
    # The long way: asked again, and the shared virtualenv used only while it is the user's.
    assert calls(binary_plugin, "")[before] == "python3 -I -V"
    if spoil == "foreign lib":
        assert run.venv_python == str(
            binary_plugin.root / f".venv-{binary_plugin.key()}" / "bin" / "python"
        )
        assert len(distrusted(run)) == 1
    else:
        assert run.venv_python == first.venv_python
        assert distrusted(run) == []
        assert memo(binary_plugin).stat().st_mode & 0o777 == 0o600  # written afresh
