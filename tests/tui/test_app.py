"""The TUI under Textual's Pilot, on the in-process demo ECR (moto): keys, screens, outcomes.

Every change is asserted in moto (tags gone, policy changed) and every refusal or read-only
attempt by moto being unchanged and the service's mutating methods never called.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from ecr_cache_tui.demo import DemoEcr
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.messages import EvictRequested, MaxAgeRequested
from ecr_cache_tui.tui.screens.confirm import ConfirmScreen
from ecr_cache_tui.tui.screens.detail import TagDetailScreen
from ecr_cache_tui.tui.screens.help import HelpScreen
from ecr_cache_tui.tui.screens.max_age import MaxAgeScreen
from ecr_cache_tui.tui.screens.pipelines import PipelinesScreen
from ecr_cache_tui.tui.screens.tags import TagsScreen
from ecr_cache_tui.tui.widgets.summary import Summary
from ecr_cache_tui.tui.widgets.table import FilterTable
from tests.tui.helpers import MUTATIONS, SIZE, SpyService, image_tags, plain, press, running, settle

MakeApp = Callable[..., CacheApp]


def table_of(app: CacheApp) -> FilterTable:
    return app.screen.query_one(FilterTable)


def shown(app: CacheApp) -> list[str]:
    return [r.key for r in table_of(app).shown_rows]


def notes(app: CacheApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


def static_text(app: CacheApp, selector: str) -> str:
    widget = app.screen.query_one(selector)
    if isinstance(widget, Summary):
        return widget.text
    assert isinstance(widget, Static)
    return str(widget.render())


async def open_repository(pilot, app: CacheApp, repository: str) -> None:  # type: ignore[no-untyped-def]
    keys = shown(app)
    table_of(app).table.move_cursor(row=keys.index(repository))
    await press(pilot, "enter")
    assert isinstance(app.screen, TagsScreen)


@asynccontextmanager
async def on_tags_screen(app: CacheApp, repository: str) -> AsyncIterator[Pilot[None]]:
    """``app`` running, its workers settled, on the tags screen of ``repository``."""
    async with running(app, size=SIZE) as pilot:
        await open_repository(pilot, app, repository)
        yield pilot


def a_repository_with_tags(demo: DemoEcr, at_least: int = 3) -> str:
    for name in sorted(demo.repositories):
        if len(image_tags(demo, name)) >= at_least + 1:
            return name
    raise AssertionError("the demo has no repository with enough tags")


# -- listing and navigation -----------------------------------------------------------------


async def test_pipelines_are_listed_grouped_by_organisation_with_figures(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    app = make_app()
    async with running(app, size=SIZE):
        assert isinstance(app.screen, PipelinesScreen)
        rows = table_of(app).shown_rows
        assert sorted(r.key for r in rows) == sorted(demo.repositories)
        orgs = [str(r.cells[0]) for r in rows]
        assert orgs == sorted(orgs)  # grouped by organisation
        assert all(str(r.cells[2]) != "…" for r in rows)  # figures loaded
        assert "12 pipelines" in static_text(app, "#summary")


async def test_three_levels_pipelines_tags_detail_and_back(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    repository = a_repository_with_tags(demo)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        assert set(shown(app)) == image_tags(demo, repository)
        latest = [r for r in table_of(app).shown_rows if str(r.cells[5]) == "latest"]
        assert {r.key for r in latest} >= {"latest"}

        tag = shown(app)[0]
        await press(pilot, "enter")
        assert isinstance(app.screen, TagDetailScreen)
        info = static_text(app, "#info")
        assert f"docker pull {demo.registry_hostname}/{repository}:{tag}" in info
        manifest = app.screen.query_one("#manifest", DataTable)
        kinds = {str(manifest.get_row_at(i)[0]) for i in range(manifest.row_count)}
        assert {"dockerfile", "context", "platform", "cache-on"} <= kinds

        await pilot.press("escape")
        assert isinstance(app.screen, TagsScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, PipelinesScreen)


async def test_diff_against_another_tag_chosen_from_a_list(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    repository = a_repository_with_tags(demo)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        await pilot.press("1")  # by tag, so "latest" is not first
        tag = next(k for k in shown(app) if k != "latest")
        table_of(app).table.move_cursor(row=shown(app).index(tag))
        await press(pilot, "enter")
        await pilot.press("X")
        await pilot.pause()
        await pilot.press("enter")  # the first other tag
        await settle(pilot)
        text = plain(app.screen.query_one("#diff", Static).content)
        assert "→" in text
        assert "changed" in text or "no input changed" in text


# -- filter and sort ------------------------------------------------------------------------


async def test_filter_as_you_type_substring_then_column_value(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        org = table_of(app).shown_rows[-1].cells[0]
        await pilot.press("slash", *org[:4])
        assert app.focused is table_of(app).filter_input
        assert shown(app)
        assert all(org[:4] in k for k in shown(app))

        table_of(app).filter_input.value = ""
        await pilot.press(*f"org:{org}")
        await pilot.pause()
        expected = {r for r in demo.repositories if r.split("/")[1] == org}
        assert set(shown(app)) == expected
        assert f"filter: org:{org}" in static_text(app, "#table-status")

        await pilot.press(*" pipeline:zzz-nothing")
        await pilot.pause()
        assert shown(app) == []


async def test_escape_clears_the_filter_then_goes_back(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = a_repository_with_tags(demo)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        everything = shown(app)
        await pilot.press("slash", *"tag:latest")
        assert shown(app) == ["latest"]
        await pilot.press("enter")  # keep the filter, back to the table
        assert shown(app) == ["latest"]
        await pilot.press("escape")  # clears
        assert isinstance(app.screen, TagsScreen)
        assert sorted(shown(app)) == sorted(everything)
        assert not table_of(app).filter_input.display
        await pilot.press("escape")  # nothing to clear: back
        assert isinstance(app.screen, PipelinesScreen)


async def test_sort_by_key_and_reverse_figures_descending_first(make_app: MakeApp) -> None:
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await pilot.press("s", "s")  # organisation → pipeline: text, ascending
        table = table_of(app)
        names = [r.values[1] for r in table.shown_rows]
        assert names == sorted(names)  # type: ignore[type-var]
        await pilot.press("s")  # → images: a figure, the largest first
        assert table.sort_column == 2
        counts = [r.values[2] for r in table.shown_rows]
        assert counts == sorted(counts, reverse=True)  # type: ignore[type-var]
        assert counts[0] != counts[-1]
        assert "sort: Images descending" in static_text(app, "#table-status")
        await pilot.press("S")
        counts = [r.values[2] for r in table.shown_rows]
        assert counts == sorted(counts)  # type: ignore[type-var]
        assert "sort: Images ascending" in static_text(app, "#table-status")

        await pilot.press("4")  # size
        sizes = [r.values[3] for r in table.shown_rows]
        assert table.sort_column == 3
        assert sizes == sorted(sizes, reverse=True)  # type: ignore[type-var]
        await pilot.press("4")  # again: reversed
        assert [r.values[3] for r in table.shown_rows] == sorted(sizes)  # type: ignore[type-var]


async def test_sort_by_header_click_and_again_reverses(make_app: MakeApp) -> None:
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        table = table_of(app)
        # Column x offsets: each column is its width plus one cell of padding either side
        # (the mark column first).
        widths = table.table.column_widths
        x = sum(w + 2 for w in widths[:4] if w) + 3  # inside "Size"
        await pilot.click("#table", offset=(x, 0))
        await pilot.pause()
        assert table.sort_column == 3
        assert table.reverse  # a figure: the largest first
        sizes = [r.values[3] for r in table.shown_rows]
        assert sizes == sorted(sizes, reverse=True)  # type: ignore[type-var]
        await pilot.click("#table", offset=(x, 0))
        await pilot.pause()
        assert not table.reverse
        assert [r.values[3] for r in table.shown_rows] == sorted(sizes)  # type: ignore[type-var]


async def test_refresh_keeps_cursor_sort_and_filter(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = a_repository_with_tags(demo, at_least=5)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        await pilot.press("3")  # size: a figure, descending first
        table = table_of(app)
        table.filter_text = "0"  # some tags only
        await pilot.pause()
        await pilot.press("down", "down")
        before_rows, before_key = shown(app), table.current and table.current.key
        await press(pilot, "r")
        assert "list_tags" in app.service.calls[-1:]  # type: ignore[attr-defined]
        assert shown(app) == before_rows
        assert table.current is not None and table.current.key == before_key
        assert (table.sort_column, table.reverse, table.filter_text) == (2, True, "0")


# -- help, palette, copy --------------------------------------------------------------------


async def test_help_lists_the_screens_keys_and_closes(make_app: MakeApp) -> None:
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = dict(app.screen.keys)
        assert keys["D"] == "Evict all"
        assert keys["m"] == "Max age"
        await pilot.press("escape")
        assert isinstance(app.screen, PipelinesScreen)


async def test_palette_jumps_to_a_pipeline(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = sorted(demo.repositories)[-1]
    name = repository.removeprefix("build-cache/")
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        app.screen.query_one(Input).value = f"Open pipeline {name}"
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, TagsScreen)
        assert app.screen.repository == repository


async def test_palette_rebuild_and_max_age_commands(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = sorted(demo.repositories)[0]
    name = repository.removeprefix("build-cache/")
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        app.screen.query_one(Input).value = f"Rebuild {name} (evict every tag)"
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        app.screen.query_one(Input).value = f"Set max age of {name}"
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, MaxAgeScreen)


async def test_copy_puts_the_image_uri_on_the_clipboard_and_toasts_it(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    repository = a_repository_with_tags(demo)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        tag = table_of(app).current.key  # type: ignore[union-attr]
        await pilot.press("c")
        uri = f"{demo.registry_hostname}/{repository}:{tag}"
        assert app.clipboard == uri
        assert any("Copied image URI" in n and uri in n for n in notes(app))


# -- evicting -------------------------------------------------------------------------------


async def test_evict_one_tag_after_confirming(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = a_repository_with_tags(demo)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        await pilot.press("1")
        tag = next(k for k in shown(app) if k != "latest")
        table_of(app).table.move_cursor(row=shown(app).index(tag))
        before = image_tags(demo, repository)
        await press(pilot, "d")
        assert isinstance(app.screen, ConfirmScreen)
        assert tag in str(app.screen.body)
        await press(pilot, "y")
        assert image_tags(demo, repository) == before - {tag}
        assert tag not in shown(app)  # the screen reloaded


async def test_evict_several_marked_tags(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = a_repository_with_tags(demo, at_least=4)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        await pilot.press("1")
        candidates = [k for k in shown(app) if k != "latest"]
        table_of(app).table.move_cursor(row=shown(app).index(candidates[0]))
        await pilot.press("space", "space")  # marks two rows (the cursor moves down)
        marked = {r.key for r in table_of(app).marked_rows()}
        assert marked == set(candidates[:2])
        before = image_tags(demo, repository)
        await press(pilot, "d")
        assert isinstance(app.screen, ConfirmScreen)
        assert all(t in str(app.screen.body) for t in marked)
        await press(pilot, "y")
        assert image_tags(demo, repository) == before - marked
        assert not table_of(app).marked


async def test_evict_every_tag_of_a_pipeline(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = a_repository_with_tags(demo)
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        table_of(app).table.move_cursor(row=shown(app).index(repository))
        await press(pilot, "D")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Every image" in str(app.screen.body)
        await pilot.press(*repository.removeprefix("build-cache/"), "enter")  # its name typed
        await settle(pilot)
        assert demo.client.describe_images(repositoryName=repository)["imageDetails"] == []
        row = next(r for r in table_of(app).shown_rows if r.key == repository)
        assert str(row.cells[2]) == "0"  # its figures reloaded


async def test_refused_confirmation_changes_nothing(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = a_repository_with_tags(demo)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        before = image_tags(demo, repository)
        for key, refuse in (("D", "escape"), ("d", "n"), ("d", "escape")):
            await press(pilot, key)
            assert isinstance(app.screen, ConfirmScreen)
            await press(pilot, refuse)
            assert isinstance(app.screen, TagsScreen)
        await press(pilot, "d")
        await pilot.click("#cancel")
        await settle(pilot)
        assert image_tags(demo, repository) == before
        assert "evict" not in app.service.calls  # type: ignore[attr-defined]
        assert any("Nothing was changed" in n for n in notes(app))


# -- max age --------------------------------------------------------------------------------


async def test_max_age_edit_with_preview_changes_the_policy(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    repository = a_repository_with_tags(demo)
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        await press(pilot, "m")
        assert isinstance(app.screen, MaxAgeScreen)
        days = app.screen.query_one("#days", Input)
        days.value = "1"
        await settle(pilot)
        preview = static_text(app, "#preview")
        assert "After   max age 1 day\n" in preview
        assert "would expire at once" in preview
        await pilot.click("#apply")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Before" in str(app.screen.body) and "After" in str(app.screen.body)
        await press(pilot, "y")
        text = demo.client.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"]
        assert json.loads(text)["rules"][0]["selection"]["countNumber"] == 1
        assert any("Max age set" in n for n in notes(app))
        assert any(f"{repository}: images expire 1 day after push" in n for n in notes(app))


async def test_max_age_refused_leaves_the_policy(make_app: MakeApp, demo: DemoEcr) -> None:
    repository = a_repository_with_tags(demo)
    before = demo.client.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"]
    app = make_app()
    async with on_tags_screen(app, repository) as pilot:
        await press(pilot, "m")
        app.screen.query_one("#days", Input).value = "2"
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
    after = demo.client.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"]
    assert after == before


async def test_max_age_rejects_a_non_positive_number(make_app: MakeApp, demo: DemoEcr) -> None:
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await press(pilot, "m")
        app.screen.query_one("#days", Input).value = "0"
        await settle(pilot)
        assert "at least 1" in static_text(app, "#preview")
        assert app.screen.query_one("#apply").disabled


# -- read-only ------------------------------------------------------------------------------


async def test_read_only_hides_every_action_and_changes_nothing(
    make_app: MakeApp, demo: DemoEcr, spy: SpyService
) -> None:
    repository = a_repository_with_tags(demo)
    policy = demo.client.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"]
    app = make_app(read_only=True)
    async with running(app, size=SIZE) as pilot:
        footer_keys = {b.binding.key for b in app.active_bindings.values() if b.enabled}
        assert not {"D", "m"} & footer_keys
        await press(pilot, "D", "m")
        assert isinstance(app.screen, PipelinesScreen)
        await open_repository(pilot, app, repository)
        before = image_tags(demo, repository)
        footer_keys = {b.binding.key for b in app.active_bindings.values() if b.enabled}
        assert not {"d", "D", "m", "space"} & footer_keys
        await press(pilot, "space", "d", "D", "m")
        assert isinstance(app.screen, TagsScreen)
        await pilot.press("ctrl+p")
        app.screen.query_one(Input).value = "Rebuild"
        await settle(pilot)
        assert "Rebuild" not in str(app.screen.query_one("CommandList").render())
        await pilot.press("escape")
        # Even asked directly, the app refuses before the service is reached.
        app.post_message(EvictRequested(repository, None))
        app.post_message(MaxAgeRequested(repository))
        await settle(pilot)
        await pilot.press("question_mark")
        assert "d" not in dict(app.screen.keys)  # type: ignore[attr-defined]
    assert image_tags(demo, repository) == before
    assert (
        demo.client.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"] == policy
    )
    assert not set(MUTATIONS) & set(spy.calls)
