"""``?``: the keys of the screen underneath, the filter syntax, and where the palette is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["HelpScreen", "KeyHelp"]

#: (keys, what they do)
KeyHelp = tuple[str, str]

GENERAL: tuple[KeyHelp, ...] = (
    ("/", "filter as you type: text anywhere, or column:value (org:acme, tag:3f2a)"),
    ("esc", "clear the filter; with none, go back"),
    ("s / S", "sort by the next column / reverse the order"),
    ("1 … 9", "sort by that column (again: reverse); a click on a header does the same"),
    ("enter", "open the row under the cursor"),
    ("ctrl+p", "command palette: jump to a pipeline, rebuild, set max age, themes"),
    ("?", "this help"),
    ("q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    """Help for the screen underneath: its own keys first, then the general ones."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def __init__(self, screen_name: str, keys: Iterable[KeyHelp], read_only: bool) -> None:
        super().__init__(id="help")
        self.screen_name = screen_name
        self.keys = list(keys)
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Help · {self.screen_name}", style="bold"))
            with VerticalScroll():
                yield Static(self._table(self.keys, "This screen"))
                yield Static(self._table(GENERAL, "Everywhere"))
                if self.read_only:
                    yield Static(
                        Text(
                            "Read-only: every action that changes a repository "
                            "is hidden and disabled.",
                            style="italic",
                        )
                    )
            yield Static(Text("esc closes", style="italic"))

    @staticmethod
    def _table(keys: Iterable[KeyHelp], title: str) -> Table:
        table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True)
        table.add_column("key", style="bold", width=10)
        table.add_column("does", ratio=1)
        for key, does in keys:
            table.add_row(key, does)
        return table

    def action_close(self) -> None:
        self.dismiss(None)
