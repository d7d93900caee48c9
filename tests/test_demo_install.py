"""``scripts/demo`` on a checkout without ``.venv``: it installs the demo's lock, never dev tools.

Slow (pip installs ``requirements-tui.lock`` from pip's cache or PyPI into a copy of the
repository), so it is marked like the hook's bootstrap test.
"""

from __future__ import annotations

import os
import re
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

    def demo_help(timeout: float) -> subprocess.CompletedProcess[str]:
        command = [str(repo / "scripts" / "demo"), "--help"]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    first = demo_help(timeout=850)
    again = demo_help(timeout=120)

    assert first.returncode == 0, first.stderr
    assert "usage: ecr-cache tui" in first.stdout
    # One line a step (the venv, the packages); pip's own output is in the log.
    said = first.stderr.splitlines()
    assert len(said) == 2, first.stderr
    assert re.fullmatch(r"\[bootstrap\] \S+/\.venv with \S+ … created in \d+\.\ds", said[0])
    assert "requirements-tui.lock" in said[1]
    assert "no dev tools" in said[1]
    assert "with pip (about 30 s" in said[1]
    assert re.search(r" … installed in \d+\.\ds$", said[1]), said[1]
    assert "Successfully installed" in (repo / ".run" / "bootstrap.log").read_text()
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
    assert "[bootstrap]" not in again.stderr
