"""Choose the tag to compare a tag's inputs with: the pipeline's other tags, newest first.

The filter line has focus: typing filters the list, up and down move in it, ``enter`` picks
the highlighted tag (the only one left, once the filter leaves one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ecr_cache_tui.tui import format as fmt

if TYPE_CHECKING:
    from ecr_cache_tui.model import TagInfo

__all__ = ["DiffPickerScreen"]


class DiffPickerScreen(ModalScreen[str | None]):
    """A list of tags to pick from (type to filter); dismisses with the tag or ``None``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(self, tag: str, others: Sequence[TagInfo], highlighted: str | None = None) -> None:
        super().__init__(id="diff-picker")
        self.tag = tag
        self.others = list(others)
        self.highlighted = highlighted

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Compare the inputs of {self.tag[:16]} with…", style="bold"))
            yield Input(
                placeholder="type to filter · ↑↓ to move · enter to pick", id="picker-filter"
            )
            yield OptionList(*self._options(""), id="picker")

    def on_mount(self) -> None:
        self.query_one("#picker-filter", Input).focus()
        options = self.query_one(OptionList)
        ids = [o.tag for o in self.others]
        options.highlighted = ids.index(self.highlighted) if self.highlighted in ids else 0

    def _options(self, needle: str) -> list[Option]:
        needle = needle.lower()
        return [
            Option(
                Text(f"{o.tag}  {fmt.timestamp(o.pushed_at)}{'  latest' if o.is_latest else ''}"),
                id=o.tag,
            )
            for o in self.others
            if needle in o.tag.lower()
        ]

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            tag = options.get_option_at_index(options.highlighted).id
            self.dismiss(tag)

    def action_move(self, by: int) -> None:
        """Move the highlight in the list (the filter line keeps focus)."""
        options = self.query_one(OptionList)
        if not options.option_count:
            return
        current = options.highlighted if options.highlighted is not None else 0
        options.highlighted = max(0, min(options.option_count - 1, current + by))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
