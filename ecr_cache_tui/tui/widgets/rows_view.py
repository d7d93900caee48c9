"""A table that draws only the lines on screen, straight from a list of rows (Textual's line API).

:class:`RowsView` holds no per-row widget state: it is handed the rows to show as a Python list
(:class:`~.rows.TableRow`) and draws line ``y`` of the screen from row ``scroll_y + y - 1``
when Textual asks for it. Replacing the list (a filter keystroke, a sort, new data) costs
nothing per row; only the ~40 lines on screen are drawn, each from a strip cached by the row
object, its zebra stripe, cursor and mark. ``DataTable`` by contrast keeps a dict, a row object
and offsets per row and re-renders every visible cell through Rich after each rebuild.

Columns take the width on offer (no cell is ever measured to size a column): when narrow they
shrink and give way by priority, when wide they grow (:func:`~.rows.layout`). A cell is a plain
``str`` (drawn with its column's justification and style, and the row's tone for it: a theme
colour) or a Rich ``Text`` (its spans kept). A cell too long for its column takes the column's
shorter form, if it has one, then ends in ``…``. The sort column's header keeps its arrow when
cut.

Keys: arrows, ``pageup``/``pagedown``, ``home``/``end`` (first and last row), ``enter`` selects.
Mouse: a click moves the cursor (a click on the cursor row selects it), a header click posts
:class:`RowsView.HeaderSelected`, the wheel scrolls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ecr_cache_tui.tui.widgets.rows import TONES, Column, TableRow, layout

__all__ = ["RowsView"]

#: Cells are drawn with one space either side, as ``DataTable`` draws them.
PADDING = 1
ELLIPSIS = "…"


def fit(plain: str, width: int, justify: str) -> str:
    """``plain`` cut (ending ``…``) or padded to exactly ``width`` cells."""
    length = cell_len(plain)
    if length > width:
        return set_cell_size(plain, width - 1) + ELLIPSIS if width > 0 else ""
    pad = width - length
    if not pad:
        return plain
    if justify == "right":
        return " " * pad + plain
    if justify == "center":
        left = pad // 2
        return " " * left + plain + " " * (pad - left)
    return plain + " " * pad


class _Picked(Message):
    """Something at ``index`` of a :class:`RowsView` was picked."""

    def __init__(self, view: RowsView, index: int) -> None:
        super().__init__()
        self.view = view
        self.index = index

    @property
    def control(self) -> RowsView:
        return self.view


@lru_cache(maxsize=256)
def _style(style: str | Style) -> Style:
    if isinstance(style, Style):
        return style
    return Style.parse(style) if style else Style.null()


class RowsView(ScrollView, can_focus=True):
    """Rows of fixed-width columns under a header, drawn line by line from a list.

    Args:
        columns: the columns, in order.
        mark_column: draw a one-cell mark column first; ``is_marked(key)`` says what it shows.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rows-view--header",
        "rows-view--cursor",
        "rows-view--even-row",
        "rows-view--odd-row",
        *(f"rows-view--{tone}" for tone in TONES),
    }

    # The look of Textual's ``DataTable`` (same theme variables), so the app stays familiar.
    DEFAULT_CSS = """
    RowsView {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .rows-view--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .rows-view--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .rows-view--even-row {
            background: $surface-darken-1 40%;
        }
        & > .rows-view--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .rows-view--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .rows-view--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .rows-view--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .rows-view--warning { color: $text-warning; text-style: bold; }
        & > .rows-view--error { color: $text-error; text-style: bold; }
        & > .rows-view--success { color: $text-success; }
        & > .rows-view--muted { color: $text-muted; }
        & > .rows-view--accent { color: $text-accent; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First row", show=False),
        Binding("end,ctrl+end", "last", "Last row", show=False),
    ]

    #: Most row strips kept (a strip is one drawn line of one row; ~40 are on screen).
    STRIP_CACHE_SIZE = 2_000

    class RowSelected(_Picked):
        """``enter``, or a click on the cursor row: row ``index`` of the rows shown."""

    class HeaderSelected(_Picked):
        """A click on the header of column ``index`` (the mark column, if any, is 0)."""

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        mark_column: bool = False,
        is_marked: Callable[[str], bool] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._columns: list[Column] = (
            [Column("__mark", " ", 1, keep=True, priority=99)] if mark_column else []
        ) + list(columns)
        self._mark_column = mark_column
        self._is_marked = is_marked or (lambda _key: False)
        self._sort: tuple[int, bool] | None = None
        self._rows: Sequence[TableRow] = ()
        self._cursor = 0
        # Row strips keyed by (id of the row object, stripe, cursor, mark); the row is kept
        # beside its strip so its id cannot be reused by another row while the entry lives.
        self._strips: dict[tuple[object, ...], tuple[TableRow, Strip]] = {}
        self._header: Strip | None = None
        self._tones: dict[str, Style] = {}
        #: The width laid out for, and each column's width in it (0: dropped).
        self._laid_out_for = -1
        self._widths: tuple[int, ...] = tuple(c.width for c in self._columns)
        self._width = sum(w + 2 * PADDING for w in self._widths)
        self.virtual_size = Size(self._width, 1)

    # -- the columns ----------------------------------------------------------------------

    @property
    def column_widths(self) -> tuple[int, ...]:
        """Each column's width as drawn now (0: dropped; the mark column, if any, first)."""
        self._relayout()
        return self._widths

    def _available(self) -> int:
        width = self.size.width
        if self.show_vertical_scrollbar:
            width -= self.styles.scrollbar_size_vertical
        return width

    def _relayout(self) -> None:
        available = self._available()
        if available == self._laid_out_for or available <= 0:
            return
        self._laid_out_for = available
        widths = layout(self._columns, available, PADDING)
        if widths != self._widths:
            self._widths = widths
            self._width = sum(w + 2 * PADDING for w in widths if w)
            self.clear_cache()
            self.virtual_size = Size(self._width, len(self._rows) + 1)
            self.refresh()

    # -- what is shown --------------------------------------------------------------------

    @property
    def cursor_row(self) -> int:
        """The index of the cursor row (0 when there are no rows)."""
        return self._cursor

    def set_rows(self, rows: Sequence[TableRow], cursor: int = 0) -> None:
        """Show ``rows`` (kept, not copied), the cursor on row ``cursor``."""
        self._rows = rows
        self._cursor = min(max(cursor, 0), max(len(rows) - 1, 0))
        self.virtual_size = Size(self._width, len(rows) + 1)
        self._scroll_cursor_into_view()
        self.refresh()

    def set_sort(self, index: int | None, reverse: bool) -> None:
        """Draw the sort arrow on the header of column ``index`` (the mark column is 0)."""
        self._sort = None if index is None else (index, reverse)
        self._header = None
        self.refresh_line(0)

    def _labels(self) -> list[str | Text]:
        labels: list[str | Text] = []
        for index, (column, width) in enumerate(zip(self._columns, self._widths, strict=True)):
            title = column.title
            if self._sort is not None and self._sort[0] == index:
                arrow = " ▼" if self._sort[1] else " ▲"
                if cell_len(title) + len(arrow) > width:  # cut the title, never the arrow
                    title = fit(title, max(width - len(arrow), 1), "left").rstrip()
                title += arrow
            labels.append(title)
        return labels

    def refresh_row(self, index: int) -> None:
        """Draw row ``index`` again (its mark changed)."""
        self.refresh_line(index + 1)

    def clear_cache(self) -> None:
        """Forget every drawn strip (the look or the widths changed)."""
        self._strips.clear()
        self._header = None
        self._tones.clear()

    def _tone(self, tone: str) -> Style:
        style = self._tones.get(tone)
        if style is None:
            style = self._tones[tone] = self.get_component_rich_style(f"rows-view--{tone}")
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.clear_cache()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self.clear_cache()  # the cursor and header styles follow focus
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self.clear_cache()
        self.refresh()

    # -- the cursor -----------------------------------------------------------------------

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Put the cursor on row ``row`` (clamped to the rows there are)."""
        row = min(max(row, 0), max(len(self._rows) - 1, 0))
        old, self._cursor = self._cursor, row
        if old != row:
            self.refresh_row(old)
            self.refresh_row(row)
        if scroll:
            self._scroll_cursor_into_view()

    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _scroll_cursor_into_view(self) -> None:
        top, page = round(self.scroll_y), self._page()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + page:
            self.scroll_to(y=self._cursor - page + 1, animate=False)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        self.scroll_to(y=self.scroll_y - self._page(), animate=False)
        self.move_cursor(row=self._cursor - self._page())

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self._page(), animate=False)
        self.move_cursor(row=self._cursor + self._page())

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._rows) - 1)

    def action_select_cursor(self) -> None:
        if self._rows:
            self.post_message(self.RowSelected(self, self._cursor))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x + round(self.scroll_x))
            if column is not None:
                self.post_message(self.HeaderSelected(self, column))
            return
        index = offset.y - 1 + round(self.scroll_y)
        if 0 <= index < len(self._rows):
            event.stop()
            if index == self._cursor:
                self.post_message(self.RowSelected(self, index))
            else:
                self.move_cursor(row=index)

    def _column_at(self, x: int) -> int | None:
        right = 0
        for index, width in enumerate(self.column_widths):
            if not width:
                continue
            right += width + 2 * PADDING
            if x < right:
                return index
        return None

    # -- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        self._relayout()
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        if y == 0:
            if self._header is None:
                style = base + self.get_component_rich_style("rows-view--header")
                self._header = self._strip(self._labels(), style, cursor=None)
            strip = self._header
        else:
            index = y - 1 + scroll_y
            if index >= len(self._rows):
                return Strip.blank(width, base)
            strip = self._row_strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _row_strip(self, index: int) -> Strip:
        row = self._rows[index]
        cursor = index == self._cursor
        marked = self._mark_column and self._is_marked(row.key)
        key = (id(row), index % 2, cursor, marked)
        hit = self._strips.get(key)
        if hit is not None:
            return hit[1]
        stripe = "rows-view--odd-row" if index % 2 else "rows-view--even-row"
        style = self.rich_style + self.get_component_rich_style(stripe)
        cursor_style = self.get_component_rich_style("rows-view--cursor") if cursor else None
        cells: list[str | Text] = list(row.cells)
        if self._mark_column:
            cells.insert(0, "●" if marked else " ")
        tones = row.tones
        if tones is not None and self._mark_column:
            tones = ("", *tones)
        strip = self._strip(cells, style, cursor_style, tones)
        if len(self._strips) >= self.STRIP_CACHE_SIZE:
            self._strips.clear()
        self._strips[key] = (row, strip)
        return strip

    def _strip(
        self,
        cells: Sequence[str | Text],
        style: Style,
        cursor: Style | None,
        tones: Sequence[str] | None = None,
    ) -> Strip:
        segments: list[Segment] = []
        pad = " " * PADDING
        for index, (column, width, cell) in enumerate(
            zip(self._columns, self._widths, cells, strict=False)
        ):
            if not width:
                continue
            cell_style = style + _style(column.style)
            if tones is not None and index < len(tones) and tones[index]:
                cell_style += self._tone(tones[index])
            if isinstance(cell, Text):
                cell_style += _style(cell.style)
                if cell.spans:
                    segments.extend(self._rich_cell(cell, column, width, cell_style, cursor))
                    continue
                plain = cell.plain
            else:
                plain = cell
            if column.shorten is not None and cell_len(plain) > width:
                plain = column.shorten(plain, width)
            if cursor is not None:
                cell_style += cursor
            segments.append(Segment(pad + fit(plain, width, column.justify) + pad, cell_style))
        return Strip(segments, self._width)

    def _rich_cell(
        self, cell: Text, column: Column, width: int, style: Style, cursor: Style | None
    ) -> list[Segment]:
        text = cell.copy()
        text.no_wrap = True
        text.truncate(width, overflow="ellipsis")
        justify = column.justify
        text.align(justify if justify in ("center", "right") else "left", width)
        text.pad(PADDING)
        segments = []
        for segment in text.render(self.app.console, ""):
            seg_style = style + segment.style if segment.style else style
            if cursor is not None:
                seg_style += cursor
            segments.append(Segment(segment.text, seg_style))
        return segments
