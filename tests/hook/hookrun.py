"""Run the real ``hooks/pre-command`` as the Buildkite agent does, and read what it exported.

The hook is *sourced* by ``bash`` in a Buildkite-like environment: cwd is a checkout,
``BUILDKITE_PLUGIN_CONFIGURATION`` holds the plugin's JSON, ``ECR_CACHE_PYTHON`` is this test
interpreter (so the shim skips its bootstrap), AWS points at moto and ``registry-hostname`` at
the htpasswd registry that plays ECR's data plane. After the hook returns, the job shell's
environment is dumped with ``env -0``: what a later hook or the command would see.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import leaks
from tests.leaks import TOKEN_FORMS
from tests.services import Services

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "hooks" / "pre-command"
__all__ = ["EXPORT_VARS", "HOOK", "TOKEN_FORMS", "Agent", "HookRun"]

EXPORT_VARS = (
    "BUILDKITE_PLUGIN_DOCKER_IMAGE",
    "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_IMAGE",
    "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG",
)


_SCRIPT = r"""
source "$1"
rc=$?
env -0 >"$2"
exit "$rc"
"""


@dataclass(frozen=True)
class HookRun:
    """One sourcing of the hook: its status, its whole output, and the job's env afterwards."""

    rc: int
    output: str
    env: dict[str, str]

    @property
    def exported(self) -> dict[str, str]:
        """The three variables SPEC §2.2 names, as far as they were exported."""
        return {k: self.env[k] for k in EXPORT_VARS if k in self.env}

    @property
    def reference(self) -> str:
        return self.env["BUILDKITE_PLUGIN_DOCKER_IMAGE"]

    @property
    def tag(self) -> str:
        return self.env["BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG"]

    @property
    def image(self) -> str:
        return self.env["BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_IMAGE"]


def ok(run: HookRun) -> HookRun:
    """``run``, which must have ended with status 0 and shown no traceback."""
    assert run.rc == 0, run.output
    assert "Traceback" not in run.output
    return run


def summary(run: HookRun) -> str:
    """The last ``ecr-cache: `` line of ``run``'s log: what the job ended with."""
    return next(
        line for line in reversed(run.output.splitlines()) if line.startswith("ecr-cache: ")
    )


#: What the local hit must never import (its interpreter is listed by :class:`ModuleSpy`).
HEAVY = ("botocore", "boto3", "docker", "requests", "urllib3", "s3transfer")

#: Plays the interpreter: runs the shim's own code as the shim asks (``-I -c CODE PLUGIN_DIR
#: ...``), then writes the names in ``sys.modules`` to the file named by its first line's argument.
MODULES_SCRIPT = """
import atexit, json, sys
atexit.register(lambda: open(OUT, "w").write(json.dumps(sorted(sys.modules))))
assert sys.argv[1:3] == ["-I", "-c"], sys.argv
code = sys.argv[3]
sys.argv = ["-c", *sys.argv[4:]]
exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
"""


@dataclass(frozen=True)
class ModuleSpy:
    """An interpreter for the shim (``ECR_CACHE_PYTHON``) that lists the modules a run loaded."""

    python: Path
    listing: Path

    @classmethod
    def at(cls, directory: Path) -> ModuleSpy:
        listing = directory / "modules.json"
        script = directory / "list_modules.py"
        script.write_text(f"OUT = {str(listing)!r}\n{MODULES_SCRIPT}")
        python = directory / "python-that-lists-modules"
        python.write_text(f'#!/bin/bash\nexec {sys.executable} {script} "$@"\n')
        python.chmod(0o755)
        return cls(python, listing)

    def loaded(self) -> list[str]:
        """The names in ``sys.modules`` when the last run's interpreter exited."""
        return list(json.loads(self.listing.read_text()))


@dataclass
class Agent:
    """A Buildkite-like job environment on the test services.

    Attributes:
        services: the run's services.
        home: ``HOME`` for the job (an empty Docker config unless a test writes one).
        transcript: every run's output, scanned for secrets when the test ends.
        builder: ``legacy`` or ``buildkit``: which docker CLI builds.
        wrap: the argv prefix the job shell runs under, given the checkout (``nsenter ...``:
            another namespace, which must also enter the checkout).
        hook: the ``pre-command`` file to source (a copy elsewhere plays another checkout).
    """

    services: Services
    home: Path
    transcript: list[str]
    builder: str = "legacy"
    wrap: Callable[[Path], list[str]] | None = None
    hook: Path = HOOK

    def environment(
        self,
        config: Mapping[str, Any] | None,
        pipeline: str,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The job's environment; ``config`` ``None``: no ``BUILDKITE_PLUGIN_CONFIGURATION``."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "BUILDKITE": "true",
            "BUILDKITE_ORGANIZATION_SLUG": "acme",
            "BUILDKITE_PIPELINE_SLUG": pipeline,
            "BUILDKITE_JOB_ID": "job-1",
            "ECR_CACHE_PYTHON": sys.executable,
        }
        if config is not None:
            env["BUILDKITE_PLUGIN_CONFIGURATION"] = json.dumps(config)
        env.update(self.services.env(moto=True, base=env))
        env.pop("AWS_REGION", None)
        if self.builder == "buildkit":
            env["ECR_CACHE_DOCKER_CLI"] = self.services.buildkit_cli
        else:
            env["ECR_CACHE_DOCKER_CLI"] = self.services.legacy_cli
            env["DOCKER_BUILDKIT"] = "0"
        env.update(extra or {})
        return env

    def start(
        self,
        checkout: Path,
        config: Mapping[str, Any] | None,
        pipeline: str,
        extra: Mapping[str, str] | None = None,
    ) -> tuple[subprocess.Popen[bytes], Path]:
        """Start sourcing the hook; :meth:`finish` collects it (lets tests run several at once)."""
        dump = checkout.parent / f".env-{pipeline}-{len(self.transcript)}-{os.urandom(4).hex()}"
        proc = subprocess.Popen(
            [
                *(self.wrap(checkout) if self.wrap else []),
                "bash",
                "-c",
                _SCRIPT,
                "job",
                str(self.hook),
                str(dump),
            ],
            cwd=checkout,
            env=self.environment(config, pipeline, extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # The agent runs each job in a process group of its own, and signals that group.
            start_new_session=True,
        )
        return proc, dump

    def finish(self, proc: subprocess.Popen[bytes], dump: Path) -> HookRun:
        out, _ = proc.communicate(timeout=280)
        return self._collect(proc, out.decode("utf-8", "replace"), dump)

    def cancel(
        self,
        checkout: Path,
        config: Mapping[str, Any],
        pipeline: str,
        extra: Mapping[str, str] | None = None,
        *,
        when: Callable[[str], bool],
        signum: int = signal.SIGTERM,
        timeout: float = 120.0,
    ) -> HookRun:
        """Source the hook and, once ``when(output so far)`` holds, signal its process group
        (what the agent does to cancel a job); then wait for it as :meth:`finish` does."""
        proc, dump = self.start(checkout, config, pipeline, extra)
        assert proc.stdout is not None
        stream = proc.stdout
        chunks: list[bytes] = []

        def read() -> None:
            for line in iter(stream.readline, b""):
                chunks.append(line)

        reader = threading.Thread(target=read)
        reader.start()
        deadline = time.monotonic() + timeout
        try:
            while not when(b"".join(chunks).decode("utf-8", "replace")):
                assert proc.poll() is None, b"".join(chunks).decode("utf-8", "replace")
                assert time.monotonic() < deadline, "the moment to cancel never came"
                time.sleep(0.05)
            os.killpg(proc.pid, signum)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            reader.join(60)
        return self._collect(proc, b"".join(chunks).decode("utf-8", "replace"), dump)

    def _collect(self, proc: subprocess.Popen[bytes], output: str, dump: Path) -> HookRun:
        self.transcript.append(output)
        leaks.seen(output)
        env: dict[str, str] = {}
        if dump.exists():
            fields = dump.read_bytes().split(b"\0")
            for item in fields:
                name, sep, value = item.decode("utf-8", "replace").partition("=")
                if sep:
                    env[name] = value
            dump.unlink()
        return HookRun(proc.returncode, output, env)

    def run(
        self,
        checkout: Path,
        config: Mapping[str, Any] | None,
        pipeline: str,
        extra: Mapping[str, str] | None = None,
    ) -> HookRun:
        """Source the hook once and wait for it."""
        return self.finish(*self.start(checkout, config, pipeline, extra))
