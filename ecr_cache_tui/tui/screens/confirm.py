"""The one confirmation modal every change goes through: it says exactly what will happen.

Nothing changes until it is confirmed (``y`` or the confirm button); ``n``, ``esc`` or Cancel
(focused first, so a stray ``enter`` cancels) leave everything as it was.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

__all__ = ["ConfirmScreen"]


class ConfirmScreen(ModalScreen[bool]):
    """Ask before a change; dismisses with ``True`` only when confirmed.

    Args:
        title: what the change is ("Evict 3 tags from build-cache/acme/web").
        body: exactly what will happen (the tags deleted, the policy before and after).
        confirm: the confirm button's label.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Confirm"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, body: Text | str, *, confirm: str = "Confirm") -> None:
        super().__init__(id="confirm")
        self.heading = title
        self.body = body if isinstance(body, Text) else Text(body)
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.heading, style="bold"), id="confirm-title")
            with VerticalScroll(id="confirm-body"):
                yield Static(self.body)
            with Horizontal(classes="buttons"):
                yield Button("Cancel (n)", id="cancel", variant="default")
                yield Button(f"{self.confirm_label} (y)", id="confirm-button", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm-button")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
