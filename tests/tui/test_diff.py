""" "Why did this build miss?" in one key: ``x`` on a tag diffs against the previous push, each
input old → new, in view at 80x24; ``X`` picks another tag from a list that filters as you type.

The expected rows come from the demo's image labels through the core (the rendering the CLI
prints too), and what is asserted is what the terminal shows.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, OptionList, Static

from ecr_cache_tui.cachekey.diffrows import DiffRow, diff_rows
from ecr_cache_tui.demo import DemoEcr
from ecr_cache_tui.model import TagInfo
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.screens.detail import TagDetailScreen, previous_tag
from ecr_cache_tui.tui.screens.diff_picker import DiffPickerScreen
from ecr_cache_tui.tui.screens.tags import TagsScreen
from ecr_cache_tui.tui.widgets.table import FilterTable
from tests.tui.helpers import SpyService, image_tags, plain, press, screen_lines, settle, until

MakeApp = Callable[..., CacheApp]
SMALL_TERMINAL = (80, 24)


def newest_with_a_previous(spy: SpyService, demo: DemoEcr) -> tuple[str, TagInfo, TagInfo]:
    """A repository, its newest tag (not ``latest``) and the push before it."""
    for repository in sorted(demo.repositories):
        if len(image_tags(demo, repository)) < 4:
            continue
        infos = spy.list_tags(repository)
        newest = next(i for i in infos if i.tag != "latest")
        previous = previous_tag(newest, infos)
        if previous is not None:
            return repository, newest, previous
    raise AssertionError("no repository with two pushes")


async def open_tag(pilot, app: CacheApp, repository: str, tag: str, *then: str) -> None:  # type: ignore[no-untyped-def]
    """From the start: open ``repository``'s ``tag``, then press ``then`` and let it settle."""
    await settle(pilot)
    table = app.screen.query_one(FilterTable)
    table.table.move_cursor(row=[r.key for r in table.shown_rows].index(repository))
    await press(pilot, "enter")
    assert isinstance(app.screen, TagsScreen)
    table = app.screen.query_one(FilterTable)
    table.table.move_cursor(row=[r.key for r in table.shown_rows].index(tag))
    await press(pilot, "enter")
    assert isinstance(app.screen, TagDetailScreen)
    if then:
        await press(pilot, *then)


def test_the_previous_tag_is_the_next_older_push_of_another_image(
    spy: SpyService, demo: DemoEcr
) -> None:
    repository, newest, previous = newest_with_a_previous(spy, demo)
    infos = spy.list_tags(repository)
    older = [
        i for i in infos if i.pushed_at and newest.pushed_at and i.pushed_at < newest.pushed_at
    ]
    assert previous.pushed_at == max(i.pushed_at for i in older if i.pushed_at)
    latest = next(i for i in infos if i.tag == "latest")
    assert previous_tag(latest, infos) != next(i for i in infos if i.digest == latest.digest)
    oldest = min(infos, key=lambda i: i.pushed_at or newest.pushed_at)  # type: ignore[arg-type,return-value]
    assert previous_tag(oldest, infos) is None


async def test_x_shows_each_changed_input_old_and_new_without_scrolling_at_80x24(
    make_app: MakeApp, spy: SpyService, demo: DemoEcr
) -> None:
    repository, newest, previous = newest_with_a_previous(spy, demo)
    rows = diff_rows(spy.diff(repository, previous.tag, newest.tag))
    changed = [r for r in rows if r.status != "same" and not r.is_file]
    assert changed, "the demo's consecutive pushes differ in an input"
    app = make_app()
    async with app.run_test(size=SMALL_TERMINAL) as pilot:
        await open_tag(pilot, app, repository, newest.tag, "x")

        def on_screen(row: DiffRow) -> bool:  # one line: label, old, →, new
            return any(
                row.label in line
                and row.old in line
                and row.new in line
                and line.index(row.label) < line.index(row.old) < line.rindex("→")
                and line.rindex("→") < line.rindex(row.new)
                for line in screen_lines(app)
            )

        await until(pilot, lambda: all(on_screen(row) for row in changed))
        summary = f"{previous.tag[:16]} → {newest.tag[:16]}"
        assert any(summary in line for line in screen_lines(app))


async def test_x_on_the_oldest_push_opens_the_list(
    make_app: MakeApp, spy: SpyService, demo: DemoEcr
) -> None:
    repository, _, _ = newest_with_a_previous(spy, demo)
    infos = spy.list_tags(repository)
    oldest = min(infos, key=lambda i: (i.pushed_at, i.tag))  # type: ignore[arg-type,return-value]
    app = make_app()
    async with app.run_test() as pilot:
        await open_tag(pilot, app, repository, oldest.tag, "x")
        assert isinstance(app.screen, DiffPickerScreen)


async def test_the_list_filters_as_you_type_and_enter_picks_the_one_left(
    make_app: MakeApp, spy: SpyService, demo: DemoEcr
) -> None:
    repository, newest, previous = newest_with_a_previous(spy, demo)
    others = [i for i in spy.list_tags(repository) if i.tag not in (newest.tag, "latest")]
    wanted = next(i for i in others if i.tag != previous.tag)
    prefix = next(
        wanted.tag[:n]
        for n in range(4, 33)
        if sum(o.tag.startswith(wanted.tag[:n]) for o in others) == 1
        and "latest".find(wanted.tag[:n]) == -1
    )
    app = make_app()
    async with app.run_test() as pilot:
        await open_tag(pilot, app, repository, newest.tag, "X")
        assert isinstance(app.screen, DiffPickerScreen)
        assert app.focused is app.screen.query_one(Input)
        options = app.screen.query_one(OptionList)
        highlighted = options.get_option_at_index(options.highlighted or 0).id
        assert highlighted == previous.tag  # the likely choice comes first
        await pilot.press(*prefix)
        assert options.option_count == 1
        await press(pilot, "enter")

        assert isinstance(app.screen, TagDetailScreen)
        text = plain(app.screen.query_one("#diff", Static).content)
        assert f"{wanted.tag[:16]} → {newest.tag[:16]}" in text


async def test_the_list_moves_with_the_arrows_while_typing_stays_in_the_filter(
    make_app: MakeApp, spy: SpyService, demo: DemoEcr
) -> None:
    repository, newest, _ = newest_with_a_previous(spy, demo)
    app = make_app()
    async with app.run_test() as pilot:
        await open_tag(pilot, app, repository, newest.tag, "X")
        options = app.screen.query_one(OptionList)
        start = options.highlighted or 0
        await pilot.press("down")
        assert options.highlighted == start + 1
        chosen = options.get_option_at_index(start + 1).id
        await press(pilot, "enter")
        text = plain(app.screen.query_one("#diff", Static).content)
        assert f"{str(chosen)[:16]} → {newest.tag[:16]}" in text


async def test_a_pipeline_of_one_image_has_nothing_to_compare_with(
    make_app: MakeApp, spy: SpyService, demo: DemoEcr
) -> None:
    repository = next(
        r
        for r in sorted(demo.repositories)
        if len(spy.list_tags(r)) == 2  # a tag and latest
    )
    tag = next(i.tag for i in spy.list_tags(repository) if i.tag != "latest")
    app = make_app()
    async with app.run_test() as pilot:
        await open_tag(pilot, app, repository, tag, "x", "X")
        assert isinstance(app.screen, TagDetailScreen)  # no list of nothing
        assert "no other image" in plain(app.screen.query_one("#diff", Static).content)
