"""Expiring tags by hand (``ecr-cache prune``): which images go, pure and deterministic.

A registry without lifecycle policies (any OCI registry), or an ECR repository whose policy is
managed elsewhere, is pruned by the same rule the policy would apply (:mod:`.lifecycle`):
an image goes once it was pushed more than ``days`` days before the cut-off. Two guards keep a
pipeline usable, whatever the ages:

* the ``keep`` most recently pushed images always stay;
* the image ``latest`` points at always stays (the next build's ``--cache-from``).

An image whose push time is unknown is never deleted (its age cannot be shown to be past the
cut-off). The cut-off is computed once, by the caller, and the same decision is made again on a
fresh listing just before deleting (:func:`recheck`): safe when many agents prune at once from
cron, or while builds push: an image that became ``latest``, gained a tag, or is among the
newest ``keep`` by then stays, and one already gone is not an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecr_cache_tui.model import ImageDetail

__all__ = ["DEFAULT_KEEP", "Decision", "cutoff", "decide", "recheck"]

#: Images always kept, newest push first, when ``--keep`` is not given.
DEFAULT_KEEP = 1


def cutoff(now: datetime, days: int) -> datetime:
    """The push time at or before which an image is expired under ``days``."""
    return now - timedelta(days=days)


@dataclass(frozen=True)
class Decision:
    """What a prune does to one repository's images.

    Attributes:
        expired: the images to delete (by digest, every tag on them), oldest push first.
        kept: how many images stay.
        protected: the digests kept whatever their age (the newest ``keep``, ``latest``'s).
    """

    expired: tuple[ImageDetail, ...]
    kept: int
    protected: frozenset[str]


def decide(images: Iterable[ImageDetail], *, before: datetime, keep: int) -> Decision:
    """The images pushed at or before ``before`` that neither guard keeps.

    Args:
        images: the repository's images (tagged or not).
        before: the cut-off (:func:`cutoff`).
        keep: the most recently pushed images always kept (0: none by count).
    """
    images = list(images)
    dated = sorted(
        (i for i in images if i.pushed_at is not None),
        key=lambda i: (i.pushed_at, i.digest),
        reverse=True,
    )
    protected = {i.digest for i in dated[: max(0, keep)]}
    protected |= {i.digest for i in images if "latest" in i.tags}
    expired = [
        i
        for i in dated
        if i.digest not in protected and i.pushed_at is not None and i.pushed_at <= before
    ]
    expired.sort(key=lambda i: (i.pushed_at, i.digest))
    return Decision(tuple(expired), len(images) - len(expired), frozenset(protected))


def recheck(
    planned: Sequence[ImageDetail], fresh: Iterable[ImageDetail], *, before: datetime, keep: int
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The planned images still to delete on a fresh listing, with the same cut-off.

    Returns:
        ``(delete, gone, spared)``: digests still expired with the tags they were planned
        with; those no longer there (another prune, a person); those that changed and now stay
        (re-tagged, ``latest`` now, among the newest ``keep``, or pushed again since).
    """
    fresh = list(fresh)
    now_expired = {i.digest: i for i in decide(fresh, before=before, keep=keep).expired}
    present = {i.digest for i in fresh}
    delete: list[str] = []
    gone: list[str] = []
    spared: list[str] = []
    for image in planned:
        current = now_expired.get(image.digest)
        if current is not None and set(current.tags) <= set(image.tags):
            delete.append(image.digest)
        elif image.digest in present:
            spared.append(image.digest)
        else:
            gone.append(image.digest)
    return tuple(delete), tuple(gone), tuple(spared)
