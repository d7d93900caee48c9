"""Keys typed in one burst (fast typing, a paste) after ``/`` land in the filter, as a terminal
delivers them: every key queued before the app has handled the first one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.pilot import Pilot

from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.widgets.table import FilterTable
from tests.tui.helpers import SIZE, settle

MakeApp = Callable[..., CacheApp]


def burst(pilot: Pilot[Any], keys: str) -> None:
    """Queue ``keys`` (``/`` then characters) at once, as the driver does for one read."""
    driver = pilot.app._driver
    assert driver is not None
    for character in keys:
        key = "slash" if character == "/" else character
        event = events.Key(key, character)
        event.set_sender(pilot.app)
        driver.send_message(event)


async def filter_by_burst(pilot: Pilot[Any]) -> tuple[FilterTable, str]:
    """Type ``/`` and the first row's first three characters in one burst: the table, the text."""
    await settle(pilot)
    table = pilot.app.screen.query_one(FilterTable)
    text = table.shown_rows[0].cells[0][:3]
    burst(pilot, "/" + text)
    await settle(pilot)
    return table, text


async def test_a_burst_after_slash_lands_in_the_filter(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table, text = await filter_by_burst(pilot)
        assert table.filter_input.value == text
        assert app.focused is table.filter_input
        assert table.shown_rows
        assert all(text in " ".join(map(str, r.cells)) for r in table.shown_rows)
        assert len(table.shown_rows) < len(table.rows)


async def test_after_the_filter_is_kept_the_table_keys_sort_again(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table, text = await filter_by_burst(pilot)
        await pilot.press("enter")  # keep the filter, back to the table
        assert app.focused is table.table
        before = table.sort_column
        await pilot.press("s")  # the table's own key: sorts, not typed into the filter
        assert table.filter_input.value == text
        assert table.sort_column != before
