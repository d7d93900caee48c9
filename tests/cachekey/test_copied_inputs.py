"""``cache-on-copied``: what the Dockerfile copies is in the key; else what it misses is named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.cachekey.checksum import compute
from ecr_cache_tui.cachekey.copied_inputs import key_misses
from ecr_cache_tui.cachekey.inputs import COPIED, diff
from ecr_cache_tui.config import parse

PLATFORM = "linux/amd64"
ENV = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}
DOCKERFILE = (
    "FROM scratch AS unused\nCOPY only-unused.txt /\n"
    "FROM scratch AS app\nARG DIR=src\nCOPY package.json ./\nCOPY $DIR/ ./src\n"
    "COPY bin/run /usr/bin/\nCOPY --from=busybox /bin/sh /x\n"
)
FILES = {
    "Dockerfile": DOCKERFILE,
    ".dockerignore": "src/**/*.log\n",
    "package.json": "{}",
    "src/a.py": "a",
    "src/deep/b.py": "b",
    "src/deep/debug.log": "log",
    "bin/run": "#!/bin/sh\n",
    "only-unused.txt": "u",
    "elsewhere.txt": "e",
}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _result(checkout: Path, raw: dict[str, Any] | None = None) -> Any:
    options = {"cache-on-copied": True} if raw is None else raw
    return compute(parse(options, ENV, checkout), checkout, platform=PLATFORM)


def test_each_copied_source_is_an_input_with_its_files(checkout: Path) -> None:
    manifest = _result(checkout).manifest
    copied = [(e.name, [f.path for f in e.files]) for e in manifest.entries if e.kind == COPIED]
    assert copied == [
        ("package.json", ["package.json"]),
        ("src", ["src/a.py", "src/deep/b.py"]),
        ("bin/run", ["bin/run"]),
    ]


@pytest.mark.parametrize("changed", ["package.json", "src/deep/b.py", "bin/run"])
def test_a_copied_file_changes_the_key_and_the_diff_names_it(checkout: Path, changed: str) -> None:
    before = _result(checkout).manifest
    (checkout / changed).write_text("changed")
    after = _result(checkout).manifest
    assert after.tag != before.tag
    changes = [c for c in diff(before, after) if c.status != "same"]
    assert [(c.entry.kind, c.changed_files) for c in changes] == [(COPIED, (changed,))]


def test_a_new_file_in_a_copied_directory_changes_the_key(checkout: Path) -> None:
    before = _result(checkout).tag
    (checkout / "src" / "new.py").write_text("n")
    assert _result(checkout).tag != before


def test_making_a_copied_file_executable_changes_the_key(checkout: Path) -> None:
    before = _result(checkout).tag
    os.chmod(checkout / "bin" / "run", 0o755)
    assert _result(checkout).tag != before


@pytest.mark.parametrize(
    "change",
    ["src/deep/debug.log", "src/deep/other.log", "only-unused.txt", "elsewhere.txt"],
)
def test_ignored_unneeded_and_uncopied_files_never_change_the_key(
    checkout: Path, change: str
) -> None:
    before = _result(checkout).tag
    (checkout / change).write_text("changed")
    assert _result(checkout).tag == before


def test_a_build_arg_changes_what_is_read(checkout: Path) -> None:
    (checkout / "lib").mkdir()
    (checkout / "lib" / "l.py").write_text("l")
    manifest = _result(checkout, {"cache-on-copied": True, "build-args": ["DIR=lib"]}).manifest
    assert [e.name for e in manifest.entries if e.kind == COPIED][1] == "lib"


def test_without_the_option_the_tag_is_unchanged_and_nothing_is_read(checkout: Path) -> None:
    without = _result(checkout, {})
    assert [e.kind for e in without.manifest.entries] == ["dockerfile", "context", "platform"]
    (checkout / "src" / "a.py").write_text("changed")
    assert _result(checkout, {}).tag == without.tag


def test_the_per_dockerfile_ignore_file_wins(checkout: Path) -> None:
    (checkout / "Dockerfile.dockerignore").write_text("src/deep\n")
    manifest = _result(checkout).manifest
    files = [f.path for e in manifest.entries if e.kind == COPIED for f in e.files]
    assert "src/deep/b.py" not in files
    assert "src/a.py" in files


def test_a_missing_source_is_recorded_and_warned_about(checkout: Path) -> None:
    (checkout / "package.json").unlink()
    result = _result(checkout)
    (entry,) = [e for e in result.manifest.entries if e.name == "package.json"]
    assert entry.note.endswith("not in the context")
    assert any("package.json is not in the build context" in w for w in result.warnings)


def test_key_misses_names_each_uncovered_source_once(checkout: Path) -> None:
    config = parse({"cache-on": ["package.json", "src/a.py"]}, ENV, checkout)
    result = compute(config, checkout, platform=PLATFORM)
    misses = key_misses(config, checkout, result.manifest, platform=PLATFORM)
    assert misses.title == "2 COPY/ADD sources not in the key"
    assert misses.lines == (
        "COPY $DIR/ ./src (Dockerfile:6): src/ goes into the image but 1 of its 2 files are not "
        "in the key; the cached image will not change when it does. Add it to cache-on, or set "
        "cache-on-copied: true.",
        "COPY bin/run /usr/bin/ (Dockerfile:7): bin/run goes into the image but not into the "
        "key; the cached image will not change when it does. Add it to cache-on, or set "
        "cache-on-copied: true.",
    )
    with_option = parse({"cache-on-copied": True}, ENV, checkout)
    assert key_misses(with_option, checkout, result.manifest, platform=PLATFORM).lines == ()


def test_ecr_cache_checksum_prints_the_group_on_stderr(checkout: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ecr_cache_tui", "checksum", "--platform", PLATFORM],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), **ENV, "BUILDKITE_PLUGIN_CONFIGURATION": "{}"},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "~~~ ecr-cache: 3 COPY/ADD sources not in the key"
    assert [line.split(" (Dockerfile:")[0] for line in lines[1:]] == [
        "COPY package.json ./",
        "COPY $DIR/ ./src",
        "COPY bin/run /usr/bin/",
    ]
    assert "not in the key" not in proc.stdout


def test_a_run_bind_mount_of_the_context_is_an_input_and_a_named_miss(checkout: Path) -> None:
    (checkout / "Dockerfile").write_text(
        "FROM scratch\nRUN --mount=type=bind,source=lib,target=/lib make\n"
    )
    (checkout / "lib").mkdir()
    (checkout / "lib" / "l.py").write_text("l")
    before = _result(checkout).manifest
    assert [(e.name, e.note) for e in before.entries if e.kind == COPIED] == [
        ("lib", "RUN (Dockerfile:2), 1 file")
    ]
    (checkout / "lib" / "l.py").write_text("changed")
    assert _result(checkout).tag != before.tag
    config = parse({}, ENV, checkout)
    result = compute(config, checkout, platform=PLATFORM)
    (line,) = key_misses(config, checkout, result.manifest, platform=PLATFORM).lines
    assert line.startswith("RUN --mount=type=bind,source=lib,target=/lib (Dockerfile:2): ")
    assert "lib is read by this RUN but is not in the key; " in line


def test_the_checkouts_git_directory_is_left_out_with_a_warning(checkout: Path) -> None:
    (checkout / "Dockerfile").write_text("FROM scratch\nCOPY . /app\n")
    (checkout / ".git" / "objects").mkdir(parents=True)
    (checkout / ".git" / "index").write_text("differs between clones")
    result = _result(checkout)
    files = [f.path for e in result.manifest.entries if e.kind == COPIED for f in e.files]
    assert "src/a.py" in files
    assert not [f for f in files if f.startswith(".git")]
    assert any("Add .git to .dockerignore" in w for w in result.warnings)
    (checkout / ".git" / "index").write_text("another clone")
    assert _result(checkout).tag == result.tag
