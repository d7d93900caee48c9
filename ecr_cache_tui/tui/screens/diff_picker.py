"""Choose the tag to compare a tag's inputs with: the pipeline's other tags, newest first."""

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

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, tag: str, others: Sequence[TagInfo]) -> None:
        super().__init__(id="diff-picker")
        self.tag = tag
        self.others = list(others)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Compare the inputs of {self.tag[:16]} with…", style="bold"))
            yield Input(placeholder="filter tags", id="picker-filter")
            yield OptionList(*self._options(""), id="picker")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

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

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
