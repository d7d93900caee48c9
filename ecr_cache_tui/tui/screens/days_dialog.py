"""The days editor that the max-age and prune screens share: a title, the days typed (``#days``),
a live preview (``#preview`` in ``#preview-box``) planned by a worker of the screen's own, and
Cancel / apply buttons (``#cancel``, ``#apply``; apply enabled by the screen once a plan changes
something). Escape or Cancel dismisses with ``None``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from ecr_cache_tui import lifecycle
from ecr_cache_tui.tui.context import app_context
from ecr_cache_tui.tui.format import describe_error
from ecr_cache_tui.tui.messages import BackendFailed, call_backend
from ecr_cache_tui.tui.screens.confirm import fit_scroll

if TYPE_CHECKING:
    from ecr_cache_tui.ports import CacheServiceApi

__all__ = ["DaysDialog"]

PlanT = TypeVar("PlanT")


class DaysDialog(ModalScreen["tuple[PlanT, ...] | None"], Generic[PlanT]):
    """A days editor for ``repositories``; a subclass says its :meth:`heading`, how it plans
    (:meth:`plan_days`, :meth:`planned`), shows the plans (:meth:`_show`) and what it dismisses
    with."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    #: Rows of the editor that are not its preview: border, padding, title, the days line and
    #: its margins, the buttons (and :meth:`intro`'s rows).
    EDITOR_ROWS: ClassVar[int] = 14
    #: The apply button's label.
    APPLY_LABEL: ClassVar[str] = "Apply…"
    #: The most days planned for (``None``: no bound).
    MAX_DAYS: ClassVar[int | None] = None
    #: What the preview plans, in a failure's words (``preview prune 30``).
    DOING: ClassVar[str] = ""

    def __init__(self, repositories: Sequence[str], days: int | None, *, id: str) -> None:
        super().__init__(id=id)
        self.repositories = tuple(repositories)
        self.initial = days
        self.plans: tuple[PlanT, ...] | None = None

    def heading(self) -> str:
        """The title line."""
        raise NotImplementedError

    def intro(self) -> Iterator[Widget]:
        """What stands between the title and the days (nothing, by default)."""
        return iter(())

    def plan_days(self, service: CacheServiceApi, days: int) -> Sequence[PlanT]:
        """The plans for ``days`` (no side effect; in the preview worker)."""
        raise NotImplementedError

    def planned(self, days: int, plans: Sequence[PlanT]) -> Message:
        """The message that brings ``plans`` back from the worker."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def preview(self, days: int) -> None:
        """Plan for ``days`` (no side effect) for the preview (a worker)."""
        service = app_context(self.app).service
        call_backend(
            self,
            f"preview {self.DOING} {days}",
            lambda: self.plan_days(service, days),
            lambda plans: self.planned(days, plans),
        )

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.heading(), style="bold"))
            yield from self.intro()
            yield Input(
                value=str(self.initial or lifecycle.DEFAULT_MAX_AGE_DAYS),
                placeholder="days (a whole number, at least 1)",
                restrict=r"[0-9]*",
                id="days",
            )
            with VerticalScroll(id="preview-box"):
                yield Static("Previewing…", id="preview")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.APPLY_LABEL, id="apply", variant="warning", disabled=True)

    def on_resize(self) -> None:
        fit_scroll(self, self.query_one("#preview-box", VerticalScroll), self.EDITOR_ROWS)

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
        if not value.isdigit() or not 1 <= int(value) <= (self.MAX_DAYS or int(value)):
            preview.update(Text("max-age-days: a whole number, at least 1", style="bold"))
            return
        preview.update(Text("Previewing…", style="italic"))
        self.preview(int(value))

    def _show(self, days: int, plans: tuple[PlanT, ...], text: Text, *, changes: bool) -> None:
        """Show the plans for ``days`` (unless the days have changed since)."""
        if str(days) != self.query_one("#days", Input).value:
            return  # an older preview arriving late
        self.plans = plans
        self.query_one("#preview", Static).update(text)
        self.query_one("#apply", Button).disabled = not changes

    @on(BackendFailed)
    def _failed(self, event: BackendFailed) -> None:
        event.stop()
        title, message = describe_error(event.error)
        self.query_one("#preview", Static).update(Text(f"{title}\n{message}", style="bold"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(BackendFailed("preview", event.worker.error))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
