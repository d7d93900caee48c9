"""PATHs for hook tests: the usual commands, but only the Python interpreters a test puts there.

The shim looks for ``python3.14`` … ``python3.10`` and ``python3`` on PATH, so a test that means to
control which interpreter it finds must hide the machine's own (``/usr/bin/python3*``, pyenv's
shims, this virtualenv's ``bin``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SYSTEM_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def command_farm(dest: Path, *, hide: tuple[str, ...] = ()) -> str:
    """A directory of links to every command in the system directories but any ``python*``
    and the names in ``hide``; returns its path, for a PATH entry."""
    dest.mkdir(parents=True, exist_ok=True)
    for directory in SYSTEM_DIRS:
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            name = entry.name
            if name in hide or name.startswith("python") or (dest / name).exists():
                continue
            (dest / name).symlink_to(entry.path)
    return str(dest)


def pyenv_root() -> Path:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    try:
        found = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True)
        return Path(found.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return Path.home() / ".pyenv"


def real_interpreter(minor: str) -> Path:
    """pyenv's newest ``python<minor>`` (``"3.9"``); a skip (a failure in CI) when missing."""
    root = pyenv_root()
    found = sorted(
        (v / "bin" / f"python{minor}" for v in (root / "versions").glob(f"{minor}.*")),
        key=lambda p: [int(x) for x in p.parent.parent.name.split(".") if x.isdigit()],
    )
    found = [p for p in found if os.access(p, os.X_OK)]
    if not found:
        message = f"no Python {minor} in {root}/versions (pyenv install {minor})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must have it")
        pytest.skip(f"{message}; outside CI this is a skip, in CI a failure")
    return found[-1]
