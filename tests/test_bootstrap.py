"""``scripts/bootstrap`` is quiet: one line per install step, the installers' output in a log.

The installers are fakes on PATH (``apt-get``) or in ``.venv`` (its ``python -m pip``) that
print what the real ones print (dpkg's progress, pip's warnings) and fail when told to; the
script is the real one, copied into a scratch repository so its log lands there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TAIL = 30

FAKE_APT = """#!/bin/bash
printf '%s\\n' "$*" >>"{calls}"
case $1 in
update) echo 'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]' ;;
install)
    printf '(Reading database ... %s%%\\r' 5 10 15 20 25 30 35 40 45 50 95 100; echo
    echo 'Selecting previously unselected package docker.io.'
    for i in $(seq -w 1 40); do echo "Unpacking noise-$i (1.0) ..."; done
    if [[ -e "{fail}" ]]; then
        echo 'E: Sub-process /usr/bin/dpkg returned an error code (1)' >&2
        exit 100
    fi
    echo 'Setting up docker.io (20.10.24+dfsg1-1+b3) ...'
    ;;
esac
"""

FAKE_PYTHON = """#!/bin/bash
if [[ $1 == -m && $2 == pip ]]; then
    printf '%s\\n' "$*" >>"{calls}"
    for i in $(seq -w 1 40); do
        echo "WARNING: Location 'file:///opt/pypi/simple/pkg-$i/' is ignored:" \\
            "it is neither a file nor a directory."
    done
    if [[ -e "{fail}" ]]; then
        echo 'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.' >&2
        exit 1
    fi
    echo 'Successfully installed rich-13.9.4'
    exit 0
fi
exec "{python}" "$@"
"""


def write_exe(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def scratch_repo(tmp_path: Path) -> Path:
    """The script and the files its stamp reads; no .venv, no .run."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "bootstrap", repo / "scripts" / "bootstrap")
    for name in ("requirements-dev.lock", "pyproject.toml"):
        shutil.copy2(REPO / name, repo / name)
    return repo


def clean_env(path: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "ECR_CACHE_"))}
    env["PATH"] = path
    return env


def step_line(what: str, done: str) -> re.Pattern[str]:
    return re.compile(rf"\[bootstrap\] {re.escape(what)} … {done} in \d+\.\ds")


def failure_line(what: str, code: int, log: Path) -> re.Pattern[str]:
    return re.compile(
        rf"\[bootstrap\] {re.escape(what)} … failed \(exit {code}\) after \d+\.\ds; "
        rf"full output in {re.escape(str(log))}, its last {TAIL} lines:"
    )


@pytest.fixture
def apt(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A fake ``apt-get`` (and ``sudo``) in a directory of its own: (bin, calls, fail marker)."""
    fake_bin, calls, fail = tmp_path / "bin", tmp_path / "apt-calls", tmp_path / "apt-fail"
    write_exe(fake_bin / "apt-get", FAKE_APT.format(calls=calls, fail=fail))
    write_exe(fake_bin / "sudo", '#!/bin/sh\nexec "$@"\n')
    return fake_bin, calls, fail


def run_system(repo: Path, fake_bin: Path) -> subprocess.CompletedProcess[str]:
    """``main system`` with two packages missing (this machine has them all)."""
    script = 'source "$1"; missing_packages() { printf "%s\\n" tmux docker.io; }; main system'
    return subprocess.run(
        ["bash", "-c", script, "bootstrap", str(repo / "scripts" / "bootstrap")],
        env=clean_env(f"{fake_bin}:{SYSTEM_PATH}"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_debian_packages_print_one_line_a_step_and_dpkg_goes_to_the_log(
    tmp_path: Path, apt: tuple[Path, Path, Path]
) -> None:
    repo = scratch_repo(tmp_path)
    fake_bin, calls, _ = apt

    done = run_system(repo, fake_bin)

    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    assert step_line("apt-get update", "done").fullmatch(lines[0]), lines[0]
    assert step_line("Debian packages docker.io tmux", "installed").fullmatch(lines[1]), lines[1]
    assert calls.read_text().splitlines() == [
        "update",
        "install -y --no-install-recommends docker.io tmux",
    ]
    log = (repo / ".run" / "bootstrap.log").read_bytes().decode()
    assert "(Reading database ... 5%\r" in log
    assert "Selecting previously unselected package docker.io." in log
    assert "Setting up docker.io" in log


def test_a_failed_apt_get_points_to_the_log_and_shows_its_last_lines(
    tmp_path: Path, apt: tuple[Path, Path, Path]
) -> None:
    repo = scratch_repo(tmp_path)
    fake_bin, _, fail = apt
    fail.touch()
    log = repo / ".run" / "bootstrap.log"

    done = run_system(repo, fake_bin)

    assert done.returncode == 100
    lines = done.stderr.splitlines()
    assert step_line("apt-get update", "done").fullmatch(lines[0]), lines[0]
    assert failure_line("Debian packages docker.io tmux", 100, log).fullmatch(lines[1]), lines[1]
    tail = lines[2:]
    assert tail == ["    " + line for line in log.read_text().splitlines()[-TAIL:]]
    assert tail[-1] == "    E: Sub-process /usr/bin/dpkg returned an error code (1)"
    # The log's earlier lines are in the file only.
    assert "Selecting previously unselected package" not in done.stderr
    assert "Selecting previously unselected package docker.io." in log.read_text()


def test_venv_step_is_one_line_pip_output_in_the_log_and_a_failure_points_there(
    tmp_path: Path,
) -> None:
    repo = scratch_repo(tmp_path)
    calls, fail = tmp_path / "pip-calls", tmp_path / "pip-fail"
    venv = repo / ".venv"
    write_exe(
        venv / "bin" / "python",
        FAKE_PYTHON.format(calls=calls, fail=fail, python=sys.executable),
    )
    log = repo / ".run" / "bootstrap.log"
    if shutil.which("uv", path=SYSTEM_PATH):
        pytest.skip("uv is on the system PATH here: this test is about the pip path")
    env = clean_env(SYSTEM_PATH)
    bootstrap = [str(repo / "scripts" / "bootstrap"), "venv"]
    what = f"requirements-dev.lock into {venv} with pip"

    fail.touch()
    failed = subprocess.run(bootstrap, env=env, capture_output=True, text=True, check=False)
    fail.unlink()
    installed = subprocess.run(bootstrap, env=env, capture_output=True, text=True, check=False)
    again = subprocess.run(bootstrap, env=env, capture_output=True, text=True, check=False)

    assert failed.returncode == 1
    failed_lines = failed.stderr.splitlines()
    assert failure_line(what, 1, log).fullmatch(failed_lines[0]), failed_lines[0]
    assert len(failed_lines) == 1 + TAIL
    assert failed_lines[-1] == (
        "    ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."
    )
    assert "pkg-01/" not in failed.stderr  # the 40 warnings: only the log's last lines shown

    assert installed.returncode == 0, installed.stderr
    assert step_line(what, "installed").fullmatch(installed.stderr.rstrip("\n")), installed.stderr
    text = log.read_text()
    assert text.count("WARNING: Location 'file:///opt/pypi/simple/pkg-01/' is ignored") == 3
    assert "Successfully installed rich-13.9.4" in text
    assert calls.read_text().splitlines()[-2:] == [
        f"-m pip --disable-pip-version-check --no-input install --require-hashes -r "
        f"{repo}/requirements-dev.lock",
        f"-m pip --disable-pip-version-check --no-input install --no-deps -e {repo}",
    ]
    # Up to date: nothing to install, nothing said.
    assert again.returncode == 0
    assert again.stderr == ""
