"""``scripts/demo`` on a checkout without ``.venv``: it installs the demo's lock, never dev tools.

Slow (pip installs ``requirements-tui.lock`` from pip's cache or PyPI into a copy of the
repository), so it is marked like the hook's bootstrap test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.checkout import copy_checkout

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parent.parent


def test_scripts_demo_installs_runtime_tui_and_demo_only_and_says_so(tmp_path: Path) -> None:
    repo = copy_checkout(tmp_path / "repo")
    # The system's python3 and pip (no uv, no pyenv shims): a fresh Debian 12 box's PATH.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "ECR_CACHE_"))}
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    if shutil.which("uv", path=env["PATH"]):
        pytest.skip("uv is on the system PATH here: this test is about the pip path")

    first = subprocess.run(
        [str(repo / "scripts" / "demo"), "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=850,
        check=False,
    )
    again = subprocess.run(
        [str(repo / "scripts" / "demo"), "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert first.returncode == 0, first.stderr
    assert "usage: ecr-cache tui" in first.stdout
    said = first.stderr
    assert "requirements-tui.lock" in said
    assert "no dev tools" in said
    assert "about 30 s" in said
    assert "demo installed in " in said
    listed = subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    names = {line.split("==")[0].replace("_", "-") for line in listed.splitlines()}
    assert {"textual", "moto", "botocore", "docker", "ecr-cache-tui"} <= names
    for dev_tool in ("pytest", "mypy", "ruff", "uv", "jsonschema", "google-re2"):
        assert dev_tool not in names, dev_tool
    # A second run finds .venv up to date: nothing installed, the TUI opens at once.
    assert again.returncode == 0, again.stderr
    assert "installing" not in again.stderr
