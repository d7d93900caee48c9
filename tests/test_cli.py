"""``ecr-cache``: version, help, and expected failures as one stderr line with SPEC §6's codes."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable

import pytest

from ecr_cache_tui import __version__, cli
from ecr_cache_tui.errors import (
    AccessDenied,
    BuildError,
    ConfigError,
    DaemonUnreachable,
    EcrCacheError,
    RemoteError,
    TagNotFound,
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecr_cache_tui", *args], capture_output=True, text=True, check=False
    )


def test_version_is_printed_by_python_m_and_exits_zero() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ecr-cache {__version__}"


def test_help_lists_every_command() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for name, _module, _help in cli.COMMANDS:
        assert name in result.stdout


def test_an_unknown_command_is_one_line_and_exit_2() -> None:
    result = _run("frobnicate")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "frobnicate" in result.stderr


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (BuildError("docker build failed"), 1),
        (ConfigError("max-age-days: 'abc' is not a whole number >= 1", option="max-age-days"), 2),
        (RemoteError("describe repository: boom"), 3),
        (AccessDenied("describe repository: AccessDeniedException"), 3),
        (TagNotFound("no such tag"), 3),
        (DaemonUnreachable("no Docker daemon at unix:///nope.sock"), 4),
    ],
)
def test_expected_failures_map_to_their_exit_code_and_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: EcrCacheError,
    code: int,
) -> None:
    def failing(_args: argparse.Namespace) -> int:
        raise error

    _patch_command(monkeypatch, failing)
    assert cli.main(["ls"]) == code
    err = capsys.readouterr().err
    assert err == f"ecr-cache: {error}\n"


def _patch_command(
    monkeypatch: pytest.MonkeyPatch, run: Callable[[argparse.Namespace], int]
) -> None:
    real = cli.build_parser

    def parser_with(
        run_fn: Callable[[argparse.Namespace], int], only: str | None = None
    ) -> argparse.ArgumentParser:
        parser = real(only)
        parser.set_defaults(_run=run_fn)
        for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
            for sub in action.choices.values():  # type: ignore[union-attr]
                sub.set_defaults(_run=run_fn)
        return parser

    monkeypatch.setattr(cli, "build_parser", lambda only=None: parser_with(run, only))
