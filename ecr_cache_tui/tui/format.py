"""How the TUI writes figures: :mod:`ecr_cache_tui.figures` (the CLI's too), with the TUI's own
marks for a missing value (``—``) and one still loading (``…``); and how it words errors."""

from __future__ import annotations

from datetime import datetime

from ecr_cache_tui import figures
from ecr_cache_tui.errors import (
    AccessDenied,
    EcrCacheError,
    OutsidePrefix,
    RemoteError,
    RepositoryNotFound,
    TagNotFound,
    Throttled,
)
from ecr_cache_tui.figures import UNKNOWN, ago, max_age, max_age_rule, plural

__all__ = [
    "LOADING",
    "MISSING",
    "UNKNOWN",
    "ago",
    "cost",
    "date",
    "describe_error",
    "expires_in",
    "max_age",
    "max_age_rule",
    "plural",
    "size",
    "timestamp",
]

#: A value that does not exist (no push yet, no policy).
MISSING = "—"
#: A value not loaded yet.
LOADING = "…"


def size(n: int | None) -> str:
    """``3.4 MiB``; ``…`` while unknown."""
    return LOADING if n is None else figures.size(n)


def cost(usd: float | None) -> str:
    """``$1.23`` a month; ``…`` while unknown."""
    return LOADING if usd is None else figures.cost(usd)


def timestamp(at: datetime | None) -> str:
    """``2026-02-18 05:41`` in UTC; ``—`` when unknown."""
    return figures.timestamp(at, missing=MISSING)


def date(at: datetime | None) -> str:
    """``2026-02-18`` in UTC; ``—`` when unknown."""
    return figures.date(at, missing=MISSING)


def expires_in(at: datetime | None, now: datetime) -> str:
    """``in 12d``, ``due``; ``—`` when no policy says."""
    return figures.expires_in(at, now, missing=MISSING)


def describe_error(exc: BaseException) -> tuple[str, str]:
    """A title and a message for an error shown in the app (never a traceback).

    The message is the error's own text (which names the problem); the title says what kind
    of failure it was and, for the common ones, what to do here, in the TUI's own keys (a
    core error names no CLI flag: each shell adds its hint).
    """
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OutsidePrefix):
        return (f"Outside {exc.prefix}: the TUI changes only the cache's own repositories", text)
    if isinstance(exc, TagNotFound):
        return ("Tag not found: it expired or was evicted meanwhile; r reloads", text)
    if isinstance(exc, RepositoryNotFound):
        return ("Repository not found: esc, then r reloads the pipelines", text)
    if isinstance(exc, AccessDenied):
        return ("Access denied: check AWS credentials (--profile) and IAM permissions", text)
    if isinstance(exc, Throttled):
        return ("AWS is throttling requests: wait a moment, then r to retry", text)
    if isinstance(exc, RemoteError):
        return ("AWS error", text)
    if isinstance(exc, EcrCacheError):
        return ("Error", text)
    return (f"Unexpected error ({type(exc).__name__})", text)
