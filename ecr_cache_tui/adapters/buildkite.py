"""Buildkite's agent CLI: step annotations, when ``buildkite-agent`` is on PATH.

An annotation is a courtesy: a missing agent binary, a failed call or one that hangs (the agent
retries its API calls for a long while when Buildkite is slow) never fails the hook and never
holds it up for more than :data:`TIMEOUT` seconds.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping

__all__ = ["TIMEOUT", "Buildkite"]

#: Seconds one ``buildkite-agent annotate`` may take before it is killed and skipped.
TIMEOUT = 5.0


class Buildkite:
    """``buildkite-agent annotate`` for the current job.

    Args:
        env: the job's environment (``PATH`` locates the agent; the agent itself needs
            ``BUILDKITE_AGENT_ACCESS_TOKEN`` and friends, which it inherits from it).
        runner: ``subprocess.run``-alike, injected for tests.
        timeout: seconds before a call is killed.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
        timeout: float = TIMEOUT,
    ) -> None:
        self._env = dict(env)
        self._runner = runner
        self._timeout = timeout
        self.agent = shutil.which("buildkite-agent", path=self._env.get("PATH"))

    @property
    def available(self) -> bool:
        """Whether an agent binary was found."""
        return self.agent is not None

    def annotate(self, body: str, *, style: str, context: str, append: bool = False) -> str | None:
        """Write (or append to) the annotation ``context``; return an error text on failure.

        The body goes through stdin, so its size is not bounded by the argv limit.
        """
        if self.agent is None:
            return None
        argv = [self.agent, "annotate", "--style", style, "--context", context]
        if append:
            argv.append("--append")
        try:
            done = self._runner(
                argv,
                env=self._env,
                input=body,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"buildkite-agent annotate took longer than {self._timeout:g}s"
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            return f"buildkite-agent annotate: {exc}"
        if done.returncode != 0:
            said = " ".join((done.stderr or "").split())[-200:]
            return f"buildkite-agent annotate exited {done.returncode}" + (
                f": {said}" if said else ""
            )
        return None
