"""How sizes, times, costs, max ages and counts are written for people: one home for both shells.

The CLI and the TUI print the same figures for the same data (``3.4 MiB``, ``2026-02-18 05:41``,
``$1.23``, ``30d``, ``3 tags``); only a missing value is the shell's own (``missing=``: the
CLI's ``-``, the TUI's ``—``). Pure functions, no I/O.
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = [
    "UNKNOWN",
    "ago",
    "cost",
    "date",
    "expires_in",
    "max_age",
    "max_age_rule",
    "plural",
    "size",
    "span",
    "timestamp",
]

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")

#: What a registry does not record (an OCI registry's last pulls and max age): never a zero,
#: a "never" or a "none", which would say something the registry did not.
UNKNOWN = "unknown"


def size(n: int) -> str:
    """``512 B``, ``3.4 MiB``, ``1.2 GiB`` (powers of 1024, as ECR's console counts them)."""
    value = float(n)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is timezone.utc else at.astimezone(timezone.utc)


def timestamp(at: datetime | None, *, missing: str = "-") -> str:
    """``2026-02-18 05:41`` in UTC; ``missing`` when unknown."""
    if at is None:
        return missing
    at = _utc(at)
    # Not ``strftime``: this runs for every tag of a 10,000-tag listing (3x faster).
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}"


def date(at: datetime | None, *, missing: str = "-") -> str:
    """``2026-02-18`` in UTC; ``missing`` when unknown."""
    if at is None:
        return missing
    at = _utc(at)
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d}"


def span(seconds: float) -> str:
    """A duration in its largest whole unit: ``42s``, ``5m``, ``3h``, ``12d``."""
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
    return f"{span((now - at).total_seconds())} ago"


def expires_in(at: datetime | None, now: datetime, *, missing: str = "-") -> str:
    """``in 12d``, ``due`` once past; ``missing`` when no policy says."""
    if at is None:
        return missing
    seconds = (at - now).total_seconds()
    return "due" if seconds <= 0 else f"in {span(seconds)}"


def cost(usd: float) -> str:
    """``$1.23``, ``$1,234.50``."""
    return f"${usd:,.2f}"


def max_age(days: int | None, has_policy: bool, *, known: bool = True) -> str:
    """``30d``; ``custom`` for a policy not written by ecr-cache; ``none`` without a policy;
    :data:`UNKNOWN` on a registry without policies (``known`` False)."""
    if not known:
        return UNKNOWN
    if days is not None:
        return f"{days}d"
    return "custom" if has_policy else "none"


def max_age_rule(days: int | None, has_policy: bool) -> str:
    """What a lifecycle policy says, after "max age": ``30 days``, ``custom policy (not written
    by ecr-cache)``, ``none (no lifecycle policy)``."""
    if days is not None:
        return plural(days, "day")
    return (
        "custom policy (not written by ecr-cache)" if has_policy else "none (no lifecycle policy)"
    )


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 tag``, ``3 tags``, ``0 images`` (``many``: an irregular plural)."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"
