"""The line-API table (:class:`RowsView`) in a real Textual app: drawing, keys, mouse, marks."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from ecr_cache_tui.tui.widgets.rows import Column, TableRow
from ecr_cache_tui.tui.widgets.rows_view import RowsView, fit
from ecr_cache_tui.tui.widgets.table import FilterTable

COLUMNS = [Column("name", "Name", 8), Column("size", "Size", 6, "right")]


def rows(count: int) -> list[TableRow]:
    return [
        TableRow.build(f"row-{i:03d}", [f"row-{i:03d}", str(i)], [f"row-{i:03d}", i])
        for i in range(count)
    ]


class _Table(App[None]):
    CSS = "FilterTable { height: 1fr; } FilterTable #table { height: 1fr; }"

    def __init__(self, markable: bool = False) -> None:
        super().__init__()
        self.markable = markable
        self.chosen: list[str] = []

    def compose(self) -> ComposeResult:
        yield FilterTable(COLUMNS, markable=self.markable, id="one")

    def on_filter_table_chosen(self, event: FilterTable.Chosen) -> None:
        self.chosen.append(event.row.key)


async def filled(pilot: Pilot[None], count: int) -> FilterTable:
    """The app's table holding ``count`` rows, focused and drawn."""
    table = pilot.app.query_one(FilterTable)
    table.set_rows(rows(count))
    table.table.focus()
    await pilot.pause()
    return table


def line(view: RowsView, y: int) -> str:
    return view.render_line(y).text


def test_fit_cuts_with_an_ellipsis_and_justifies() -> None:
    assert fit("abcdef", 4, "left") == "abc…"
    assert fit("ab", 4, "left") == "ab  "
    assert fit("ab", 4, "right") == "  ab"
    assert fit("ab", 5, "center") == " ab  "
    assert fit("日本語", 4, "left") == "日 …"  # wide characters count two cells
    assert fit("abc", 3, "right") == "abc"


async def test_draws_header_and_the_rows_in_view_only() -> None:
    app = _Table()
    async with app.run_test(size=(40, 12)) as pilot:
        table = await filled(pilot, 1000)
        view = table.table
        assert line(view, 0).split() == ["Name", "Size"]
        assert line(view, 1) == " row-000        0 " + " " * (view.size.width - 18)
        assert view.virtual_size.height == 1001
        # Drawn from the list: scrolling to the end draws the last rows, nothing in between.
        await pilot.press("end")
        await pilot.pause()
        assert view.cursor_row == 999
        last = view.size.height - 1
        assert line(view, last).split() == ["row-999", "999"]
        assert table.current is not None and table.current.key == "row-999"


async def test_keys_move_the_cursor_and_keep_it_in_view() -> None:
    app = _Table()
    async with app.run_test(size=(40, 12)) as pilot:
        table = await filled(pilot, 100)
        view = table.table
        page = view.scrollable_content_region.height - 1
        await pilot.press("down", "down")
        assert view.cursor_row == 2
        await pilot.press("pagedown")
        assert view.cursor_row == 2 + page
        assert view.scroll_y <= view.cursor_row < view.scroll_y + page
        await pilot.press("up")
        assert view.cursor_row == 1 + page
        await pilot.press("pageup")
        assert view.cursor_row == 1
        await pilot.press("end")
        assert view.cursor_row == 99
        assert view.scroll_y == view.max_scroll_y
        await pilot.press("home")
        assert view.cursor_row == 0
        assert view.scroll_y == 0
        await pilot.press("up")  # clamped at the top
        assert view.cursor_row == 0


async def test_enter_and_a_click_on_the_cursor_row_choose_it() -> None:
    app = _Table()
    async with app.run_test(size=(40, 12)) as pilot:
        table = await filled(pilot, 20)
        await pilot.press("down", "enter")
        assert app.chosen == ["row-001"]
        await pilot.click("#table", offset=(2, 4))  # header + row 3: moves the cursor only
        await pilot.pause()
        assert table.current is not None and table.current.key == "row-003"
        assert app.chosen == ["row-001"]
        await pilot.click("#table", offset=(2, 4))  # again: chooses it
        await pilot.pause()
        assert app.chosen == ["row-001", "row-003"]


async def test_marks_are_drawn_and_header_clicks_skip_the_mark_column() -> None:
    app = _Table(markable=True)
    async with app.run_test(size=(40, 12)) as pilot:
        table = await filled(pilot, 5)
        view = table.table
        table.toggle_mark()
        await pilot.pause()
        assert line(view, 1).startswith(" ●  row-000")
        assert line(view, 2).startswith("    row-001")
        # The mark column is 3 cells; "Size" starts after "Name" (8 + 2): a click there sorts
        # by the second column of the table's own columns.
        await pilot.click("#table", offset=(3 + 10 + 2, 0))
        await pilot.pause()
        assert table.sort_column == 1
        assert "Size ▲" in line(view, 0)
        table.clear_marks()
        await pilot.pause()
        assert all("●" not in line(view, y) for y in range(1, 6))


async def test_text_cells_keep_their_spans_and_a_long_cell_is_cut() -> None:
    app = _Table()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(FilterTable)
        styled = Text.assemble(("ab", "bold red"), "cdefghijkl")
        table.set_rows([TableRow.build("k", [styled, "12345678"])])
        await pilot.pause()
        strip = table.table.render_line(1)
        assert strip.text.startswith(" abcdefg…  ")
        assert strip.text[10:18] == " 12345… "  # 8 characters in a column of 6
        bold = [s for s in strip if s.text == "ab"]
        assert bold and bold[0].style is not None and bold[0].style.bold


async def test_a_theme_change_redraws_rows_in_the_new_colours() -> None:
    app = _Table()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(FilterTable)
        table.set_rows(rows(3))
        await pilot.pause()

        def colours() -> set[object]:
            # The row's own cells (not the padding to the widget's width, drawn afresh).
            return {s.style.bgcolor for s in table.table.render_line(2) if "row-" in s.text}

        dark = colours()
        app.theme = "textual-light"
        await pilot.pause()
        light = colours()
        assert light and dark and light != dark
