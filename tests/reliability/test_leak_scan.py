"""The leak scan itself (``tests/conftest.py``): a test that prints a secret fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import leaks
from tests.services import ECR_PASSWORD

REPO = Path(__file__).resolve().parents[2]

LEAKY = """
import subprocess, sys
from tests import leaks

def test_prints_the_token():
    print("token: {token}")

def test_a_subprocess_prints_a_build_arg_value():
    leaks.forbid("node-env-secret-4567", label="build arg NODE_ENV")
    subprocess.run([sys.executable, "-c", "print('node-env-' + 'secret-4567')"], check=True)

def test_a_hook_run_output_holds_the_token_base64():
    leaks.seen("Authorization: Basic {basic}")

def test_clean():
    leaks.forbid("node-env-secret-4567")
    print("nothing to see")
"""


def test_every_kind_of_leak_fails_its_test_and_a_clean_test_passes(tmp_path: Path) -> None:
    source = LEAKY.format(token=ECR_PASSWORD, basic=leaks.TOKEN_FORMS[1])
    (tmp_path / "test_leaky.py").write_text(source)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-q",
            "-p",
            "no:cacheprovider",
            # Plugins the leaky tests do not use: importing hypothesis alone is 0.6 s of CPU.
            "-p",
            "no:hypothesispytest",
            "-p",
            "no:textual-snapshot",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_leaky.py"),
        ],
        cwd=REPO,
        # On CI (CI or BUILD_NUMBER set) pytest prints the short summary untruncated, which
        # repeats each message: the counts below are of the failure reports.
        env={k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert "3 failed, 1 passed" in out, out
    assert out.count("leaked into the test's output: moto's ECR token") == 2
    assert "leaked into the test's output: build arg NODE_ENV" in out
