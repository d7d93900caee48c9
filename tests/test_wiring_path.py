"""``wiring.on_path``: the hook finds the docker CLI and buildkite-agent in PATH's absolute
entries only."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr_cache_tui.wiring import on_path


def tool(directory: Path, name: str, *, executable: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755 if executable else 0o644)
    return path


def test_the_first_executable_in_an_absolute_entry(tmp_path: Path) -> None:
    tool(tmp_path / "a", "docker", executable=False)
    found = tool(tmp_path / "b", "docker")
    tool(tmp_path / "c", "docker")

    assert on_path("docker", f"{tmp_path / 'a'}:{tmp_path / 'b'}:{tmp_path / 'c'}") == str(found)


def test_empty_and_relative_entries_are_never_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool(tmp_path, "docker")  # in the working directory: the job's checkout
    monkeypatch.chdir(tmp_path)

    for path in ("", ":", ".", "::/nonexistent", "/nonexistent:", "./"):
        assert on_path("docker", path) is None, path
    assert on_path("docker", None) is None
