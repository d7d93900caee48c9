"""Edit a repository's ``max-age-days``, with a live preview of what it would expire at once.

The editor only plans (``CacheService.plan_policy``, no side effect); it dismisses with the
plan, and the app then asks in the confirmation modal, showing the rule before and after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.context import app_context
from ecr_cache_tui.tui.format import describe_error
from ecr_cache_tui.tui.messages import BackendFailed, PolicyPlanned, call_backend

if TYPE_CHECKING:
    from ecr_cache_tui.model import PolicyPlan

__all__ = ["MaxAgeScreen", "preview_text", "rule_text"]

#: Tags listed by name in a preview; the rest are counted.
PREVIEW_LIMIT = 12


def rule_text(days: int | None, has_policy: bool) -> str:
    """``max age 30 days`` / ``max age none (no lifecycle policy)`` / ``… custom policy``."""
    return f"max age {fmt.max_age_rule(days, has_policy)}"


def preview_text(plan: PolicyPlan) -> Text:
    """Before, after, and the tags the new rule would expire at once."""
    text = Text()
    text.append("Before  ", style="bold")
    text.append(rule_text(plan.before_days, plan.before_text is not None) + "\n")
    text.append("After   ", style="bold")
    text.append(rule_text(plan.after_days, True) + "\n")
    expiring = plan.preview.expire_now
    if not plan.changed:
        text.append("\nThe policy already says this: nothing to change.", style="italic")
        return text
    if not expiring:
        text.append(f"\nNo image would expire at once ({plan.preview.kept} kept).")
        return text
    text.append(
        f"\n{fmt.plural(len(expiring), 'image')} would expire at once "
        f"({plan.preview.kept} kept):\n",
        style="bold",
    )
    for name in expiring[:PREVIEW_LIMIT]:
        text.append(f"  {name}\n")
    if len(expiring) > PREVIEW_LIMIT:
        text.append(f"  … and {len(expiring) - PREVIEW_LIMIT} more\n")
    text.rstrip()
    return text


class MaxAgeScreen(ModalScreen["PolicyPlan | None"]):
    """The max-age editor for ``repository``, starting at ``days``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, repository: str, days: int | None) -> None:
        super().__init__(id="max-age")
        self.repository = repository
        self.initial = days
        self.plan: PolicyPlan | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Max age of {self.repository}", style="bold"))
            yield Input(
                value=str(self.initial or 30),
                placeholder="days (a whole number, at least 1)",
                restrict=r"[0-9]*",
                id="days",
            )
            with VerticalScroll(id="preview-box"):
                yield Static("Previewing…", id="preview")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply…", id="apply", variant="warning", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#days", Input).focus()
        self._replan(self.query_one("#days", Input).value)

    @on(Input.Changed, "#days")
    def _days_changed(self, event: Input.Changed) -> None:
        self._replan(event.value)

    def _replan(self, value: str) -> None:
        self.plan = None
        self.query_one("#apply", Button).disabled = True
        preview = self.query_one("#preview", Static)
        if not value.isdigit() or int(value) < 1:
            preview.update(Text("max-age-days: a whole number, at least 1", style="bold"))
            return
        preview.update(Text("Previewing…", style="italic"))
        self.preview(int(value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def preview(self, days: int) -> None:
        """Plan the change (no side effect) for the preview (a worker)."""
        service = app_context(self.app).service
        call_backend(
            self,
            f"preview max age {days}",
            lambda: service.plan_policy(self.repository, days),
            PolicyPlanned,
        )

    @on(PolicyPlanned)
    def _planned(self, event: PolicyPlanned) -> None:
        event.stop()
        if str(event.plan.after_days) != self.query_one("#days", Input).value:
            return  # an older preview arriving late
        self.plan = event.plan
        self.query_one("#preview", Static).update(preview_text(event.plan))
        self.query_one("#apply", Button).disabled = not event.plan.changed

    @on(BackendFailed)
    def _failed(self, event: BackendFailed) -> None:
        event.stop()
        title, message = describe_error(event.error)
        self.query_one("#preview", Static).update(Text(f"{title}\n{message}", style="bold"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(BackendFailed("preview", event.worker.error))

    @on(Input.Submitted, "#days")
    def _submitted(self) -> None:
        if self.plan is not None and self.plan.changed:
            self.dismiss(self.plan)

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        if self.plan is not None:
            self.dismiss(self.plan)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
