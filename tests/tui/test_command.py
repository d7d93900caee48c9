"""``ecr-cache tui``: bad input is one line and exit 2; ``--demo`` opens the app on the demo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui import cli
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.widgets.table import FilterTable
from tests.tui.helpers import settle

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["tui", "--demo", "--profile", "dev"], "--profile: 'dev'"),
        (["tui", "--account-id", "12345"], "--account-id: '12345'"),
        (["tui", "--demo", "--account-id", "123456789012"], "--account-id: '123456789012'"),
        (["tui", "--refresh", "0"], "--refresh"),
        (["tui", "--refresh", "soon"], "--refresh"),
        (["tui", "--demo", "--prefix", "A B"], '--prefix: "A B" is not valid'),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert names in err
    assert len(err.splitlines()) == 1


def test_an_unknown_profile_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config").write_text("[default]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    assert cli.main(["tui", "--profile", "nope"]) == 2
    assert 'profile: "nope" is not a configured AWS profile' in capsys.readouterr().err


def test_demo_opens_the_app_on_the_embedded_ecr(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _run_headless(monkeypatch, ["tui", "--demo", "--read-only"])
    assert seen["rows"] >= 50
    assert seen["read_only"] is True
    assert "demo" in seen["source"]


def test_a_prefix_without_its_slash_gets_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # As the maintainers' commands do: ``build-cache`` names the folder ``build-cache/``.
    seen = _run_headless(monkeypatch, ["tui", "--demo", "--prefix", "build-cache"])
    assert seen["prefix"] == "build-cache/"
    assert seen["rows"] >= 50


def _run_headless(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> dict[str, Any]:
    """Run ``ecr-cache ARGV`` with the app headless; what the app showed and was given."""
    seen: dict[str, Any] = {}
    original = CacheApp.run

    def headless_run(self: CacheApp, **kwargs: Any) -> None:
        async def pilot(p: Any) -> None:
            await settle(p)
            seen["rows"] = len(p.app.screen.query_one(FilterTable).rows)
            seen["source"] = self.context.source
            seen["read_only"] = self.read_only
            seen["prefix"] = self.service.prefix
            p.app.exit()

        original(self, headless=True, size=(120, 40), auto_pilot=pilot)

    monkeypatch.setattr(CacheApp, "run", headless_run)
    assert cli.main(argv) == 0
    return seen


def test_the_hook_path_does_not_import_textual() -> None:
    code = (
        "import sys, ecr_cache_tui.commands.tui, ecr_cache_tui.demo.backend;"
        "sys.exit('textual' in sys.modules or 'moto' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))


def test_scripts_demo_passes_its_options_to_the_tui(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # scripts/demo in a copy whose bootstrap and ecr-cache record what they are given: the real
    # bootstrap (minutes on a fresh clone) is tests/test_demo_install.py's, marked slow.
    (tmp_path / "scripts").mkdir()
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "demo", tmp_path / "scripts" / "demo")
    calls = tmp_path / "calls"
    for stub in (tmp_path / "scripts" / "bootstrap", tmp_path / ".venv" / "bin" / "ecr-cache"):
        stub.write_text(f'#!/bin/sh\necho "$(basename "$0") $*" >> {calls}\n')
        stub.chmod(0o755)
    done = subprocess.run(
        [str(tmp_path / "scripts" / "demo"), "--read-only", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert calls.read_text().splitlines() == [
        "bootstrap demo",
        "ecr-cache tui --demo --read-only --help",
    ]
    # And what they reach: the TUI command's own help.
    with pytest.raises(SystemExit) as exited:
        cli.main(["tui", "--demo", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "usage: ecr-cache tui" in out
    assert "--read-only" in out
