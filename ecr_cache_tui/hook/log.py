"""The hook's job log: Buildkite groups, collapsed progress, and secrets masked in every line.

Buildkite folds the log at lines starting with ``--- `` (collapsed group), ``~~~ `` (collapsed,
without a timer) and ``+++ `` (expanded); ``^^^ +++`` re-opens the previous group, which is how a
failed build's output ends up in front of the reader.

Every line written through :class:`HookLog` passes the :class:`Redactor` first, so a token,
a secret's value or a build-arg value read from the environment cannot reach the log, wherever
it came from (our own messages, ``docker build`` output, a daemon error).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ecr_cache_tui.model import ProgressEvent

__all__ = ["MASK", "HookLog", "ProgressCollapser", "Redactor"]

MASK = "[REDACTED]"

#: Values shorter than this are not masked: masking "1" or "on" would shred every line while
#: protecting nothing (Buildkite's own redactor makes the same trade-off).
MIN_SECRET_LENGTH = 4

# Statuses after which a layer has nothing more to say: one line each.
_FINAL_STATUSES = (
    "pull complete",
    "already exists",
    "pushed",
    "layer already exists",
    "mounted from",
    "download complete",
)


class Redactor:
    """Masks registered secret strings (and their base64 forms) in text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        """Register ``secret``; its base64 forms (as in ``auth`` fields) are masked too."""
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            return
        self._secrets.add(secret)
        for text in (secret, f"AWS:{secret}"):
            encoded = base64.b64encode(text.encode()).decode()
            self._secrets.add(encoded)
            self._secrets.add(encoded.rstrip("="))

    def add_login(self, username: str, password: str) -> None:
        """Register a registry login: the password and ``base64(user:password)``."""
        self.add(password)
        if password:
            encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
            self._secrets.add(encoded)
            self._secrets.add(encoded.rstrip("="))

    def __call__(self, text: str) -> str:
        # Longest first, so a secret containing another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __len__(self) -> int:
        return len(self._secrets)


@dataclass
class HookLog:
    """Writes the hook's log to ``stream``, every line redacted.

    Args:
        stream: where the job log goes (the hook's stdout).
        redactor: masks secrets in every line.
    """

    stream: TextIO
    redactor: Redactor = field(default_factory=Redactor)
    warnings: list[str] = field(default_factory=list)

    def line(self, text: str = "") -> None:
        """One plain line."""
        self.stream.write(self.redactor(text) + "\n")
        self.stream.flush()

    def group(self, title: str) -> None:
        """A collapsed group with a timer: ``--- title``."""
        self.line(f"--- {title}")

    def quiet_group(self, title: str) -> None:
        """A collapsed group without a timer: ``~~~ title``."""
        self.line(f"~~~ {title}")

    def open_group(self, title: str) -> None:
        """An expanded group: ``+++ title``."""
        self.line(f"+++ {title}")

    def expand_previous(self) -> None:
        """Re-open the group above (``^^^ +++``): a failure's output is shown expanded."""
        self.line("^^^ +++")

    def warn(self, text: str) -> None:
        """A warning, kept for the summary and the annotation."""
        self.warnings.append(self.redactor(text))
        self.line(f"⚠️ ecr-cache: warning: {text}")

    def info(self, text: str) -> None:
        """A line prefixed with ``ecr-cache:``."""
        self.line(f"ecr-cache: {text}")


class ProgressCollapser:
    """Turns the daemon's pull/push progress into a few lines.

    Each layer gets one line when it finishes; the running byte counts become at most one
    summary line every ``interval`` seconds. Lines without a layer (``Digest: …``) pass through.

    Args:
        emit: where the collapsed lines go (``HookLog.line``).
        clock: monotonic seconds (injected so tests need no sleeping).
        interval: seconds between two summary lines.
    """

    def __init__(
        self, emit: Callable[[str], None], clock: Callable[[], float], interval: float = 5.0
    ) -> None:
        self._emit = emit
        self._clock = clock
        self._interval = interval
        self._last_summary = clock()
        self._active: dict[str, str] = {}
        self._done: set[tuple[str, str]] = set()
        self.lines = 0

    def __call__(self, event: ProgressEvent) -> None:
        """Feed one event."""
        status = event.status
        if not event.layer or _is_header(event):
            self._out(status if not event.layer else f"{event.layer}: {status}")
            return
        if status.lower().startswith(_FINAL_STATUSES):
            if (event.layer, status) not in self._done:
                self._done.add((event.layer, status))
                self._active.pop(event.layer, None)
                self._out(f"{event.layer}: {status}")
            return
        self._active[event.layer] = f"{status} {event.progress}".strip()
        now = self._clock()
        if now - self._last_summary >= self._interval:
            self._last_summary = now
            busy = ", ".join(f"{k}: {_short(v)}" for k, v in sorted(self._active.items()))
            self._out(f"… {len(self._active)} layer(s) in progress ({busy})")

    def _out(self, text: str) -> None:
        self.lines += 1
        self._emit(text)


def _is_header(event: ProgressEvent) -> bool:
    # "latest: Pulling from x" carries the tag in ``id``; it is a header, not a layer.
    return event.status.startswith(("Pulling from", "Digest:", "Status:"))


def _short(progress: str) -> str:
    # "Downloading [====>   ]  1.2MB/3.4MB" -> "Downloading 1.2MB/3.4MB"
    if "]" in progress:
        head, _, tail = progress.partition("[")
        return f"{head.strip()} {tail.partition(']')[2].strip()}".strip()
    return progress
