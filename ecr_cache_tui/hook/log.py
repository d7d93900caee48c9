"""The hook's job log: Buildkite groups, collapsed progress, and secrets masked in every line.

Buildkite folds the log at lines starting with ``--- `` (collapsed group), ``~~~ `` (collapsed,
without a timer) and ``+++ `` (expanded); ``^^^ +++`` re-opens the previous group, which is how a
failed build's output ends up in front of the reader.

Every line written through :class:`HookLog` passes the :class:`Redactor` first, so a token,
a secret's value or a build-arg value read from the environment cannot reach the log, wherever
it came from (our own messages, ``docker build`` output, a daemon error).

What the redactor masks, for each registered value (:meth:`Redactor.add`):

* the value whole, and each of its lines on its own (stripped of surrounding blanks): the
  build's output reaches the log a line at a time, so a secret spanning lines never arrives
  whole;
* its encoded shapes: base64 (standard and URL-safe, with and without padding, and the part
  that is the same at any of the three alignments inside a longer base64 text, as in
  ``base64("user:" + secret)``), JSON-escaped (``\\n`` for newlines) and percent-encoded;
* nothing shorter than :data:`MIN_SECRET_LENGTH` characters: masking ``1`` or ``on`` would
  shred every line. Such a value (or line of one) is reported by :meth:`HookLog.secret` as a
  warning that names the variable, never the value.

Messages (:meth:`HookLog.info`, :meth:`HookLog.warn`, group titles) are one line: line breaks
folded to a space, every other control character escaped (:func:`ecr_cache_tui.errors.one_line`).
Output streamed from ``docker build`` keeps its escape sequences (Buildkite renders colours) but
never its line breaks: one call, one log line.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from ecr_cache_tui.errors import escape, one_line

if TYPE_CHECKING:
    from ecr_cache_tui.hook.decision import Attempt
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


# Line breaks as str.splitlines knows them: what would split one log line into two.
_BREAKS = "[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]"
# Lone surrogates (undecodable bytes kept by surrogateescape): no UTF-8 stream can write them.
# Neither is printable (str.isprintable): a printable line needs neither pattern compiled.
_SURROGATES = "[\ud800-\udfff]"


class Redactor:
    """Masks registered secret strings, line by line and in their encoded shapes, in text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> int:
        """Register ``secret`` (see the module docs for the shapes masked).

        Returns:
            How many non-blank parts of it (the value, or lines of a multi-line value) are too
            short to mask: 0 when everything is masked (or there was nothing to mask).
        """
        if not secret:
            return 0
        lines = [line.strip() for line in re.split(_BREAKS, secret)]
        parts = [line for line in lines if line]
        short = [part for part in parts if len(part) < MIN_SECRET_LENGTH]
        if len(secret.strip()) < MIN_SECRET_LENGTH:
            return len(parts) or 1
        for shape in (secret, *parts):
            if len(shape) >= MIN_SECRET_LENGTH:
                self._secrets.add(shape)
        self._secrets.add(json.dumps(secret, ensure_ascii=False)[1:-1])
        self._secrets.add(json.dumps(secret)[1:-1])
        self._secrets.add(urllib.parse.quote(secret, safe="", errors="surrogateescape"))
        self._secrets.add(urllib.parse.quote_plus(secret, safe="", errors="surrogateescape"))
        for text in (secret, f"AWS:{secret}"):
            self._add_base64(_bytes(text))
        return len(short)

    def add_login(self, username: str, password: str) -> None:
        """Register a registry login: the password and ``base64(user:password)``."""
        self.add(password)
        if password:
            self._add_base64(_bytes(f"{username}:{password}"))

    def _add_base64(self, data: bytes) -> None:
        # lazy: only with a secret to mask (base64 and struct are not on a plain local hit)
        import base64  # noqa: PLC0415

        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(data).decode()
            self._secrets.add(encoded)
            self._secrets.add(encoded.rstrip("="))
            # Inside a longer base64 text the value starts at one of three alignments; the
            # characters that depend on its bytes alone are the same whatever surrounds it.
            for offset in (1, 2):
                shifted = encode(b"\0" * offset + data).decode().rstrip("=")
                start = (offset * 8 + 5) // 6
                end = ((offset + len(data)) * 8) // 6
                core = shifted[start:end]
                if len(core) >= 2 * MIN_SECRET_LENGTH:
                    self._secrets.add(core)
            end = (len(data) * 8) // 6
            if end >= 2 * MIN_SECRET_LENGTH:
                self._secrets.add(encoded[:end])

    def __call__(self, text: str) -> str:
        # Longest first, so a secret containing another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __len__(self) -> int:
        return len(self._secrets)


class HookLog:
    """Writes the hook's log to ``stream``, every line redacted.

    Args:
        stream: where the job log goes (the hook's stdout).
        redactor: masks secrets in every line (default: a new, empty one).

    ``warnings`` holds every warning written, in order.
    """

    def __init__(self, stream: TextIO, redactor: Redactor | None = None) -> None:
        self.stream = stream
        self.redactor = Redactor() if redactor is None else redactor
        self.warnings: list[str] = []

    def line(self, text: str = "") -> None:
        """One line, as given (``docker build`` output): redacted, line breaks escaped."""
        self._write(_fold(self.redactor(text)))

    def message(self, text: str) -> None:
        """One line of ours: redacted, every control character escaped."""
        self._write(one_line(self.redactor(text)))

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def secret(self, what: str, value: str | None) -> None:
        """Mask ``value`` from now on; warn, naming ``what`` (never the value), when it or a
        line of it is too short to mask."""
        short = self.redactor.add(value)
        if not short:
            return
        if value is not None and re.search(_BREAKS, value.strip()):
            what_is = f"{short} of the lines of its value are"
        else:
            what_is = "its value is"
        self.warn(
            f"{what}: {what_is} shorter than {MIN_SECRET_LENGTH} characters, too short to mask: "
            "the log may show it"
        )

    def group(self, title: str) -> None:
        """A collapsed group with a timer: ``--- title``."""
        self.message(f"--- {title}")

    def quiet_group(self, title: str) -> None:
        """A collapsed group without a timer: ``~~~ title``."""
        self.message(f"~~~ {title}")

    def open_group(self, title: str) -> None:
        """An expanded group: ``+++ title``."""
        self.message(f"+++ {title}")

    def expand_previous(self) -> None:
        """Re-open the group above (``^^^ +++``): a failure's output is shown expanded."""
        self.line("^^^ +++")

    def warn(self, text: str) -> None:
        """A warning: one escaped line in the log; kept (redacted) for the annotation."""
        self.warnings.append(self.redactor(text))
        self.message(f"⚠️ ecr-cache: warning: {text}")

    def info(self, text: str) -> None:
        """A line prefixed with ``ecr-cache:`` (one line, redacted)."""
        self.message(f"ecr-cache: {text}")

    def retried(self, what: str, attempt: Attempt) -> None:
        """A failed attempt at ``what``, and whether (and when) it is tried again."""
        self.info(attempt.describe(what))


def _bytes(text: str) -> bytes:
    """UTF-8, undecodable bytes of the environment as they were (``surrogateescape``)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no byte decodes to: keep it, as its code
        return text.encode("utf-8", "surrogatepass")


def _fold(text: str) -> str:
    """Line breaks folded to a space, lone surrogates escaped; the rest (colours) as it was."""
    if text.isprintable():
        return text
    text = re.sub(_BREAKS, " ", text)
    return re.sub(_SURROGATES, lambda m: escape(m.group()), text)


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
