"""The ``docker`` CLI, for builds: the SDK cannot use BuildKit, secrets or ``--ssh``.

:class:`DockerCli` runs an argv list (never a shell) and streams the output line by line; a
failed build is :class:`~ecr_cache_tui.errors.BuildError`. Whatever interrupts the streaming
(a cancellation, :class:`ecr_cache_tui.cancel.Cancelled`, or any other exception) stops the
child first: SIGTERM, then SIGKILL after :data:`STOP_GRACE` seconds. The CLI then hangs up on
the daemon, which abandons the build.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping

from ecr_cache_tui.errors import BuildError

__all__ = ["STOP_GRACE", "DockerCli"]

#: Seconds a stopped ``docker build`` gets to exit after SIGTERM before it is killed.
STOP_GRACE = 5.0


class DockerCli:
    """The ``docker`` CLI, for builds.

    Args:
        executable: the CLI to run (``docker`` on PATH, or the one the job names:
            :data:`~ecr_cache_tui.config.variables.DOCKER_CLI`).
        env: the complete environment the CLI runs with (``DOCKER_HOST`` and friends).
        runner: ``subprocess.run``-alike for short probes; injected for tests.
    """

    def __init__(
        self,
        executable: str,
        env: Mapping[str, str],
        *,
        runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    ) -> None:
        self.executable = executable
        self.env = dict(env)
        self._runner = runner
        self._buildkit: bool | None = None

    def has_buildkit(self) -> bool:
        """Whether ``docker build`` here can use BuildKit.

        True when ``docker buildx`` is installed (the CLI 23+ builder), or when the CLI predates
        23.0 (BuildKit built in, switched on by ``DOCKER_BUILDKIT=1``). An explicit
        ``DOCKER_BUILDKIT=0`` in the environment chooses the legacy builder.
        """
        if self._buildkit is None:
            self._buildkit = self._detect_buildkit()
        return self._buildkit

    def _detect_buildkit(self) -> bool:
        if self.env.get("DOCKER_BUILDKIT", "").strip() == "0":
            return False
        if self._probe(["buildx", "version"]) is not None:
            return True
        version = self._probe(["version", "--format", "{{.Client.Version}}"])
        if version is None:
            # `docker version` exits non-zero when the daemon is down, but still prints the client.
            version = self._probe(["--version"]) or ""
        match = re.search(r"(\d+)\.(\d+)", version)
        return match is not None and int(match.group(1)) < 23

    def _probe(self, args: list[str]) -> str | None:
        try:
            done = self._runner(
                [self.executable, *args],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    def build(self, args: list[str], *, buildkit: bool, on_line: Callable[[str], None]) -> None:
        """Run ``docker build ARGS`` and hand every output line to ``on_line``.

        Raises:
            BuildError: the build exited non-zero, or the CLI could not be started.
        """
        env = dict(self.env)
        env["DOCKER_BUILDKIT"] = "1" if buildkit else "0"
        if buildkit:
            # Plain progress: one line per step event, no terminal redraws in the job log.
            env.setdefault("BUILDKIT_PROGRESS", "plain")
        argv = [self.executable, "build", *args]
        try:
            proc = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            raise BuildError(f"cannot run {self.executable}: {exc}") from exc
        assert proc.stdout is not None
        try:
            for line in _lines(proc.stdout):
                on_line(line)
            code = proc.wait()
        except BaseException:
            _stop(proc)
            raise
        if code != 0:
            raise BuildError(f"docker build exited with status {code}")


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stop ``proc`` (it may have had the signal already: the agent signals the whole group)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _lines(stream: Iterable[str]) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\n")
