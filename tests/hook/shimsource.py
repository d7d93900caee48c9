"""The real hook sourced in ``bash -c`` the way the agent's wrapper does, with a fake package
(``fake-python``) that records how it was run and writes the export file it is told to; what
the job shell is left with afterwards, dumped NUL-separated (``tests/hook/test_shim.py`` and
the shim's reliability tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "hooks" / "pre-command"
# Absolute: some tests run the hook with a PATH that holds nothing else.
BASH = shutil.which("bash") or "/bin/bash"

FAKE_PYTHON = r"""#!/bin/bash
# Plays `python -m ecr_cache_tui hook pre-command --export-file FILE`.
printf '%s\0' "$PWD" "$@" >"$FAKE_ARGV"
out=
while (($#)); do
  if [[ $1 == --export-file ]]; then out=$2; shift; fi
  shift
done
if [[ -n ${FAKE_RECORDS:-} && -n $out ]]; then cat -- "$FAKE_RECORDS" >"$out"; fi
echo "fake hook output"
exit "${FAKE_RC:-0}"
"""

# Runs after the hook is sourced: its status, then the job shell's state, NUL-separated, to a file.
DUMP = r"""
{
  printf 'rc\0%s\0' "$__t_rc"
  printf 'flags\0%s\0' "$-"
  printf 'set_o\0%s\0' "$(set +o)"
  printf 'shopt\0%s\0' "$(shopt -p)"
  printf 'ifs\0%s\0' "$IFS"
  printf 'pwd\0%s\0' "$PWD"
  printf 'args\0%s\0' "$*"
  printf 'traps\0%s\0' "$(trap -p)"
  printf 'functions\0%s\0' "$(declare -F)"
  printf 'vars\0%s\0' "$(compgen -v | grep -v -e '^__t_' -e '^_$' -e '^BASH_' -e '^FUNCNAME$' \
      -e '^PIPESTATUS$' -e '^LINENO$' -e '^RANDOM$' -e '^SRANDOM$' -e '^SECONDS$' \
      -e '^EPOCH' -e '^COLUMNS$' -e '^LINES$')"
  for __t_name in $__T_WANT; do
    if [[ -v $__t_name ]]; then printf 'var:%s\0%s\0' "$__t_name" "${!__t_name}"; fi
  done
} >"$__T_OUT"
"""


@dataclass(frozen=True)
class Sourced:
    """What one sourcing of the hook left behind."""

    rc: int
    state: Mapping[str, str]
    values: Mapping[str, bytes]
    stdout: str
    stderr: str
    argv: tuple[str, ...]


def make_work(tmp_path: Path) -> Path:
    """A job's directory: ``checkout/`` and ``fake-python`` (:data:`FAKE_PYTHON`), which
    :func:`source_hook` runs as the package."""
    (tmp_path / "checkout").mkdir()
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    return tmp_path


def records(*pairs: tuple[bytes, bytes]) -> bytes:
    return b"".join(name + b"\0" + value + b"\0" for name, value in pairs)


def source_hook(
    work: Path,
    export_file: bytes | None,
    *,
    before: str = "",
    want: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    rc: int = 0,
    args: str = "",
) -> Sourced:
    """Source the real hook in ``bash -c`` after ``before``; return its status and shell state."""
    out = work / "state"
    argv_log = work / "argv"
    records_file = work / "records"
    for stale in (out, argv_log, records_file):
        stale.unlink(missing_ok=True)
    if export_file is not None:
        records_file.write_bytes(export_file)
    # With a failure expected, `||` keeps a caller's `set -e` from ending the shell before the dump.
    source = '. "$__T_HOOK" || __t_rc=$?' if rc else '. "$__T_HOOK"; __t_rc=$?'
    script = f"{before}\nset -- {args}\n__t_rc=0\n{source}\n{DUMP}"
    full_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "ECR_CACHE_PYTHON": str(work / "fake-python"),
        "FAKE_ARGV": str(argv_log),
        "FAKE_RC": str(rc),
        "__T_HOOK": str(HOOK),
        "__T_OUT": str(out),
        "__T_WANT": " ".join(want),
        "LC_ALL": "C.UTF-8",
    }
    if export_file is not None:
        full_env["FAKE_RECORDS"] = str(records_file)
    full_env.update(env or {})
    proc = subprocess.run(
        [BASH, "-c", script],
        cwd=work / "checkout",
        env=full_env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    fields = out.read_bytes().split(b"\0")[:-1] if out.exists() else []
    pairs = dict(zip(fields[::2], fields[1::2], strict=True))
    state = {k.decode(): v.decode() for k, v in pairs.items() if not k.startswith(b"var:")}
    values = {k[4:].decode(): v for k, v in pairs.items() if k.startswith(b"var:")}
    argv = (
        tuple(a.decode() for a in argv_log.read_bytes().split(b"\0")[:-1])
        if argv_log.exists()
        else ()
    )
    return Sourced(
        rc=int(state["rc"]) if "rc" in state else proc.returncode,
        state=state,
        values=values,
        stdout=proc.stdout.decode(errors="replace"),
        stderr=proc.stderr.decode(errors="replace"),
        argv=argv,
    )
