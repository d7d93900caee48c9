"""``shim.from_shim``: the shim's fixed command line, without argparse; any other line
is ``ecr-cache``'s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Runs from_shim as the shim does (isolated, the plugin first on the import path) and reports
#: its exit code and whether argparse was imported.
SHIM_CALL = """
import sys, json
sys.path.insert(0, sys.argv.pop(1))
from ecr_cache_tui.shim import from_shim
code = from_shim(sys.argv[1:])
print(json.dumps({"code": code, "argparse": "argparse" in sys.modules}))
"""


def call(tmp_path: Path, *argv: str) -> tuple[dict[str, object], str]:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    done = subprocess.run(
        [sys.executable, "-I", "-c", SHIM_CALL, str(REPO), *argv],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "BUILDKITE_PLUGIN_CONFIGURATION": '{"max-age-days": 0}',
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


def test_the_shims_line_runs_the_hook_without_argparse(tmp_path: Path) -> None:
    result, stderr = call(
        tmp_path,
        "hook",
        "pre-command",
        "--export-file",
        str(tmp_path / "e"),
        "--plugin-dir",
        str(REPO),
    )

    # Bad input (max-age-days: 0), reported as ecr-cache reports it: one line, exit 2.
    assert result == {"code": 2, "argparse": False}
    assert stderr.startswith("ecr-cache: ") and stderr.count("\n") == 1, stderr
    assert "max-age-days" in stderr


@pytest.mark.parametrize(
    "argv",
    [["hook", "post-command", "--export-file", "x"], ["hook", "pre-command"], ["--bogus"]],
)
def test_any_other_line_is_the_clis(tmp_path: Path, argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-I", "-c", SHIM_CALL, str(REPO), *argv],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("ecr-cache"), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
