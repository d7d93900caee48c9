"""Prune a repository of a registry without lifecycle policies (any OCI registry), with a live
preview: what the max-age action offers there instead of a policy.

The editor only plans (``CacheService.plan_prune``, no side effect): it says the registry has no
policies, takes the days, and previews exactly what ``ecr-cache prune`` would delete (the tags,
digests, sizes and the total; the newest image and ``latest``'s kept). It dismisses with the
plans; the app then asks in the one confirmation modal and only then deletes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.screens.days_dialog import DaysDialog

if TYPE_CHECKING:
    from ecr_cache_tui.model import PrunePlan
    from ecr_cache_tui.ports import CacheServiceApi

__all__ = ["PruneScreen", "prune_text"]

#: Tags listed one by one in a preview; the rest are counted and sized.
PREVIEW_LIMIT = 12


class PrunePlanned(Message):
    """The prune plans for the days typed (for the editor's preview)."""

    def __init__(self, days: int, plans: Sequence[PrunePlan]) -> None:
        super().__init__()
        self.days = days
        self.plans = tuple(plans)


def prune_text(plans: Sequence[PrunePlan]) -> Text:
    """What pruning deletes: the total first (tags, images, size), then each tag, oldest
    first, with its digest, push time and size, and the tags that go with it."""
    text = Text()
    items = sorted(
        ((p.repository, i) for p in plans for i in p.eviction.items),
        key=lambda pair: (pair[1].pushed_at is None, pair[1].pushed_at, pair[1].tag),
    )
    if not items:
        kept = sum(p.kept for p in plans)
        text.append(f"Nothing was pushed before the cut-off: all {kept} images stay.")
        return text
    first = plans[0]
    images = sum(len(p.eviction.digests) for p in plans)
    size = sum(p.eviction.freed_bytes for p in plans)
    text.append(
        f"{fmt.plural(len(items), 'tag')}, {fmt.plural(images, 'image')} deleted: "
        f"{fmt.size(size)} freed\n",
        style="bold",
    )
    text.append(
        f"pushed before {fmt.timestamp(first.cutoff)} UTC; the newest "
        f"{fmt.plural(first.keep, 'image')} and latest's stay ({sum(p.kept for p in plans)} kept)\n"
    )
    for repository, item in items[:PREVIEW_LIMIT]:
        name = item.tag if len(plans) == 1 else f"{repository}: {item.tag}"
        text.append(
            f"  {fmt.timestamp(item.pushed_at)}  {fmt.size(item.size_bytes):>9}  "
            f"{item.digest[7:19]}  {name}"
        )
        if item.goes_with:
            text.append(f"  (same image as {', '.join(item.goes_with)})", style="italic")
        text.append("\n")
    if len(items) > PREVIEW_LIMIT:
        text.append(f"  … and {len(items) - PREVIEW_LIMIT} more tags\n", style="italic")
    text.rstrip()
    return text


class PruneScreen(DaysDialog["PrunePlan"]):
    """The prune editor for ``repositories`` (a registry without policies); dismisses with the
    plans or ``None``."""

    #: Three rows more than the max-age editor's: the two lines (at 80 columns) saying there
    #: are no policies, and the margin below them.
    EDITOR_ROWS = 17
    APPLY_LABEL = "Prune…"
    MAX_DAYS = 100_000
    DOING = "prune"

    def __init__(self, repositories: Sequence[str], registry: str = "OCI") -> None:
        super().__init__(repositories, None, id="prune")
        self.registry = registry

    def heading(self) -> str:
        if len(self.repositories) == 1:
            return f"Prune {self.repositories[0]}"
        return f"Prune {fmt.plural(len(self.repositories), 'marked pipeline')}"

    def intro(self) -> Iterator[Widget]:
        yield Static(
            f"An {self.registry} registry has no lifecycle policies: delete the images "
            "pushed more than N days ago now (ecr-cache prune).",
            id="no-policies",
        )

    def plan_days(self, service: CacheServiceApi, days: int) -> list[PrunePlan]:
        return [service.plan_prune(r, days) for r in self.repositories]

    def planned(self, days: int, plans: Sequence[PrunePlan]) -> Message:
        return PrunePlanned(days, plans)

    @on(PrunePlanned)
    def _planned(self, event: PrunePlanned) -> None:
        event.stop()
        deletes = any(not p.eviction.empty for p in event.plans)
        self._show(event.days, event.plans, prune_text(event.plans), changes=deletes)

    @property
    def _deletes(self) -> bool:
        return self.plans is not None and any(not p.eviction.empty for p in self.plans)

    @on(Input.Submitted, "#days")
    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        if self.plans is not None and self._deletes:
            self.dismiss(self.plans)
