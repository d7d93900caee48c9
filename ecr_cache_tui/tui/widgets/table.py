"""A sortable, filterable table built on Textual's ``DataTable``.

:class:`FilterTable` keeps every row as a Python list (:class:`~.rows.TableRow`) and, whenever
the filter, the sort or the data change, rebuilds the ``DataTable`` from the filtered and sorted
list in one pass: removing rows one by one is O(n) each in ``DataTable``. The cursor follows
the row it was on (by key), so a refresh keeps cursor, sort and filter.

Keys: ``/`` filter (substring, or ``column:value``), ``esc`` clears it, ``s`` sorts by the next
column, ``S`` reverses, ``1``–``9`` sort by that column (again: reverse); clicking a header sorts
by it (again: reverse).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual._two_way_dict import TwoWayDict
from textual._types import SegmentLines
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Static
from textual.widgets._data_table import ColumnKey, Row, RowKey

from ecr_cache_tui.tui.widgets.rows import (
    Column,
    FilterTerm,
    TableRow,
    filter_rows,
    narrows,
    parse_filter,
    sort_rows,
)

__all__ = ["FastDataTable", "FilterTable"]

MARKED = Text("●", style="bold")
UNMARKED = Text(" ")
MARK_COLUMN = ColumnKey("__mark")


#: One row ready for :meth:`FastDataTable.replace_rows`: made once per row, reused by every
#: rebuild (a filter keystroke only picks which of them are shown).
RowEntry = tuple[RowKey, dict[ColumnKey, Text], Row, tuple[RowKey, int]]
_KEY = itemgetter(0)
_CELLS = itemgetter(1)
_ROW = itemgetter(2)
_OFFSET = itemgetter(3)


class FastDataTable(DataTable[Text]):
    """``DataTable`` with fixed-width columns that loads thousands of rows at once.

    ``DataTable``'s per-row costs that do nothing for a table whose columns all have a fixed
    width and whose rows are one line: measuring every cell to size auto-width columns (7 s
    for 10,000 rows of 6 columns here), the bookkeeping ``add_row`` repeats for each row, and
    two more passes over all rows to find their order and y offsets. :meth:`replace_rows` fills
    the table's own structures in one pass from prepared :data:`RowEntry` values instead, and
    ``_update_dimensions`` skips the measuring. Both touch ``DataTable`` internals (pinned by
    ``textual<9`` and exercised by the tests in ``tests/tui``); :meth:`replace_rows` falls back
    to ``clear()`` + ``add_row()`` when those internals are not there.
    """

    #: Most cell renderings kept across rebuilds (about 40 screens of 7 columns).
    CELL_CACHE_SIZE = 10_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Cell renderings by content (the cell object, its width and style), not by position:
        # ``DataTable``'s own cache is keyed by row key *and* ``_update_count``, so every rebuild
        # re-rendered every visible cell through Rich (~0.3 ms each, most of a keystroke).
        # Set first: ``DataTable.__init__`` already clears caches.
        self._content_cache: dict[tuple[object, ...], tuple[object, int, int, SegmentLines]] = {}
        super().__init__(*args, **kwargs)

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._content_cache.clear()

    def notify_style_update(self) -> None:
        # ``DataTable`` drops its render caches here without ``_clear_caches`` (a theme change).
        super().notify_style_update()
        self._content_cache.clear()

    def _render_cell(  # noqa: PLR0917  (DataTable's signature)
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        if row_index < 0 or column_index < 0 or row_index < self.fixed_rows:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cell = self._data[row_key].get(column_key)
        key = (
            id(cell),
            width,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._pseudo_class_state,
            column_index < self.fixed_columns,
        )
        hit = self._content_cache.get(key)
        if hit is None or hit[0] is not cell:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            if len(self._content_cache) >= self.CELL_CACHE_SIZE:
                self._content_cache.clear()
            self._content_cache[key] = (cell, row_index, column_index, lines)
            return lines
        _, cached_row, cached_column, lines = hit
        if cached_row == row_index and cached_column == column_index:
            return lines
        # The same cell drawn at another position: only the mouse meta (row, column) differs.
        meta = Style.from_meta({"row": row_index, "column": column_index})
        return [
            [Segment(s.text, s.style + meta if s.style else meta, s.control) for s in line]
            for line in lines
        ]

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        if all(not c.auto_width for c in self.columns.values()):
            new_rows = ()  # widths are fixed: nothing to measure
        super()._update_dimensions(new_rows)

    @staticmethod
    def entry(key: str, cells: dict[ColumnKey, Text]) -> RowEntry:
        """A :data:`RowEntry` for a one-line row ``key`` with ``cells`` by column key."""
        row_key = RowKey(key)
        return (row_key, cells, Row(row_key, 1, None, False), (row_key, 0))

    def replace_rows(self, entries: Sequence[RowEntry]) -> None:
        """Replace every row with ``entries``, in order."""
        if not _has_internals(self):
            self.clear()
            order = [c.key for c in self.ordered_columns]
            for row_key, cells, _, _ in entries:
                self.add_row(*(cells[k] for k in order), key=row_key.value)
            return
        # ``clear()`` without its ``self._y_offsets.clear()``, which computes the offsets of
        # every old row (its caches were just dropped) only to throw them away.
        DataTable._clear_caches(self)  # not the cell renderings by content (above)
        self._data.clear()
        self.rows.clear()
        self._labelled_row_exists = False
        self.hover_coordinate = Coordinate(0, 0)
        self.refresh()
        # C-level passes over prepared parts: no per-row tuple is made, so a keystroke
        # allocates a handful of lists and dicts (and no garbage-collector pass over the heap).
        keys = list(map(_KEY, entries))
        ordered = list(map(_ROW, entries))
        self._data.update(zip(keys, map(_CELLS, entries), strict=True))
        self.rows.update(zip(keys, ordered, strict=True))
        self._row_locations = TwoWayDict(dict(zip(keys, range(len(keys)), strict=True)))
        self._update_count += 1
        # What ``ordered_rows`` and ``_y_offsets`` would compute in two more passes.
        self._ordered_row_cache[(len(ordered), self._update_count)] = ordered
        self._offset_cache[self._update_count] = list(map(_OFFSET, entries))
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if entries and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self.check_idle()


def _has_internals(table: DataTable[Text]) -> bool:
    return all(
        hasattr(table, name)
        for name in (
            "_row_locations",
            "_data",
            "_update_count",
            "_require_update_dimensions",
            "_ordered_row_cache",
            "_offset_cache",
        )
    )


class FilterTable(Vertical):
    """A filter line, a status line and a :class:`FastDataTable`, over a list of rows.

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
        Binding("S", "reverse", "Reverse", key_display="S"),
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
        self._column_keys = [ColumnKey(c.key) for c in self.columns]
        self.markable = markable
        self.sort_column = sort_column
        self.reverse = reverse
        self.marked: set[str] = set()
        self._rows: list[TableRow] = []
        self._shown: list[TableRow] = []
        self._entries: dict[str, RowEntry] = {}
        # What the rows on screen were filtered with: a filter that only narrows it (one more
        # character typed) filters the rows on screen, already sorted, instead of all of them.
        self._shown_terms: tuple[FilterTerm, ...] | None = None

    # -- composition ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        filter_input = Input(placeholder="filter: text or column:value", id="filter")
        filter_input.display = False
        yield filter_input
        table: FastDataTable = FastDataTable(cursor_type="row", zebra_stripes=True, id="table")
        yield table
        yield Static("", id="table-status")

    def on_mount(self) -> None:
        table = self.table
        if self.markable:
            table.add_column(" ", key=MARK_COLUMN.value, width=1)
        for column in self.columns:
            table.add_column(self._header(column), key=column.key, width=column.width)

    @property
    def table(self) -> FastDataTable:
        """The ``DataTable`` inside."""
        return self.query_one("#table", FastDataTable)

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
        self.marked &= keys
        self._entries = {r.key: self._entry(r) for r in self._rows}
        self._shown_terms = None
        self._rebuild()

    def update_rows(self, rows: Sequence[TableRow]) -> None:
        """Replace the rows with the same keys (e.g. figures loaded later), then rebuild."""
        by_key = {r.key: r for r in rows}
        self._rows = [by_key.get(r.key, r) for r in self._rows]
        self._entries.update((r.key, self._entry(r)) for r in rows if r.key in self._entries)
        self._shown_terms = None
        self._rebuild()

    def _entry(self, row: TableRow) -> RowEntry:
        cells = dict(zip(self._column_keys, row.cells, strict=True))
        if self.markable:
            cells[MARK_COLUMN] = MARKED if row.key in self.marked else UNMARKED
        return FastDataTable.entry(row.key, cells)

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
        self.table.update_cell(row.key, MARK_COLUMN, self._mark(row.key))
        self._status()
        self.post_message(self.Changed(self, len(self._shown), len(self._rows)))

    def clear_marks(self) -> None:
        """Unmark every row."""
        if self.marked:
            for key in self.marked:
                if key in self._entries:
                    self._entries[key][1][MARK_COLUMN] = UNMARKED
            self.marked.clear()
            self._shown_terms = None
            self._rebuild()

    # -- filter and sort ------------------------------------------------------------------

    def action_start_filter(self) -> None:
        self.filter_input.display = True
        self.filter_input.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # With no filter to clear, ``esc`` falls through to the screen (which goes back).
        if action == "clear_filter":
            return bool(self.filter_text or self.filter_input.display)
        return True

    def action_clear_filter(self) -> None:
        """Clear the filter and close the filter line."""
        self._close_filter()

    def _close_filter(self) -> None:
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
        self.sort(column, reverse=False)

    def action_reverse(self) -> None:
        self.sort(self.sort_column, reverse=not self.reverse)

    def action_sort_by(self, column: int) -> None:
        if column >= len(self.columns):
            return
        reverse = not self.reverse if column == self.sort_column else False
        self.sort(column, reverse=reverse)

    def sort(self, column: int | None, *, reverse: bool) -> None:
        """Sort by ``column`` (an index into :attr:`columns`)."""
        self.sort_column = column
        self.reverse = reverse
        self._shown_terms = None
        self._relabel()
        self._rebuild()

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        index = event.column_index - (1 if self.markable else 0)
        if index >= 0:
            self.action_sort_by(index)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
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
        entries = self._entries
        table.replace_rows([entries[r.key] for r in shown])
        if shown:
            index = next((i for i, r in enumerate(shown) if r.key == keep), None)
            if index is None:  # the row went: stay at the same height
                index = min(max(keep_index, 0), len(shown) - 1)
            table.move_cursor(row=index)
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

    def _mark(self, key: str) -> Text:
        return MARKED if key in self.marked else UNMARKED

    def _header(self, column: Column) -> Text:
        title = column.title
        if self.sort_column is not None and self.columns[self.sort_column] is column:
            title += " ▼" if self.reverse else " ▲"
        return Text(title, justify=column.justify)

    def _relabel(self) -> None:
        table = self.table
        for column in self.columns:
            table.columns[ColumnKey(column.key)].label = self._header(column)
        table.refresh()
