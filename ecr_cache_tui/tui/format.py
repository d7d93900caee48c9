"""How the TUI writes sizes, times, costs and errors: pure functions, tested without a screen."""

from __future__ import annotations

from datetime import datetime, timezone

from ecr_cache_tui.errors import AccessDenied, EcrCacheError, RemoteError, Throttled

__all__ = [
    "ago",
    "cost",
    "describe_error",
    "expires_in",
    "size",
    "timestamp",
]

_UNITS = ("B", "KB", "MB", "GB", "TB")


def size(n: int | None) -> str:
    """``412 MB``, ``1.6 GB`` (powers of 1024, as ECR's console shows them)."""
    if n is None:
        return "…"
    value = float(n)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            if unit in ("B", "KB", "MB"):
                return f"{value:.0f} {unit}"
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


def timestamp(at: datetime | None) -> str:
    """``2026-02-18 05:41`` in UTC, ``—`` when unknown."""
    if at is None:
        return "—"
    if at.tzinfo is not timezone.utc:
        at = at.astimezone(timezone.utc)
    # Not ``strftime``: this runs for every tag of a 10,000-tag listing (3x faster).
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}"


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m"
    if seconds < 86400:
        return f"{seconds // 3600:.0f}h"
    return f"{seconds // 86400:.0f}d"


def ago(at: datetime | None, now: datetime, *, never: str = "never") -> str:
    """``3d ago``, ``5h ago``; ``never`` for ``None``."""
    if at is None:
        return never
    return f"{_span((now - at).total_seconds())} ago"


def expires_in(at: datetime | None, now: datetime) -> str:
    """``in 12d``, ``due`` once past, ``—`` when no policy says."""
    if at is None:
        return "—"
    seconds = (at - now).total_seconds()
    return "due" if seconds <= 0 else f"in {_span(seconds)}"


def cost(usd: float | None) -> str:
    """``$1.23`` a month, ``…`` while unknown."""
    if usd is None:
        return "…"
    return f"${usd:,.2f}"


def describe_error(exc: BaseException) -> tuple[str, str]:
    """A title and a message for an error shown in the app (never a traceback).

    The message is the error's own text (which names what was being done); the title says
    what kind of failure it was and, for the common ones, what to do.
    """
    text = str(exc) or type(exc).__name__
    if isinstance(exc, AccessDenied):
        return ("Access denied: check AWS credentials (--profile) and IAM permissions", text)
    if isinstance(exc, Throttled):
        return ("AWS is throttling requests: wait a moment, then r to retry", text)
    if isinstance(exc, RemoteError):
        return ("AWS error", text)
    if isinstance(exc, EcrCacheError):
        return ("Error", text)
    return (f"Unexpected error ({type(exc).__name__})", text)
