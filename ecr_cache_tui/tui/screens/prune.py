"""Prune a repository of a registry without lifecycle policies (any OCI registry), with a live
preview: what the max-age action offers there instead of a policy.

The editor only plans (``CacheService.plan_prune``, no side effect): it says the registry has no
policies, takes the days, and previews exactly what ``ecr-cache prune`` would delete (the tags,
digests, sizes and the total; the newest image and ``latest``'s kept). It dismisses with the
plans; the app then asks in the one confirmation modal and only then deletes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from ecr_cache_tui import lifecycle
from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.context import app_context
from ecr_cache_tui.tui.format import describe_error
from ecr_cache_tui.tui.messages import BackendFailed, call_backend
from ecr_cache_tui.tui.screens.confirm import fit_scroll

if TYPE_CHECKING:
    from ecr_cache_tui.model import PrunePlan

__all__ = ["PruneScreen", "prune_text"]

#: Rows of the editor that are not its preview (as the max-age editor's).
EDITOR_ROWS = 15
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


class PruneScreen(ModalScreen["tuple[PrunePlan, ...] | None"]):
    """The prune editor for ``repositories`` (a registry without policies); dismisses with the
    plans or ``None``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, repositories: Sequence[str], registry: str = "OCI") -> None:
        super().__init__(id="prune")
        self.repositories = tuple(repositories)
        self.registry = registry
        self.plans: tuple[PrunePlan, ...] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            where = (
                self.repositories[0]
                if len(self.repositories) == 1
                else fmt.plural(len(self.repositories), "marked pipeline")
            )
            yield Static(Text(f"Prune {where}", style="bold"))
            yield Static(
                f"An {self.registry} registry has no lifecycle policies: delete the images "
                "pushed more than N days ago now (ecr-cache prune).",
                id="no-policies",
            )
            yield Input(
                value=str(lifecycle.DEFAULT_MAX_AGE_DAYS),
                placeholder="days (a whole number, at least 1)",
                restrict=r"[0-9]*",
                id="days",
            )
            with VerticalScroll(id="preview-box"):
                yield Static("Previewing…", id="preview")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Prune…", id="apply", variant="warning", disabled=True)

    def on_resize(self) -> None:
        fit_scroll(self, self.query_one("#preview-box", VerticalScroll), EDITOR_ROWS)

    def on_mount(self) -> None:
        self.on_resize()
        self.query_one("#days", Input).focus()
        self._replan(self.query_one("#days", Input).value)

    @on(Input.Changed, "#days")
    def _days_changed(self, event: Input.Changed) -> None:
        self._replan(event.value)

    def _replan(self, value: str) -> None:
        self.plans = None
        self.query_one("#apply", Button).disabled = True
        preview = self.query_one("#preview", Static)
        if not value.isdigit() or not 1 <= int(value) <= 100_000:
            preview.update(Text("max-age-days: a whole number, at least 1", style="bold"))
            return
        preview.update(Text("Previewing…", style="italic"))
        self.preview(int(value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def preview(self, days: int) -> None:
        """Plan the prune (no side effect) for the preview (a worker)."""
        service = app_context(self.app).service
        call_backend(
            self,
            f"preview prune {days}",
            lambda: [service.plan_prune(r, days) for r in self.repositories],
            lambda plans: PrunePlanned(days, plans),
        )

    @on(PrunePlanned)
    def _planned(self, event: PrunePlanned) -> None:
        event.stop()
        if str(event.days) != self.query_one("#days", Input).value:
            return  # an older preview arriving late
        self.plans = event.plans
        self.query_one("#preview", Static).update(prune_text(event.plans))
        self.query_one("#apply", Button).disabled = not self._deletes

    @property
    def _deletes(self) -> bool:
        return self.plans is not None and any(not p.eviction.empty for p in self.plans)

    @on(BackendFailed)
    def _failed(self, event: BackendFailed) -> None:
        event.stop()
        title, message = describe_error(event.error)
        self.query_one("#preview", Static).update(Text(f"{title}\n{message}", style="bold"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(BackendFailed("preview", event.worker.error))

    @on(Input.Submitted, "#days")
    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        if self.plans is not None and self._deletes:
            self.dismiss(self.plans)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
