"""Cancelling the real ``hooks/pre-command`` as the agent does: a signal to the job's process group.

The shim is sourced by ``bash`` in a session of its own (the agent runs each job in its own
process group) with a fake Python that plays the package: it writes its export records, says it
is ready, and waits to be signalled. The test then signals the whole group, as the agent does on
a cancel, and checks what the job's shell is left with: the hook's status (143 or 130), nothing
exported, no ``$TMPDIR/ecr-cache-hook.*`` left, the job's own traps and functions as they were,
and the shell itself still running (the agent's wrapper must get to record the environment).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hook.shimsource import BASH, DUMP, HOOK

# Plays the package: records, then waits for the signal; exits as the package does (143/130),
# or, with FAKE_DIE, is killed by it (a package that had no time to catch it).
FAKE_PYTHON = r"""#!/bin/bash
out=
while (($#)); do
  if [[ $1 == --export-file ]]; then out=$2; shift; fi
  shift
done
printf 'CANCELLED_EXPORT\0should-not-appear\0' >"$out"
# Its child (the build) is stopped with it. A background command ignores SIGINT in a script, so
# the package stops it itself, as the real one stops its `docker build`.
sleep 30 >/dev/null &
child=$!
if [[ -z ${FAKE_DIE:-} ]]; then
  trap 'kill "$child"; echo "package: cleaned up"; exit 143' TERM
  trap 'kill "$child"; echo "package: cleaned up"; exit 130' INT
else
  trap 'kill "$child"' EXIT
fi
echo "package: building"
: >"$FAKE_READY"
wait
echo "package: not cancelled"
"""

JOB_SETUP = r"""
trap 'echo job-term-trap-ran' TERM
trap 'echo job-int-trap-ran' INT
mine() { :; }
"""


@dataclass(frozen=True)
class Cancelled:
    rc: int
    state: dict[str, str]
    values: dict[str, bytes]
    output: str
    leftovers: list[str]


def wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "the job ended before the package started"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def cancel_sourced_hook(
    tmp_path: Path, signum: int, *, die: bool = False, setup: str = JOB_SETUP
) -> Cancelled:
    """Source the hook after ``setup``, signal its process group once the package runs."""
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    checkout = tmp_path / "checkout"
    checkout.mkdir(exist_ok=True)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    ready = tmp_path / "ready"
    ready.unlink(missing_ok=True)
    out = tmp_path / "state"
    script = f'{setup}\n__t_rc=0\n. "$__T_HOOK" || __t_rc=$?\necho "job: still here"\n{DUMP}'
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TMPDIR": str(tmpdir),
        "ECR_CACHE_PYTHON": str(fake),
        "FAKE_READY": str(ready),
        "__T_HOOK": str(HOOK),
        "__T_OUT": str(out),
        "__T_WANT": "CANCELLED_EXPORT",
        "LC_ALL": "C.UTF-8",
    }
    if die:
        env["FAKE_DIE"] = "1"
    proc = subprocess.Popen(
        [BASH, "-c", script],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(ready, proc)
        os.killpg(proc.pid, signum)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    fields = out.read_bytes().split(b"\0")[:-1] if out.exists() else []
    pairs = dict(zip(fields[::2], fields[1::2], strict=True))
    state = {k.decode(): v.decode() for k, v in pairs.items() if not k.startswith(b"var:")}
    values = {k[4:].decode(): v for k, v in pairs.items() if k.startswith(b"var:")}
    return Cancelled(
        rc=int(state.get("rc", "-1")),
        state=state,
        values=values,
        output=output.decode(errors="replace"),
        leftovers=sorted(p.name for p in tmpdir.iterdir()),
    )


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_cancel_returns_its_status_to_the_job_shell_with_nothing_left_behind(
    tmp_path: Path, signum: int, code: int
) -> None:
    result = cancel_sourced_hook(tmp_path, signum)

    assert result.rc == code, result.output
    assert "package: cleaned up" in result.output
    assert "job: still here" in result.output  # the agent's wrapper gets to record the env
    assert result.values == {}  # the package had written a record: not exported
    assert result.leftovers == []
    # The job's own traps were neither run nor replaced; the shim's functions are gone.
    assert "trap-ran" not in result.output
    assert "echo job-term-trap-ran" in result.state["traps"]
    assert "echo job-int-trap-ran" in result.state["traps"]
    assert "__ecr" not in result.state["functions"]
    assert "mine" in result.state["functions"]


def test_a_package_killed_by_the_signal_still_leaves_nothing_behind(tmp_path: Path) -> None:
    result = cancel_sourced_hook(tmp_path, signal.SIGTERM, die=True, setup="")

    assert result.rc == 143, result.output
    assert result.values == {}
    assert result.leftovers == []
    assert result.state["traps"] == ""  # none before, none after


def test_without_a_cancel_the_job_traps_are_untouched(tmp_path: Path) -> None:
    # The shim's traps exist only while it runs: a later SIGTERM reaches the job's own trap.
    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/bash\nexit 3\n")
    fake.chmod(0o755)
    (tmp_path / "checkout").mkdir()
    script = f'{JOB_SETUP}\n. "{HOOK}"; echo "rc=$?"; kill -TERM $$; echo after'
    done = subprocess.run(
        [BASH, "-c", script],
        cwd=tmp_path / "checkout",
        env={"PATH": os.environ["PATH"], "ECR_CACHE_PYTHON": str(fake), "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.stdout.splitlines() == ["rc=3", "job-term-trap-ran", "after"]
