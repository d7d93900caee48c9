"""The real ``hooks/pre-command``, sourced by bash as the Buildkite agent does, with a fake Python.

``ECR_CACHE_PYTHON`` points at a small bash script that plays the package: it records how it was
called and copies a crafted ``NAME\\0VALUE\\0`` file to ``--export-file``. That keeps these tests
fast while everything the shim itself does (exports, refusals, exit codes, leaving the job's shell
as it found it) runs for real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.hook.shimsource import (
    BASH,
    HOOK,
    make_work,
    records,
    source_hook,
)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return make_work(tmp_path)


HOSTILE: dict[str, bytes] = {
    "SINGLE_QUOTES": b"it's 'quoted'",
    "DOUBLE_QUOTES": b'say "hi" \\"there\\"',
    "COMMAND_SUBST": b"$(touch {marker})",
    "BACKTICKS": b"`touch {marker}`",
    "PARAM_EXPANSION": b"${HOME} $HOME ${IFS} $0 $$ $@",
    "NEWLINES": b"line one\nline two\n\n",
    "CARRIAGE_RETURN_ESC": b"a\r\x1b[31mred\x1b[0m\tb",
    "UNICODE": "h\u00e9llo \u2713 \u65e5\u672c \U0001f433".encode(),
    "EQUALS": b"a=b==c=",
    "SEMICOLONS": b"x; touch {marker} # && || | &",
    "GLOB": b"* ? [a-z] ~ **/*",
    "BACKSLASHES": b"C:\\path\\n\\t\\\\",
    "SPACES": b"  padded  ",
    "DASH": b"-n",
    "EMPTY": b"",
    "LONG": b"x" * 100_000,
}


def hostile_records(marker: Path) -> bytes:
    return records(
        *(
            (name.encode(), value.replace(b"{marker}", str(marker).encode()))
            for name, value in HOSTILE.items()
        )
    )


def test_hostile_values_are_exported_byte_for_byte_and_run_nothing(work: Path) -> None:
    marker = work / "pwned"

    result = source_hook(work, hostile_records(marker), want=list(HOSTILE))

    assert result.rc == 0, result.stderr
    for name, value in HOSTILE.items():
        assert result.values[name] == value.replace(b"{marker}", str(marker).encode()), name
    assert not marker.exists()


def test_exported_values_reach_child_processes_of_the_job(work: Path) -> None:
    (work / "records").write_bytes(
        records((b"BUILDKITE_PLUGIN_DOCKER_IMAGE", b"reg/cache/a/b:0123"))
    )

    # Exported, not just set: a child of the job's shell (the docker plugin) sees the value.
    child = subprocess.run(
        [BASH, "-c", f'. "{HOOK}" && bash -c \'printf "<%s>" "$BUILDKITE_PLUGIN_DOCKER_IMAGE"\''],
        cwd=work / "checkout",
        env={
            "PATH": os.environ["PATH"],
            "ECR_CACHE_PYTHON": str(work / "fake-python"),
            "FAKE_ARGV": str(work / "argv"),
            "FAKE_RECORDS": str(work / "records"),
        },
        capture_output=True,
        check=True,
    )

    assert child.stdout.endswith(b"<reg/cache/a/b:0123>")


def test_the_package_is_run_as_contracted_from_the_checkout(work: Path) -> None:
    result = source_hook(work, records())

    assert result.rc == 0
    cwd, *argv = result.argv
    assert Path(cwd) == work / "checkout"
    plugin_dir = str(HOOK.resolve().parents[1])
    # Isolated (-I): the checkout, its cwd, is not on the import path; the plugin's is, first.
    assert argv[:2] == ["-I", "-c"]
    assert argv[3:7] == [plugin_dir, "hook", "pre-command", "--export-file"]
    # The plugin's own directory: how it finds its entry in BUILDKITE_PLUGINS on old agents.
    assert argv[8:] == ["--plugin-dir", plugin_dir]
    # The export file is a temporary the shim cleans up.
    assert not Path(argv[7]).exists()


@pytest.mark.parametrize("way", ["relative", "dot-dot", "symlinked plugin", "symlinked hooks"])
def test_the_plugin_directory_is_found_however_the_hook_is_reached(work: Path, way: str) -> None:
    # The agent sources the hook by its plain absolute path (the directory is then found by
    # text, no subshell); any other way is resolved as before, to the same directory.
    repo = HOOK.resolve().parents[1]
    if way == "relative":
        hook = os.path.relpath(HOOK, work / "checkout")
    elif way == "dot-dot":
        hook = str(repo / "hooks" / ".." / "hooks" / "pre-command")
    elif way == "symlinked plugin":
        (work / "plugin-link").symlink_to(repo)
        hook = str(work / "plugin-link" / "hooks" / "pre-command")
    else:
        (work / "other-plugin").mkdir()
        (work / "other-plugin" / "hooks").symlink_to(repo / "hooks")
        hook = str(work / "other-plugin" / "hooks" / "pre-command")

    result = source_hook(work, records(), env={"__T_HOOK": hook})

    assert result.rc == 0, result.stderr
    _, *argv = result.argv
    assert os.path.isabs(argv[3])
    assert Path(argv[3]).resolve() == repo
    assert argv[8:] == ["--plugin-dir", argv[3]]


def test_package_output_passes_through_and_the_shim_adds_nothing(work: Path) -> None:
    result = source_hook(work, records((b"A", b"1")))

    assert result.stdout == "fake hook output\n"
    assert result.stderr == ""


@pytest.mark.parametrize(
    "bad_name",
    [
        b"1FOO",
        b"A B",
        b"FOO;rm",
        b"FOO$(touch x)",
        b"",
        b"\xc3\x89T\xc3\x89",
        b"FOO=BAR",
        b"-n",
        b"__ecr_name",
    ],
    ids=[
        "digit-first",
        "space",
        "semicolon",
        "subst",
        "empty",
        "non-ascii",
        "equals",
        "dash",
        "shim-local",
    ],
)
def test_an_invalid_name_is_refused_and_nothing_is_exported(work: Path, bad_name: bytes) -> None:
    marker = work / "pwned"
    payload = records((b"GOOD_BEFORE", b"1"), (bad_name, b"$(touch " + str(marker).encode() + b")"))

    result = source_hook(work, payload, want=["GOOD_BEFORE"])

    assert result.rc == 2
    assert "refusing to export" in result.stderr
    assert "GOOD_BEFORE" not in result.values
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"NAME_ONLY\0", "no value for NAME_ONLY"),
        (b"A\x001\x00B\x002", "no value for B"),
        (b"A\x001\x00TRAILING", "trailing data"),
    ],
    ids=["odd-fields", "unterminated-value", "unterminated-name"],
)
def test_a_malformed_export_file_fails_the_hook_and_exports_nothing(
    work: Path, payload: bytes, message: str
) -> None:
    result = source_hook(work, payload, want=["A", "NAME_ONLY"])

    assert result.rc == 5
    assert message in result.stderr
    assert result.values == {}


def test_a_missing_export_file_after_success_fails_the_hook(work: Path) -> None:
    result = source_hook(work, None)

    assert result.rc == 5
    assert "wrote no export file" in result.stderr


@pytest.mark.parametrize("code", [1, 2, 3, 4, 130])
def test_the_package_exit_code_propagates_and_nothing_is_exported(work: Path, code: int) -> None:
    result = source_hook(
        work,
        records((b"BUILDKITE_PLUGIN_DOCKER_IMAGE", b"x")),
        rc=code,
        want=["BUILDKITE_PLUGIN_DOCKER_IMAGE"],
    )

    assert result.rc == code
    assert result.values == {}


def test_a_failure_returns_to_the_agents_wrapper_instead_of_exiting_it(work: Path) -> None:
    # The agent's wrapper runs `. hook`, then records the environment and the status: an `exit`
    # inside the hook would skip that, so the line after the `.` must still run.
    result = source_hook(work, records(), rc=3)

    assert result.rc == 3
    assert result.state["pwd"] == str(work / "checkout")


CALLER_SETUPS = {
    "plain": "",
    "strict": "set -euo pipefail",
    "errexit-only": "set -e",
    "nounset-only": "set -u",
    "noglob-and-shopts": "set -f; shopt -s nullglob failglob extglob dotglob",
    "odd-ifs": "IFS=$':\\n'",
    "xtrace": "set -x",
    "trap-and-function": "trap 'echo bye' EXIT; mine() { :; }; MY_VAR=1",
}


@pytest.mark.parametrize("setup", list(CALLER_SETUPS.values()), ids=list(CALLER_SETUPS))
@pytest.mark.parametrize("code", [0, 3])
def test_the_job_shell_is_left_as_it_was_but_for_the_exports(
    work: Path, setup: str, code: int
) -> None:
    baseline = source_hook(
        work, records(), before=setup, env={"__T_HOOK": "/dev/null"}, args="one 'two three'"
    )
    after = source_hook(
        work,
        records((b"NEW_EXPORT", b"v")),
        before=setup,
        want=["NEW_EXPORT"],
        rc=code,
        args="one 'two three'",
    )

    assert after.rc == code
    for key in ("flags", "set_o", "shopt", "ifs", "pwd", "args", "traps", "functions"):
        assert after.state[key] == baseline.state[key], key
    added = set(after.state["vars"].split()) - set(baseline.state["vars"].split())
    removed = set(baseline.state["vars"].split()) - set(after.state["vars"].split())
    assert added == ({"NEW_EXPORT"} if code == 0 else set())
    assert removed == set()


def test_ecr_cache_python_that_is_not_executable_is_an_environment_error(work: Path) -> None:
    result = source_hook(
        work, records(), env={"ECR_CACHE_PYTHON": str(work / "nowhere" / "python")}
    )

    assert result.rc == 5
    assert "ECR_CACHE_PYTHON" in result.stderr
    assert result.argv == ()


def test_ecr_cache_python_may_be_a_command_name_on_path(work: Path) -> None:
    bin_dir = work / "bin"
    bin_dir.mkdir()
    (bin_dir / "my-python").symlink_to(work / "fake-python")

    result = source_hook(
        work,
        records((b"A", b"1")),
        want=["A"],
        env={"ECR_CACHE_PYTHON": "my-python", "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )

    assert result.rc == 0
    assert result.values == {"A": b"1"}


def test_without_python3_on_path_the_hook_says_so(work: Path) -> None:
    empty = work / "empty-bin"
    empty.mkdir()

    result = source_hook(work, records(), env={"ECR_CACHE_PYTHON": "", "PATH": str(empty)})

    assert result.rc == 5
    assert "python3 (3.10 or newer) is not on PATH" in result.stderr


@pytest.mark.parametrize("version", ["Python 3.9.18", "Python 2.7.18", "Python 3.6.15"])
def test_a_python3_older_than_3_10_is_refused_with_its_version(work: Path, version: str) -> None:
    bin_dir = work / "old-bin"
    bin_dir.mkdir()
    old = bin_dir / "python3"
    # Python 2 printed its version on stderr; the shim reads both.
    old.write_text(f"#!/bin/bash\necho '{version}' >&2\n")
    old.chmod(0o755)

    result = source_hook(work, records(), env={"ECR_CACHE_PYTHON": "", "PATH": str(bin_dir)})

    assert result.rc == 5
    assert (
        f"needs Python 3.10 or newer with venv, but {bin_dir / 'python3'} is "
        f"{version.split()[1]} (older than 3.10)" in result.stderr
    )


@pytest.mark.parametrize("relative", ["./fake-python", "sub/../my-python", "bin/python"])
def test_a_relative_ecr_cache_python_is_refused_not_run_from_the_checkout(
    work: Path, relative: str
) -> None:
    # The job's directory is the checkout: a relative path there is its code.
    planted = work / "checkout" / relative
    planted.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(work / "fake-python", planted)

    result = source_hook(work, records((b"A", b"1")), env={"ECR_CACHE_PYTHON": relative}, rc=5)

    assert result.rc == 5
    assert result.argv == ()
    assert "is a relative path" in result.stderr


def test_a_bare_ecr_cache_python_is_not_looked_up_in_a_relative_path_entry(work: Path) -> None:
    shutil.copy2(work / "fake-python", work / "checkout" / "my-python")

    result = source_hook(
        work,
        records((b"A", b"1")),
        env={"ECR_CACHE_PYTHON": "my-python", "PATH": f"{os.environ['PATH']}::."},
        rc=5,
    )

    assert result.rc == 5
    assert result.argv == ()
    assert "ECR_CACHE_PYTHON=my-python is not an executable file" in result.stderr
