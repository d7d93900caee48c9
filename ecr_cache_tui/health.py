"""What needs a maintainer's attention in a cache: pure rules over the figures, for any shell.

* a pipeline **without a lifecycle policy** grows without bound;
* a pipeline is **stale** when its newest push is older than :data:`STALE_AFTER` (nobody builds
  it any more, or its builds stopped using the cache);
* a tag **never pulled** is storage nobody used;
* what a registry does not record (an OCI registry's policies and pulls) raises nothing;
* a tag **expiring** within :data:`EXPIRING_WITHIN` is about to go (the next build rebuilds);
* a pipeline's **share** of the monthly cost says where the money goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ecr_cache_tui import figures

if TYPE_CHECKING:
    from ecr_cache_tui.model import PipelineStats, TagInfo

__all__ = [
    "EXPIRING_WITHIN",
    "STALE_AFTER",
    "cost_share",
    "expiring_soon",
    "is_stale",
    "pipeline_attention",
    "tag_attention",
]

#: A pipeline whose newest push is older than this is stale.
STALE_AFTER = timedelta(days=14)
#: A tag that expires sooner than this is about to go.
EXPIRING_WITHIN = timedelta(hours=24)


def is_stale(stats: PipelineStats, now: datetime) -> bool:
    """The newest push is older than :data:`STALE_AFTER` (an empty repository is not stale)."""
    return stats.newest_push is not None and now - stats.newest_push > STALE_AFTER


def expiring_soon(tag: TagInfo, now: datetime) -> bool:
    """The policy expires ``tag`` within :data:`EXPIRING_WITHIN` (or it is already due)."""
    return tag.expires_at is not None and tag.expires_at - now <= EXPIRING_WITHIN


def cost_share(usd: float, total_usd: float) -> float:
    """``usd`` as a part (0…1) of ``total_usd`` (0 when there is no cost at all)."""
    return usd / total_usd if total_usd > 0 else 0.0


def pipeline_attention(stats: Sequence[PipelineStats], now: datetime) -> list[str]:
    """What needs attention over ``stats``, most pressing first (empty: nothing).

    ``3 pipelines without a policy``, ``2 stale (no push in 14 days)``,
    ``1.2 GiB never pulled``.
    """
    found = []
    no_policy = sum(1 for s in stats if s.policies_known and not s.has_policy)
    if no_policy:
        found.append(f"{figures.plural(no_policy, 'pipeline')} without a policy")
    stale = sum(1 for s in stats if is_stale(s, now))
    if stale:
        found.append(f"{stale} stale (no push in {STALE_AFTER.days} days)")
    never = sum(s.never_pulled_bytes for s in stats)
    if never:
        found.append(f"{figures.size(never)} never pulled")
    return found


def tag_attention(tags: Sequence[TagInfo], now: datetime) -> list[str]:
    """What needs attention over one pipeline's ``tags`` (each image counted once)."""
    found = []
    never: dict[str, int] = {
        t.digest: t.size_bytes for t in tags if t.pulls_known and t.last_pulled is None
    }
    if never:
        size = figures.size(sum(never.values()))
        found.append(f"{figures.plural(len(never), 'image')} never pulled ({size})")
    soon = {t.digest for t in tags if expiring_soon(t, now)}
    if soon:
        hours = int(EXPIRING_WITHIN.total_seconds() // 3600)
        found.append(f"{figures.plural(len(soon), 'image')} expiring within {hours} h")
    return found
