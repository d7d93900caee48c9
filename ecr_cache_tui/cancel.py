"""Cancellation: SIGTERM and SIGINT become :class:`Cancelled`, raised in the main thread.

When a job is cancelled the Buildkite agent signals the job's whole process group: SIGTERM (or
SIGINT), then SIGKILL after its grace period. Python's defaults would die at once on SIGTERM
(leaving ``$TMPDIR/ecr-cache-*`` behind) and raise ``KeyboardInterrupt`` on SIGINT. Inside
:func:`cancellable` both raise :class:`Cancelled` instead, wherever the hook is: ``with`` blocks
remove their temporary files, the ``docker build`` child is stopped by the adapter that started
it (:mod:`ecr_cache_tui.adapters.docker_cli`), a push stops where it is (the daemon drops a
push whose client went away), and nothing after it runs. ``Cancelled`` is a ``BaseException``
so that no ``except Exception`` (or ``except RemoteError``) on the way swallows it.

Only the first signal raises: a second one while cleaning up is noted and ignored, so the
cleanup itself is not cut short.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["SIGNALS", "Cancelled", "cancellable"]

#: The signals that cancel the hook.
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Cancelled(BaseException):
    """The job was cancelled by ``signum``; the process exits ``128 + signum`` (143, 130)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        """``SIGTERM``, ``SIGINT``."""
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """``128 + signum``, as a shell reports a process killed by that signal."""
        return 128 + self.signum

    def __str__(self) -> str:
        return f"cancelled by {self.name}"


@contextmanager
def cancellable() -> Iterator[None]:
    """Within the block, the first SIGTERM or SIGINT raises :class:`Cancelled`.

    The previous handlers are restored when the block ends. Must be entered in the main thread
    (Python delivers signals there only).
    """
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    seen: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        seen.append(signum)
        if len(seen) == 1:
            raise Cancelled(signum)

    for signum in SIGNALS:
        signal.signal(signum, on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
