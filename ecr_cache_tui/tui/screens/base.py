"""What every screen of the app shares: access to the app's service and clock, and errors.

A failed AWS call never crashes the app: workers catch it and post
:class:`~ecr_cache_tui.tui.messages.BackendFailed`; anything that still escapes a worker is
caught by ``on_worker_state_changed``. Both end in :meth:`ServiceScreen.show_error`: a toast and
the screen's own error line (which stays until the next successful load).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.context import AppContext, app_context
from ecr_cache_tui.tui.format import describe_error
from ecr_cache_tui.tui.messages import BackendFailed
from ecr_cache_tui.tui.widgets.summary import Summary

if TYPE_CHECKING:
    from ecr_cache_tui.ports import CacheServiceApi

__all__ = ["ServiceScreen", "show_error"]


def show_error(app: App[Any], doing: str, error: BaseException) -> str:
    """Toast ``error`` (what was being done, what went wrong); returns the one-line text."""
    title, message = describe_error(error)
    app.notify(message, title=f"{title}", severity="error", timeout=10)
    return f"{doing}: {title}: {message}" if doing else f"{title}: {message}"


class ServiceScreen(Screen[None]):
    """A screen whose data comes from the app's :class:`CacheService` through workers.

    In read-only mode the actions named in :attr:`MUTATING` are hidden from the footer and
    refused; their keys answer with a one-line notice rather than nothing.
    """

    #: ``?`` before the screen's own keys, so a narrow footer that cuts the last keys keeps it.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "app.help", "Help", key_display="?"),
    ]

    #: Actions that change a repository.
    MUTATING: ClassVar[frozenset[str]] = frozenset()

    #: When the screen's data was last loaded (``None``: not yet).
    updated_at: datetime | None = None

    @property
    def context(self) -> AppContext:
        """The app's service, clock and settings."""
        return app_context(self.app)

    @property
    def service(self) -> CacheServiceApi:
        """The service every AWS call goes through."""
        return self.context.service

    def now(self) -> datetime:
        """The app's (injected) clock."""
        return self.context.clock()

    @property
    def read_only(self) -> bool:
        """Whether actions that change anything are hidden and disabled."""
        return self.context.read_only

    @property
    def busy(self) -> bool:
        """Whether a worker of this screen is still pending or running (a load, figures)."""
        return any(
            worker.node is self and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for worker in self.workers
        )

    def updated_text(self) -> str:
        """``updated 12s ago`` (empty before the first load)."""
        if self.updated_at is None:
            return ""
        return f"updated {fmt.ago(self.updated_at, self.now())}"

    def tick_updated(self) -> None:
        """Bring "updated … ago", the last part of the screen's ``#summary``, up to date."""
        if self.updated_at is None:
            return
        for summary in self.query("#summary").results(Summary):
            if summary.parts and summary.parts[-1].startswith("updated "):
                summary.set_parts([*summary.parts[:-1], self.updated_text()])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: hidden from the footer and disabled (the key gets a notice: on_key).
        return not (action in self.MUTATING and self.read_only)

    def on_key(self, event: events.Key) -> None:
        """A key of a refused action in read-only mode: say so in one line."""
        if not self.read_only:
            return
        for binding in self.BINDINGS:
            if (
                isinstance(binding, Binding)
                and binding.action in self.MUTATING
                and event.key in binding.key.split(",")
            ):
                event.stop()
                key = binding.key_display or binding.key
                self.notify(f"Read-only: {key} ({binding.description}) is off", severity="warning")
                return

    def set_error(self, text: str) -> None:
        """Show ``text`` in this screen's error line (empty hides it)."""
        for line in self.query("#error").results(Static):
            line.update(Text(text))
            line.display = bool(text)

    def show_error(self, doing: str, error: BaseException) -> None:
        """Toast and show an error in this screen."""
        self.set_error(show_error(self.app, doing, error))

    @on(BackendFailed)
    def _backend_failed(self, event: BackendFailed) -> None:
        event.stop()
        self.loading_done()
        self.show_error(event.doing, event.error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that raised past its own handling: show it, never crash."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.loading_done()
            self.show_error(event.worker.name or "background task", event.worker.error)

    def loading_done(self) -> None:
        """Hook: hide a loading indicator (screens override)."""
