"""A sortable, filterable table: a filter line, a :class:`~.rows_view.RowsView` and a status line.

:class:`FilterTable` keeps every row as a Python list (:class:`~.rows.TableRow`); whenever the
filter, the sort or the data change it hands the filtered, sorted list to the view, which draws
only the lines on screen from it. A filter keystroke therefore costs one pass over a list and
~40 lines drawn, however many rows there are. The cursor follows the row it was on (by key), so
a refresh keeps cursor, sort and filter.

Keys: ``/`` filter (substring, or ``column:value``), ``esc`` clears it, ``s`` sorts by the next
column, ``S`` reverses, ``1``–``9`` sort by that column (again: reverse); clicking a header sorts
by it (again: reverse).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from ecr_cache_tui.tui.widgets.rows import (
    Column,
    FilterTerm,
    TableRow,
    filter_rows,
    narrows,
    parse_filter,
    sort_rows,
)
from ecr_cache_tui.tui.widgets.rows_view import RowsView

__all__ = ["FilterTable"]


class FilterTable(Vertical):
    """A filter line, a :class:`RowsView` and a status line, over a list of rows.

    Args:
        columns: the columns, in order.
        markable: show a mark column first; ``space`` toggles the mark of the cursor row.
        sort_column: the initial sort column (``None``: rows in the order given).
        reverse: the initial direction.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "start_filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("s", "sort_next", "Sort"),
        Binding("S", "reverse", "Reverse", key_display="S", show=False),
        *[
            Binding(str(n), f"sort_by({n - 1})", f"Sort by column {n}", show=False)
            for n in range(1, 10)
        ],
    ]

    filter_text: reactive[str] = reactive("", init=False)

    class Changed(Message):
        """The rows shown changed (filter, sort or data): ``shown`` of ``total``."""

        def __init__(self, table: FilterTable, shown: int, total: int) -> None:
            super().__init__()
            self.table = table
            self.shown = shown
            self.total = total

        @property
        def control(self) -> FilterTable:
            return self.table

    class Chosen(Message):
        """``enter`` (or a click) on a row: ``row`` is the chosen :class:`TableRow`."""

        def __init__(self, table: FilterTable, row: TableRow) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> FilterTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        markable: bool = False,
        sort_column: int | None = None,
        reverse: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.markable = markable
        self.sort_column = sort_column
        self.reverse = reverse
        self.marked: set[str] = set()
        self._rows: list[TableRow] = []
        self._shown: list[TableRow] = []
        # What the rows on screen were filtered with: a filter that only narrows it (one more
        # character typed) filters the rows on screen, already sorted, instead of all of them.
        self._shown_terms: tuple[FilterTerm, ...] | None = None
        # ``/`` was handled but the filter line has not got the focus yet (focus moves later).
        self._filter_opening = False

    # -- composition ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        filter_input = Input(placeholder="filter: text or column:value", id="filter")
        filter_input.display = False
        yield filter_input
        yield RowsView(
            self.columns,
            mark_column=self.markable,
            is_marked=self.marked.__contains__,
            id="table",
        )
        yield Static("", id="table-status")

    def on_mount(self) -> None:
        self._relabel()

    @property
    def table(self) -> RowsView:
        """The view of the rows inside."""
        return self.query_one("#table", RowsView)

    @property
    def filter_input(self) -> Input:
        """The filter line."""
        return self.query_one("#filter", Input)

    # -- data -----------------------------------------------------------------------------

    @property
    def rows(self) -> list[TableRow]:
        """Every row, filter or not."""
        return list(self._rows)

    @property
    def shown_rows(self) -> list[TableRow]:
        """The rows on screen, in screen order."""
        return list(self._shown)

    @property
    def current(self) -> TableRow | None:
        """The row under the cursor."""
        index = self.table.cursor_row
        return self._shown[index] if 0 <= index < len(self._shown) else None

    def set_rows(self, rows: Sequence[TableRow]) -> None:
        """Replace the data; filter, sort, marks (of rows still there) and cursor are kept."""
        self._rows = list(rows)
        keys = {r.key for r in self._rows}
        self.marked.intersection_update(keys)  # the same set: the view reads it
        self._shown_terms = None
        self._rebuild()

    def update_rows(self, rows: Sequence[TableRow]) -> None:
        """Replace the rows with the same keys (e.g. figures loaded later), then rebuild."""
        by_key = {r.key: r for r in rows}
        self._rows = [by_key.get(r.key, r) for r in self._rows]
        self._shown_terms = None
        self._rebuild()

    def marked_rows(self) -> list[TableRow]:
        """Marked rows, in screen order (hidden by the filter included, at the end)."""
        shown = [r for r in self._shown if r.key in self.marked]
        seen = {r.key for r in shown}
        return shown + [r for r in self._rows if r.key in self.marked and r.key not in seen]

    def toggle_mark(self) -> None:
        """Mark or unmark the cursor row."""
        row = self.current
        if row is None or not self.markable:
            return
        self.marked ^= {row.key}
        self.table.refresh_row(self.table.cursor_row)
        self._status()
        self.post_message(self.Changed(self, len(self._shown), len(self._rows)))

    def clear_marks(self) -> None:
        """Unmark every row."""
        if self.marked:
            self.marked.clear()
            self._shown_terms = None
            self._rebuild()

    # -- filter and sort ------------------------------------------------------------------

    def action_start_filter(self) -> None:
        self.filter_input.display = True
        self._filter_opening = True
        self.filter_input.focus()

    def on_key(self, event: events.Key) -> None:
        # A burst (fast typing, a paste) reaches the app at once: the keys after ``/`` were
        # sent to the table, focused then. ``/`` opens the filter here, as it bubbles (not
        # later, from the app's binding), and the characters after it go into the filter line.
        # (The filter line itself takes every printable key: none bubbles up from it.)
        if self._filter_opening or self.app.focused is self.filter_input:
            if event.is_printable and event.character:
                event.stop()
                event.prevent_default()
                self.filter_input.insert_text_at_cursor(event.character)
        elif event.key == "slash":
            event.stop()
            event.prevent_default()
            self.action_start_filter()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._filter_opening = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # With no filter to clear, ``esc`` falls through to the screen (which goes back).
        if action == "clear_filter":
            return bool(self.filter_text or self.filter_input.display)
        return True

    def action_clear_filter(self) -> None:
        """Clear the filter and close the filter line."""
        self._close_filter()

    def _close_filter(self) -> None:
        self._filter_opening = False
        self.filter_input.value = ""
        self.filter_input.display = False
        self.filter_text = ""
        self.table.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.filter_input.display = False
        self.table.focus()

    def watch_filter_text(self) -> None:
        self._rebuild()

    def action_sort_next(self) -> None:
        column = 0 if self.sort_column is None else (self.sort_column + 1) % len(self.columns)
        self.sort(column, reverse=self.columns[column].descending)

    def action_reverse(self) -> None:
        self.sort(self.sort_column, reverse=not self.reverse)

    def action_sort_by(self, column: int) -> None:
        if column >= len(self.columns):
            return
        # Again: the other way. First: figures descending (the largest first), text ascending.
        reverse = (
            not self.reverse if column == self.sort_column else self.columns[column].descending
        )
        self.sort(column, reverse=reverse)

    def sort(self, column: int | None, *, reverse: bool) -> None:
        """Sort by ``column`` (an index into :attr:`columns`)."""
        self.sort_column = column
        self.reverse = reverse
        self._shown_terms = None
        self._relabel()
        self._rebuild()

    @on(RowsView.HeaderSelected)
    def _header_clicked(self, event: RowsView.HeaderSelected) -> None:
        event.stop()
        index = event.index - (1 if self.markable else 0)
        if index >= 0:
            self.action_sort_by(index)

    @on(RowsView.RowSelected)
    def _row_selected(self, event: RowsView.RowSelected) -> None:
        event.stop()
        row = self.current
        if row is not None:
            self.post_message(self.Chosen(self, row))

    # -- rebuilding -----------------------------------------------------------------------

    def _rebuild(self) -> None:
        if not self.is_mounted:
            return
        table = self.table
        keep = self.current.key if self.current is not None else None
        keep_index = table.cursor_row
        terms = parse_filter(self.filter_text, self.columns)
        if self._shown_terms is not None and narrows(self._shown_terms, terms):
            shown = filter_rows(self._shown, terms)  # already sorted
        else:
            shown = sort_rows(filter_rows(self._rows, terms), self.sort_column, self.reverse)
        self._shown = shown
        self._shown_terms = terms
        index = next((i for i, r in enumerate(shown) if r.key == keep), None)
        if index is None:  # the row went: stay at the same height
            index = keep_index
        table.set_rows(shown, cursor=index)
        self._status()
        self.post_message(self.Changed(self, len(shown), len(self._rows)))

    def _status(self) -> None:
        parts = [f"{len(self._shown)} of {len(self._rows)}"]
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        if self.sort_column is not None:
            arrow = "descending" if self.reverse else "ascending"
            parts.append(f"sort: {self.columns[self.sort_column].title} {arrow}")
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        # One line, fixed height: no layout pass (which would repaint the whole screen).
        self.query_one("#table-status", Static).update(Text("  ·  ".join(parts)), layout=False)

    def _relabel(self) -> None:
        first = 1 if self.markable else 0
        column = None if self.sort_column is None else first + self.sort_column
        self.table.set_sort(column, self.reverse)
