"""The cached tag nearest to a checkout: the one whose inputs differ from it the least.

``ecr-cache checksum --explain`` asks "what would this checkout reuse, and what keeps it from
hitting?": of the tags a repository holds (each with the inputs manifest of its label), the
nearest is the one with the fewest inputs that differ from the checkout's manifest, the newest
push first among equals; its differing inputs, old → new, say what changed since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ecr_cache_tui.cachekey.inputs import Change, Manifest, diff

__all__ = ["Candidate", "Nearest", "nearest"]


@dataclass(frozen=True)
class Candidate:
    """A cached tag, when it was pushed, and its inputs (from its label)."""

    tag: str
    pushed_at: datetime | None
    manifest: Manifest


@dataclass(frozen=True)
class Nearest:
    """The nearest cached tag and the inputs that differ (``same`` ones left out)."""

    tag: str
    pushed_at: datetime | None
    changes: tuple[Change, ...]


def nearest(manifest: Manifest, candidates: Iterable[Candidate]) -> Nearest | None:
    """The candidate nearest to ``manifest`` (``None`` when there is none).

    Fewest differing inputs first, then the newest push (a tag with no push time last), then
    the tag, so the answer does not depend on the listing's order.
    """
    best: tuple[tuple[int, float, str], Nearest] | None = None
    for candidate in candidates:
        changes = tuple(c for c in diff(candidate.manifest, manifest) if c.status != "same")
        pushed = candidate.pushed_at.timestamp() if candidate.pushed_at is not None else None
        rank = (len(changes), -pushed if pushed is not None else float("inf"), candidate.tag)
        if best is None or rank < best[0]:
            best = (rank, Nearest(candidate.tag, candidate.pushed_at, changes))
    return best[1] if best is not None else None
