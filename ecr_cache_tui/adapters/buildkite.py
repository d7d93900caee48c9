"""Buildkite's agent CLI: step annotations, when ``buildkite-agent`` is on PATH.

An annotation is a courtesy: a missing agent binary or a failed call never fails the hook.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping

__all__ = ["Buildkite"]


class Buildkite:
    """``buildkite-agent annotate`` for the current job.

    Args:
        env: the job's environment (``PATH`` locates the agent; the agent itself needs
            ``BUILDKITE_AGENT_ACCESS_TOKEN`` and friends, which it inherits from it).
        runner: ``subprocess.run``-alike, injected for tests.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    ) -> None:
        self._env = dict(env)
        self._runner = runner
        self.agent = shutil.which("buildkite-agent", path=self._env.get("PATH"))

    @property
    def available(self) -> bool:
        """Whether an agent binary was found."""
        return self.agent is not None

    def annotate(self, body: str, *, style: str, context: str) -> str | None:
        """Add (or replace, by ``context``) an annotation; return an error text on failure."""
        if self.agent is None:
            return None
        argv = [self.agent, "annotate", "--style", style, "--context", context, body]
        try:
            done = self._runner(
                argv, env=self._env, capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"buildkite-agent annotate: {exc}"
        if done.returncode != 0:
            return f"buildkite-agent annotate exited {done.returncode}"
        return None
