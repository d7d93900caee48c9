"""What every screen of the app shares: access to the app's service and clock, and errors.

A failed AWS call never crashes the app: workers catch it and post
:class:`~ecr_cache_tui.tui.messages.BackendFailed`; anything that still escapes a worker is
caught by ``on_worker_state_changed``. Both end in :meth:`ServiceScreen.show_error`: a toast and
the screen's own error line (which stays until the next successful load).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import App
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ecr_cache_tui.tui.context import AppContext, app_context
from ecr_cache_tui.tui.format import describe_error
from ecr_cache_tui.tui.messages import BackendFailed

if TYPE_CHECKING:
    from ecr_cache_tui.ports import CacheServiceApi

__all__ = ["ServiceScreen", "show_error"]


def show_error(app: App[Any], doing: str, error: BaseException) -> str:
    """Toast ``error`` (what was being done, what went wrong); returns the one-line text."""
    title, message = describe_error(error)
    app.notify(message, title=f"{title}", severity="error", timeout=10)
    return f"{doing}: {title}: {message}" if doing else f"{title}: {message}"


class ServiceScreen(Screen[None]):
    """A screen whose data comes from the app's :class:`CacheService` through workers."""

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
