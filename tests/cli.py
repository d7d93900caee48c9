"""``ecr-cache`` in a process of its own, as a user, a script or the agent runs it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: The command line that runs this checkout's ``ecr-cache`` with the tests' interpreter.
ECR_CACHE = (sys.executable, "-m", "ecr_cache_tui")


def run_ecr_cache(
    *argv: str,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float = 120,
    errors: str = "strict",
) -> subprocess.CompletedProcess[str]:
    """``ecr-cache ARGV`` with ``env`` as its whole environment; its output as text (``errors``:
    how bytes that are not UTF-8 are decoded)."""
    return subprocess.run(
        [*ECR_CACHE, *argv],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        errors=errors,
        check=False,
        timeout=timeout,
    )
