"""The host's state files and build locks, on a real file system, with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ecr_cache_tui.adapters.host_state import FileBuildLock, HostState, holder_text, state_dir
from ecr_cache_tui.host_records import (
    BaseImageRecord,
    DaemonRecord,
    EnsuredRecord,
    LockBusy,
    PendingPush,
    RepositoryKey,
)

KEY = RepositoryKey("", "eu-west-1", "build-cache/acme/web")
RECORD = EnsuredRecord(KEY, "1.dkr.ecr.eu-west-1.amazonaws.com", "1", 1e9, 14, "abcd")
REFERENCE = "1.dkr.ecr.eu-west-1.amazonaws.com/build-cache/acme/web:" + "ab" * 16


def state(directory: Path | None, warnings: list[str], holder: str = "pid 1") -> HostState:
    return HostState(directory, scope="moto\nunix:///d.sock", holder=holder, warn=warnings.append)


def test_where_the_state_lives() -> None:
    assert state_dir({"XDG_STATE_HOME": "/x/state", "HOME": "/h"}) == Path("/x/state/ecr-cache-tui")
    assert state_dir({"HOME": "/h"}) == Path("/h/.local/state/ecr-cache-tui")
    assert state_dir({"XDG_STATE_HOME": "relative", "HOME": "/h"}) == Path(
        "/h/.local/state/ecr-cache-tui"
    ), "a relative XDG_STATE_HOME is ignored (XDG spec)"
    assert state_dir({}) is None


def test_records_round_trip_and_are_shared_by_another_instance(tmp_path: Path) -> None:
    warnings: list[str] = []
    first = state(tmp_path, warnings)
    assert first.ensured(KEY) is None and first.pending_push(REFERENCE) is None
    first.save_ensured(RECORD)
    first.save_pending_push(PendingPush(REFERENCE, True, 2e9, "refused"))
    other = state(tmp_path, warnings)  # another agent of the host
    assert other.ensured(KEY) == RECORD
    assert other.pending_push(REFERENCE) == PendingPush(REFERENCE, True, 2e9, "refused")
    other.clear_pending_push(REFERENCE)
    assert first.pending_push(REFERENCE) is None
    assert warnings == []


NODE = "registry-1.docker.io/library/node:20"
BASE = BaseImageRecord(NODE, "linux/amd64", "sha256:" + "a" * 64, 1e9)


def test_base_image_records_round_trip_per_name_and_platform(tmp_path: Path) -> None:
    warnings: list[str] = []
    state(tmp_path, warnings).save_base_image(BASE)
    other = state(tmp_path, warnings)
    assert other.base_image(NODE, "linux/amd64") == BASE
    assert other.base_image(NODE, "linux/arm64") is None
    assert other.base_image(NODE.replace("20", "22"), "linux/amd64") is None
    assert warnings == []


@pytest.mark.parametrize(
    "digest",
    ["sha256:" + "A" * 64, "sha256:abc", "sha256:" + "a" * 64 + "\x1b[2J", "md5:" + "a" * 32],
)
def test_a_kept_digest_that_is_not_one_reads_as_unknown(tmp_path: Path, digest: str) -> None:
    host = state(tmp_path, [])
    host.save_base_image(BaseImageRecord(NODE, "linux/amd64", digest, 1e9))
    assert host.base_image(NODE, "linux/amd64") is None


def test_a_corrupt_base_image_record_is_one_warning_and_unknown(tmp_path: Path) -> None:
    warnings: list[str] = []
    host = state(tmp_path, warnings)
    host.save_base_image(BASE)
    (path,) = (tmp_path / "base-images").iterdir()
    path.write_bytes(b'{"version": 1, "name": 5}')
    assert host.base_image(NODE, "linux/amd64") is None
    assert len(warnings) == 1


DAEMON = "unix:///var/run/docker.sock 2049:1234:1700000000000000000"


def test_daemon_records_round_trip_per_daemon_run(tmp_path: Path) -> None:
    warnings: list[str] = []
    state(tmp_path, warnings).save_daemon_platform(DaemonRecord(DAEMON, "linux/arm/v7", 1e9))
    other = state(tmp_path, warnings)
    assert other.daemon_platform(DAEMON) == DaemonRecord(DAEMON, "linux/arm/v7", 1e9)
    assert other.daemon_platform(DAEMON.replace(":1234:", ":1235:")) is None, "a new socket"
    assert warnings == []


@pytest.mark.parametrize(
    "platform", ["linux/amd64\x1b]0;PWNED\x07", "linux", "Linux/AMD64", "linux/" + "a" * 100, ""]
)
def test_a_kept_platform_that_is_not_one_reads_as_unknown(tmp_path: Path, platform: str) -> None:
    host = state(tmp_path, [])
    host.save_daemon_platform(DaemonRecord(DAEMON, platform, 1e9))
    assert host.daemon_platform(DAEMON) is None


def test_another_scope_does_not_share_records(tmp_path: Path) -> None:
    first = state(tmp_path, [])
    first.save_ensured(RECORD)
    elsewhere = HostState(tmp_path, scope="other endpoint", holder="pid 2", warn=print)
    assert elsewhere.ensured(KEY) is None


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": 1, "host": 5}', b"[]", b"\xff\xfe not utf-8"],
)
def test_a_corrupt_record_reads_as_nothing_with_one_warning_and_is_rewritten(
    tmp_path: Path, content: bytes
) -> None:
    warnings: list[str] = []
    host = state(tmp_path, warnings)
    host.save_ensured(RECORD)
    (path,) = (tmp_path / "repositories").iterdir()
    path.write_bytes(content)
    assert host.ensured(KEY) is None
    assert host.ensured(KEY) is None
    assert len(warnings) <= 1
    host.save_ensured(RECORD)
    assert state(tmp_path, []).ensured(KEY) == RECORD


def test_an_unwritable_location_costs_one_warning_and_nothing_else(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    warnings: list[str] = []
    host = state(blocker / "ecr-cache-tui", warnings)
    host.save_ensured(RECORD)
    host.save_pending_push(PendingPush(REFERENCE, True, 1.0))
    assert host.try_build_lock(REFERENCE) is None
    assert host.ensured(KEY) is None
    assert len(warnings) == 1
    assert str(blocker) in warnings[0] and "the job goes on" in warnings[0].lower()


def test_no_directory_at_all_is_one_warning(tmp_path: Path) -> None:
    warnings: list[str] = []
    host = state(None, warnings)
    assert host.ensured(KEY) is None and host.try_build_lock(REFERENCE) is None
    assert len(warnings) == 1 and "HOME" in warnings[0]


def test_a_held_lock_tells_others_who_holds_it_and_is_free_once_released(tmp_path: Path) -> None:
    holder = holder_text({"BUILDKITE_AGENT_NAME": "agent-3", "BUILDKITE_JOB_ID": "j-9"}, 77, 0.0)
    mine = state(tmp_path, [], holder=holder).try_build_lock(REFERENCE)
    assert isinstance(mine, FileBuildLock)
    busy = state(tmp_path, []).try_build_lock(REFERENCE)
    assert busy == LockBusy("pid 77 (agent agent-3, job j-9, since 00:00:00 UTC)")
    mine.release()
    again = state(tmp_path, []).try_build_lock(REFERENCE)
    assert isinstance(again, FileBuildLock)
    again.release()


HOLD = """
import sys, time
from pathlib import Path
from ecr_cache_tui.adapters.host_state import HostState
lock = HostState(Path(sys.argv[1]), scope=sys.argv[2], holder="pid of the child", warn=print)
held = lock.try_build_lock(sys.argv[3])
print("held" if held and not hasattr(held, "holder") else f"not held: {held}", flush=True)
time.sleep(600)
"""


def test_a_dead_holders_lock_is_taken_over(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path), "moto\nunix:///d.sock", REFERENCE],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        assert state(tmp_path, []).try_build_lock(REFERENCE) == LockBusy("pid of the child")
        os.kill(child.pid, signal.SIGKILL)  # no clean-up of any kind
        child.wait(timeout=30)
        taken = state(tmp_path, []).try_build_lock(REFERENCE)
        assert isinstance(taken, FileBuildLock)
        taken.release()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_holder_text_is_one_printable_line() -> None:
    text = holder_text({"BUILDKITE_AGENT_NAME": "evil\n\x1b[31mname"}, 5, 0.0)
    assert "\n" not in text and "\x1b" not in text and "evil" in text


# --- hostile files: nothing trusted, nothing blocks, one warning ---------------------------------


def record_path(tmp_path: Path, host: HostState) -> Path:
    """Where ``host`` keeps RECORD (written once, to find its name)."""
    host.save_ensured(RECORD)
    (path,) = (tmp_path / "repositories").iterdir()
    return path


def deep_json(depth: int) -> bytes:
    return b'{"version": 1, "a": ' + b"[" * depth + b"]" * depth + b"}"


HOSTILE = {
    "deep": lambda: deep_json(100_000),
    "50MB": lambda: b'{"version": 1, "host": "' + b"x" * (50 << 20) + b'"}',
    "huge-number": lambda: b'{"version": 1, "ensured_at": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_malformed_content_is_one_warning_and_nothing_known(tmp_path: Path, kind: str) -> None:
    warnings: list[str] = []
    host = state(tmp_path, warnings)
    record_path(tmp_path, host).write_bytes(HOSTILE[kind]())

    assert host.ensured(KEY) is None
    assert host.ensured(KEY) is None
    assert len(warnings) == 1
    assert len(warnings[0]) < 1000


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_malformed_daemon_record_is_one_warning_and_unknown(tmp_path: Path, kind: str) -> None:
    warnings: list[str] = []
    host = state(tmp_path, warnings)
    host.save_daemon_platform(DaemonRecord(DAEMON, "linux/amd64", 1e9))
    (path,) = (tmp_path / "daemons").iterdir()
    path.write_bytes(HOSTILE[kind]())

    assert host.daemon_platform(DAEMON) is None
    assert len(warnings) == 1 and len(warnings[0]) < 1000


def test_a_fifo_in_place_of_a_record_does_not_block(tmp_path: Path) -> None:
    warnings: list[str] = []
    host = state(tmp_path, warnings)
    path = record_path(tmp_path, host)
    path.unlink()
    os.mkfifo(path)
    done = subprocess.run(
        [sys.executable, "-c", READ_RECORD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["None", "1 warning: not a regular file"]


READ_RECORD = """
import sys
from pathlib import Path
from ecr_cache_tui.adapters.host_state import HostState
from ecr_cache_tui.host_records import RepositoryKey
warnings = []
host = HostState(Path(sys.argv[1]), scope="moto\\nunix:///d.sock", holder="x", warn=warnings.append)
print(host.ensured(RepositoryKey("", "eu-west-1", "build-cache/acme/web")))
said = "not a regular file" if "not a regular file" in warnings[0] else warnings[0]
print(f"{len(warnings)} warning: {said}")
"""


def test_a_symlinked_record_is_not_followed_and_is_replaced_not_written_through(
    tmp_path: Path,
) -> None:
    warnings: list[str] = []
    host = state(tmp_path / "state", warnings)
    path = record_path(tmp_path / "state", host)
    target = tmp_path / "elsewhere.json"
    target.write_text(path.read_text())
    path.unlink()
    path.symlink_to(target)

    assert host.ensured(KEY) is None
    assert len(warnings) == 1 and "symlink" in warnings[0]
    before = target.read_bytes()
    state(tmp_path / "state", []).save_ensured(RECORD)
    assert target.read_bytes() == before
    assert not path.is_symlink()


def test_a_planted_lock_symlink_does_not_truncate_its_target(tmp_path: Path) -> None:
    warnings: list[str] = []
    probe = state(tmp_path, [])
    lock = probe.try_build_lock(REFERENCE)
    assert isinstance(lock, FileBuildLock)
    lock.release()
    (path,) = (tmp_path / "locks").iterdir()
    precious = tmp_path / "precious"
    precious.write_text("keep me\n")
    path.unlink()
    path.symlink_to(precious)

    assert state(tmp_path, warnings).try_build_lock(REFERENCE) is None

    assert precious.read_text() == "keep me\n"
    assert len(warnings) == 1 and "symlink" in warnings[0]


@pytest.mark.parametrize("spoil", ["group-writable", "foreign", "symlinked"])
def test_a_state_directory_that_is_not_the_users_own_is_not_trusted(
    tmp_path: Path, spoil: str
) -> None:
    directory = tmp_path / "root" / "ecr-cache-tui"
    state(directory, []).save_ensured(RECORD)
    repositories = directory / "repositories"
    if spoil == "group-writable":
        repositories.chmod(0o770)
    elif spoil == "foreign":
        os.chown(directory, 4242, 4242)  # root here: another uid than the job's
    else:
        moved = tmp_path / "moved"
        repositories.rename(moved)
        repositories.symlink_to(moved)
    warnings: list[str] = []
    host = state(directory, warnings)

    assert host.ensured(KEY) is None
    host.save_ensured(RECORD)
    assert host.try_build_lock(REFERENCE) is None
    assert len(warnings) == 1 and "host state at" in warnings[0]


def test_directories_it_makes_are_the_users_alone(tmp_path: Path) -> None:
    directory = tmp_path / "home" / ".local" / "state" / "ecr-cache-tui"
    host = state(directory, [])
    host.save_ensured(RECORD)
    lock = host.try_build_lock(REFERENCE)
    assert isinstance(lock, FileBuildLock)
    lock.release()
    for place in (
        tmp_path / "home",
        tmp_path / "home" / ".local",
        directory.parent,
        directory,
        directory / "repositories",
        directory / "locks",
    ):
        assert place.stat().st_mode & 0o777 == 0o700, place
    for path in (*(directory / "repositories").iterdir(), *(directory / "locks").iterdir()):
        assert path.stat().st_mode & 0o077 == 0, path
