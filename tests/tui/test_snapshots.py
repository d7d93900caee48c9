"""SVG snapshots of every screen (pytest-textual-snapshot), deterministic: seeded demo data,
the clock pinned to ``DEMO_NOW``, the terminal 120x40 (the first two screens also at 80x24 and
200x50: the columns give way and grow with the width).

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs (``snapshot_report.html`` shows the differences on a failure).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from ecr_cache_tui.demo import DemoEcr
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.widgets.table import FilterTable
from tests.tui.helpers import SIZE, image_tags, press, settle

MakeApp = Callable[..., CacheApp]
Snap = Callable[..., bool]
SIZES = pytest.mark.parametrize(
    "size", [(80, 24), (120, 40), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}"
)


def repository_with_tags(demo: DemoEcr) -> str:
    return next(r for r in sorted(demo.repositories) if len(image_tags(demo, r)) >= 6)


def into(repository: str, *then: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Open ``repository``'s tags, then press ``then``, settling after each key."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        table = pilot.app.screen.query_one(FilterTable)
        keys = [r.key for r in table.shown_rows]
        table.table.move_cursor(row=keys.index(repository))
        await press(pilot, "enter")
        for key in then:
            await press(pilot, key)

    return run


@SIZES
def test_pipelines_screen(snap_compare: Snap, make_app: MakeApp, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=settle)


def test_pipelines_screen_read_only(snap_compare: Snap, make_app: MakeApp) -> None:
    assert snap_compare(make_app(read_only=True), terminal_size=SIZE, run_before=settle)


def test_pipelines_filtered_and_sorted(snap_compare: Snap, make_app: MakeApp) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await press(pilot, "slash", *"org:glob", "enter", "4", "4")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


@SIZES
def test_tags_screen_with_marks(
    snap_compare: Snap, make_app: MakeApp, demo: DemoEcr, size: tuple[int, int]
) -> None:
    run = into(repository_with_tags(demo), "1", "space", "space")
    assert snap_compare(make_app(), terminal_size=size, run_before=run)


def test_tag_detail_with_a_diff(snap_compare: Snap, make_app: MakeApp, demo: DemoEcr) -> None:
    run = into(repository_with_tags(demo), "enter", "x")
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_diff_picker(snap_compare: Snap, make_app: MakeApp, demo: DemoEcr) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await into(repository_with_tags(demo), "enter", "X")(pilot)
        pilot.app.screen.query_one(Input).cursor_blink = False  # no flaky blink
        await press(pilot, *"c0")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_confirm_eviction(snap_compare: Snap, make_app: MakeApp, demo: DemoEcr) -> None:
    run = into(repository_with_tags(demo), "1", "space", "space", "d")
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_max_age_editor_preview(snap_compare: Snap, make_app: MakeApp, demo: DemoEcr) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await into(repository_with_tags(demo), "m")(pilot)
        days = pilot.app.screen.query_one("#days", Input)
        days.cursor_blink = False  # a blinking cursor would make the snapshot flaky
        days.value = "3"
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_help_screen(snap_compare: Snap, make_app: MakeApp, demo: DemoEcr) -> None:
    run = into(repository_with_tags(demo), "question_mark")
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


def test_confirm_evicting_every_image_asks_for_the_name(
    snap_compare: Snap, make_app: MakeApp, demo: DemoEcr
) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        table = pilot.app.screen.query_one(FilterTable)
        keys = [r.key for r in table.shown_rows]
        table.table.move_cursor(row=keys.index(repository_with_tags(demo)))
        await press(pilot, "D")
        pilot.app.screen.query_one("#type-name", Input).cursor_blink = False
        await press(pilot, *"acme")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_max_age_over_marked_pipelines_confirmation(
    snap_compare: Snap, make_app: MakeApp, demo: DemoEcr
) -> None:
    custom = demo.repositories[7]  # the demo's hand-written policy (DemoEcr._policy)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        table = pilot.app.screen.query_one(FilterTable)
        for repository in (custom, sorted(demo.repositories)[0]):
            keys = [r.key for r in table.shown_rows]
            table.table.move_cursor(row=keys.index(repository))
            await pilot.press("space")
        await press(pilot, "m")
        days = pilot.app.screen.query_one("#days", Input)
        days.cursor_blink = False
        days.value = "7"
        await settle(pilot)
        await press(pilot, "enter")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)
