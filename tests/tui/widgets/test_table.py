"""The table widget on its own (no app, no ECR): clicks and scrolling after a filter."""

from __future__ import annotations

from textual.app import App, ComposeResult

from ecr_cache_tui.tui.widgets.rows import Column, TableRow
from ecr_cache_tui.tui.widgets.table import FilterTable

SIZE = (120, 40)


class _OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield FilterTable([Column("name", "Name", 10)], id="one")


async def test_click_after_filtering_picks_the_row_drawn_there() -> None:
    # Cells drawn before the filter are reused from the table's cache at their new position
    # (same content, same zebra stripe): the click must land on the row now drawn there.
    app = _OneTable()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FilterTable)
        names = [f"row-{i}" + (" keep" if 4 <= i < 8 else "") for i in range(10)]
        table.set_rows([TableRow.build(n, [n]) for n in names])
        table.table.focus()
        await pilot.pause()
        table.filter_text = "keep"  # rows 4-7 move up to 0-3: same stripes
        await pilot.pause()
        assert [r.key for r in table.shown_rows] == names[4:8]
        await pilot.click("#table", offset=(3, 2))  # header, then the second row
        await pilot.pause()
        assert table.current is not None
        assert table.current.key == names[5]


class _FixedHeightTable(App[None]):
    # Sized as in the app's CSS: the table's size does not follow its row count, only its
    # virtual size and scrollbar do.
    CSS = "FilterTable { height: 1fr; } FilterTable #table { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield FilterTable([Column("name", "Name", 10)], id="one")


async def test_filtering_a_fixed_height_table_updates_its_scrollbar_and_rows() -> None:
    app = _FixedHeightTable()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FilterTable)
        names = [f"row-{i:03d}" + (" keep" if i % 10 == 0 else "") for i in range(200)]
        table.set_rows([TableRow.build(n, [n]) for n in names])
        table.table.focus()
        await pilot.pause()
        data_table = table.table
        assert data_table.show_vertical_scrollbar
        assert data_table.virtual_size.height == 201  # header + rows
        data_table.move_cursor(row=199)  # the last row, scrolled to the bottom
        await pilot.pause()
        assert data_table.cursor_row == 199
        assert data_table.scroll_y > 0

        await pilot.press("slash", *"row-1")  # 100 rows: still scrolls
        await pilot.pause()
        assert data_table.virtual_size.height == 101
        assert data_table.vertical_scrollbar.window_virtual_size == 101
        assert data_table.scroll_y <= data_table.max_scroll_y

        await pilot.press(*" keep")  # 10 rows: no scrollbar, back at the top
        await pilot.pause()
        assert [r.key for r in table.shown_rows] == [n for n in names if "keep" in n][10:20]
        assert not data_table.show_vertical_scrollbar
        assert data_table.scroll_y == 0
        await pilot.click("#table", offset=(3, 3))  # header, then the third row
        await pilot.pause()
        assert table.current is not None
        assert table.current.key == names[120]

        await pilot.press("escape")  # every row again: the scrollbar is back
        await pilot.pause()
        assert data_table.show_vertical_scrollbar
        assert data_table.virtual_size.height == 201
        assert table.current is not None
        assert table.current.key == names[120]
