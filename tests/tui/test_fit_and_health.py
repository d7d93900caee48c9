"""Tables that fit the terminal, cache health at a glance, context and states (issue 14).

Each test drives the real app (Textual ``run_test``) over the demo's moto ECR and asserts what
is on screen, and where it matters what is in the ECR behind it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import LoadingIndicator

from ecr_cache_tui.demo import DEMO_NOW, DemoEcr, demo_service
from ecr_cache_tui.model import PipelineSummary
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.screens.pipelines import COLUMN, PipelinesScreen
from ecr_cache_tui.tui.screens.tags import TagsScreen
from ecr_cache_tui.tui.widgets.summary import Summary
from ecr_cache_tui.tui.widgets.table import FilterTable
from tests.stubs import stubbed_client
from tests.tui.helpers import SpyService, press, running, service_over, settle

MakeApp = Callable[..., CacheApp]
SIZES = [(80, 24), (120, 40), (200, 50)]


def rendered(app: CacheApp) -> str:
    """Every line of the screen as drawn (the compositor's strips)."""
    strips = app.screen._compositor.render_strips()  # type: ignore[attr-defined]
    return "\n".join(strip.text for strip in strips)


def spinning(app: CacheApp) -> bool:
    """A loading indicator covers the table (Textual draws it over the widget)."""
    return isinstance(table(app)._cover_widget, LoadingIndicator)


def summary(app: CacheApp, selector: str = "#summary") -> Summary:
    return app.screen.query_one(selector, Summary)


def table(app: CacheApp) -> FilterTable:
    return app.screen.query_one(FilterTable)


def notes(app: CacheApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


async def load_all_figures(pilot: Pilot[Any]) -> None:
    """Sort by a figure (which loads every row's), then back to the listing's order."""
    await settle(pilot)
    await pilot.press("7")  # cost: loads them all
    await settle(pilot)


# -- 1. tables that fit the terminal ------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_first_screen_shows_max_age_and_cost_and_every_total_whole(
    make_app: MakeApp, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await load_all_figures(pilot)
        text = rendered(app)
        header = next(line for line in text.splitlines() if "Pipeline" in line)
        assert "Max age" in header and "Cost/month" in header
        for part in summary(app).parts:  # each figure drawn whole, on one line or the next
            assert part in text, part
        widths = table(app).table.column_widths
        drawn = sum(w + 2 for w in widths if w)
        assert drawn <= size[0]
        assert drawn >= size[0] - 4  # the width on offer is taken (less a scrollbar)


async def test_narrow_tables_give_way_by_priority_never_expires(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    app = make_app()
    async with running(app, size=(60, 24)) as pilot:
        keys = ["__mark", *[c.key for c in table(app).columns]]
        widths = dict(zip(keys, table(app).table.column_widths, strict=True))
        assert widths["max_age"] and widths["cost"] and widths["pipeline"]
        assert not widths["share"] and not widths["images"]  # the least valued went first
        repository = sorted(demo.repositories)[0]
        app.open_pipeline(repository)
        await settle(pilot)
        view = table(app).table
        keys = ["__mark", *[c.key for c in table(app).columns]]
        tag_widths = dict(zip(keys, view.column_widths, strict=True))
        assert tag_widths["expires"] and tag_widths["tag"]
        assert not tag_widths["latest"]
        assert "Expires" in view.render_line(0).text


async def test_a_cut_header_keeps_its_sort_arrow(make_app: MakeApp) -> None:
    app = make_app()
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("5")  # newest push: cut to its narrowest at 80 columns
        await settle(pilot)
        header = table(app).table.render_line(0).text
        assert "▼" in header
        assert "Newest push ▼" not in header  # cut, and the arrow kept


async def test_after_sorting_the_view_follows_the_cursor(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 14)) as pilot:
        await load_all_figures(pilot)
        view = table(app).table
        await pilot.press("end")
        key = table(app).current.key  # type: ignore[union-attr]
        await pilot.press("2")  # by pipeline: the row moves somewhere else
        await settle(pilot)
        index = [r.key for r in table(app).shown_rows].index(key)
        assert table(app).current is not None and table(app).current.key == key  # type: ignore[union-attr]
        top = round(view.scroll_y)
        assert top <= index < top + view.scrollable_content_region.height - 1


# -- 2. cache health at a glance ------------------------------------------------------------


async def test_no_policy_stale_and_share_stand_out_in_words_and_theme_colours(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    repository = sorted(demo.repositories)[0]
    demo.client.delete_lifecycle_policy(repositoryName=repository)
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await load_all_figures(pilot)
        rows = {r.key: r for r in table(app).rows}
        row = rows[repository]
        assert row.cells[COLUMN["max_age"]] == "! none"  # the word survives NO_COLOR
        assert row.tones is not None and row.tones[COLUMN["max_age"]] == "error"
        assert "%" in str(row.cells[COLUMN["share"]])
        stale = [r for r in rows.values() if str(r.cells[COLUMN["pushed"]]).startswith("! ")]
        stats = [p.stats for p in app.screen.pipelines.values()]  # type: ignore[attr-defined]
        attention = summary(app, "#attention").text
        no_policy = sum(1 for s in stats if s is not None and not s.has_policy)
        assert attention.startswith(f"! {no_policy} pipeline")
        assert "without a policy" in attention and "never pulled" in attention
        if stale:
            assert f"{len(stale)} stale" in attention

        def colour_of(cell: str) -> object:
            index = [r.key for r in table(app).shown_rows].index(repository)
            table(app).table.move_cursor(row=index + 1 if index == 0 else 0)
            strip = table(app).table.render_line(index + 1 - round(table(app).table.scroll_y))
            return next(s.style.color for s in strip if cell in s.text)  # type: ignore[union-attr]

        dark = colour_of("! none")
        app.theme = "textual-light"
        await pilot.pause()
        assert colour_of("! none") != dark  # from the theme, not a fixed colour


async def test_never_pulled_and_expiring_tags_are_flagged_and_counted(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        found = None
        for repository in sorted(demo.repositories):
            app.open_pipeline(repository)
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TagsScreen)
            if any(t.last_pulled is None for t in screen.tags.values()):
                found = screen
                break
            await pilot.press("escape")
        assert found is not None
        never = {t.digest for t in found.tags.values() if t.last_pulled is None}
        flagged = [r for r in table(app).rows if r.cells[3] == "! never"]
        assert {r.data.digest for r in flagged} == never  # type: ignore[attr-defined]
        assert summary(app, "#attention").text.startswith("! ")
        assert f"{len(never)} image" in summary(app, "#attention").text


async def test_sort_presets_most_expensive_stalest_without_a_policy(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    repository = sorted(demo.repositories)[-1]
    demo.client.delete_lifecycle_policy(repositoryName=repository)
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        await press(pilot, "o")
        costs = [r.values[COLUMN["cost"]] for r in table(app).shown_rows]
        assert costs == sorted(costs, reverse=True)  # type: ignore[type-var]
        assert any("most expensive" in n for n in notes(app))
        await press(pilot, "o")
        pushes = [r.values[COLUMN["pushed"]] for r in table(app).shown_rows]
        known = [p for p in pushes if p is not None]
        assert known == sorted(known)  # type: ignore[type-var]
        await press(pilot, "o")
        first = table(app).shown_rows[0]
        assert first.cells[COLUMN["max_age"]] == "! none"


# -- 5. context and states ------------------------------------------------------------------


async def test_header_names_source_account_profile_and_region(demo: DemoEcr) -> None:
    app = CacheApp(
        demo_service(demo), clock=lambda: DEMO_NOW, source="AWS", region="eu-west-1", profile="ci"
    )
    async with running(app, size=(120, 40)):
        # The account is read from the repositories' URIs when not given.
        assert app.sub_title == "AWS · account 123456789012 · profile ci · eu-west-1"
        assert "account 123456789012" in rendered(app).splitlines()[0]


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (up to ~5 s): the refresh timer's workers make "idle" a moving target."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def test_auto_refresh_reloads_and_says_when(make_app: MakeApp, spy: SpyService) -> None:
    app = CacheApp(spy, clock=lambda: DEMO_NOW, refresh_seconds=0.3)
    async with app.run_test(size=(120, 40)):
        await wait_until(lambda: bool(table(app).rows), "the first listing")
        listed = spy.calls.count("list_pipelines")
        await wait_until(lambda: spy.calls.count("list_pipelines") > listed, "a refresh")
        await wait_until(
            lambda: summary(app).parts[-1:] == ("updated 0s ago",), "the time of the refresh"
        )


async def test_auto_refresh_never_cancels_a_listing_slower_than_its_interval(
    demo: DemoEcr, spy: SpyService
) -> None:
    service = Blocking(spy.ecr, spy.labels, prefix=spy.prefix, clock=lambda: DEMO_NOW)
    service.release = threading.Event()
    app = CacheApp(service, clock=lambda: DEMO_NOW, refresh_seconds=0.05)
    ticks: list[None] = []
    tick = app._refresh_in_front

    async def counted() -> None:
        ticks.append(None)
        await tick()

    app._refresh_in_front = counted  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)):
        await wait_until(lambda: len(ticks) >= 5, "five refresh ticks during the listing")
        assert service.calls.count("list_pipelines") == 1  # none started over it
        service.release.set()
        await wait_until(lambda: len(table(app).rows) == len(demo.repositories), "the rows")


async def test_a_load_error_replaces_the_loading_line() -> None:
    app = CacheApp(service_over(stubbed_client("AccessDeniedException")), clock=lambda: DEMO_NOW)
    async with running(app, size=(120, 40)):
        text = rendered(app)
        assert "Loading repositories" not in text
        assert "Could not list the repositories" in text
        assert not spinning(app)


class Blocking(SpyService):
    """Lists only once ``release`` is set: a slow call."""

    release: threading.Event

    def list_pipelines(self, **kwargs: Any) -> list[PipelineSummary]:
        self.release.wait(10)
        return super().list_pipelines(**kwargs)


async def test_a_slow_call_shows_a_spinner_then_the_rows(demo: DemoEcr, spy: SpyService) -> None:
    service = Blocking(spy.ecr, spy.labels, prefix=spy.prefix, clock=lambda: DEMO_NOW)
    service.release = threading.Event()
    app = CacheApp(service, clock=lambda: DEMO_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert spinning(app)  # a sign of life while it waits
        assert "Loading repositories…" in summary(app).text
        service.release.set()
        await settle(pilot)
        assert not spinning(app)
        assert len(table(app).rows) == len(demo.repositories)


async def test_no_repositories_says_so(demo: DemoEcr, spy: SpyService) -> None:
    service = SpyService(spy.ecr, spy.labels, prefix="nothing-here/", clock=lambda: DEMO_NOW)
    app = CacheApp(service, clock=lambda: DEMO_NOW)
    async with running(app, size=(120, 40)):
        assert summary(app).parts[0] == "No cache repositories under nothing-here/"
        assert not spinning(app)


@pytest.mark.parametrize("key", ["D", "m"])
async def test_read_only_keys_answer_with_a_notice(
    make_app: MakeApp, spy: SpyService, key: str
) -> None:
    app = make_app(read_only=True)
    async with running(app, size=(120, 40)) as pilot:
        await press(pilot, key)
        assert isinstance(app.screen, PipelinesScreen)
        said = [n for n in notes(app) if "Read-only" in n]
        assert len(said) == 1 and said[0].endswith(") is off")
        assert "\n" not in said[0]
        assert not {"plan_eviction", "get_policy"} & set(spy.calls)


# -- 6. wording -----------------------------------------------------------------------------


async def test_copy_on_the_pipelines_screen_names_the_repository_uri(make_app: MakeApp) -> None:
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert any(n.startswith("Copied repository URI ") for n in notes(app))
        assert not any("image URI" in n for n in notes(app))


async def test_tag_counts_are_honest_about_latest(make_app: MakeApp, demo: DemoEcr) -> None:
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        repository = sorted(demo.repositories)[0]
        app.open_pipeline(repository)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TagsScreen)
        tags = list(screen.tags.values())
        images = {t.digest for t in tags}
        parts = summary(app).parts
        assert f"{len(images)} image" in parts[1] and f"{len(tags)} tag" in parts[2]
        assert "(s)" not in summary(app).text


async def test_the_signal_survives_no_color(
    make_app: MakeApp, demo: DemoEcr, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = sorted(demo.repositories)[0]
    demo.client.delete_lifecycle_policy(repositoryName=repository)
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with running(app, size=(120, 40)):
        assert app.no_color
        text = rendered(app)
        assert "! none" in text  # a word and a glyph, not a colour alone
        assert "! 1 pipeline without a policy" in text or "pipelines without a policy" in text


def test_the_tuis_client_gives_up_on_an_unreachable_endpoint_quickly() -> None:
    from ecr_cache_tui.wiring import open_service

    service = open_service(region="eu-west-1", interactive=True)
    config = service.ecr._client.meta.config  # type: ignore[attr-defined]
    assert config.connect_timeout == 3
    assert config.retries["total_max_attempts"] == 3  # the first try and two retries
    batch = open_service(region="eu-west-1").ecr._client.meta.config  # type: ignore[attr-defined]
    assert batch.connect_timeout == 10 and batch.retries["total_max_attempts"] == 9
