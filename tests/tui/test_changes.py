"""Policies and evictions that show what they do (issue 14): one max age over the marked
pipelines (one combined preview, one confirmation), a hand-written policy shown in full before
it is replaced, what would expire oldest push first with sizes and the $ saved, eviction
dialogs with the size freed, and a pipeline's name typed to evict every image of it.

Outcomes are asserted in the demo's moto ECR behind the app, and on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from ecr_cache_tui import figures, lifecycle
from ecr_cache_tui.demo import DEMO_NOW, DemoEcr
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.screens.confirm import ConfirmScreen
from ecr_cache_tui.tui.screens.max_age import MaxAgeScreen
from ecr_cache_tui.tui.screens.pipelines import PipelinesScreen
from ecr_cache_tui.tui.screens.tags import TagsScreen
from ecr_cache_tui.tui.widgets.table import FilterTable
from tests.tui.helpers import (
    SIZE,
    SpyService,
    image_tags,
    plain,
    press,
    running,
    screen_lines,
    settle,
    until,
)

MakeApp = Callable[..., CacheApp]


def policy_of(demo: DemoEcr, repository: str) -> str | None:
    try:
        found = demo.client.get_lifecycle_policy(repositoryName=repository)
    except demo.client.exceptions.LifecyclePolicyNotFoundException:
        return None
    return str(found["lifecyclePolicyText"])


def hand_written(demo: DemoEcr) -> str:
    """The demo's repository whose lifecycle policy ecr-cache did not write."""
    return next(
        r
        for r in demo.repositories
        if policy_of(demo, r) and lifecycle.max_age_days(policy_of(demo, r)) is None
    )


def table(app: CacheApp) -> FilterTable:
    return app.screen.query_one(FilterTable)


def cursor_to(app: CacheApp, repository: str) -> None:
    keys = [r.key for r in table(app).shown_rows]
    table(app).table.move_cursor(row=keys.index(repository))


async def press_on(pilot: Pilot[Any], app: CacheApp, repository: str, key: str) -> None:
    """Press ``key`` on ``repository``'s row, and let the app settle."""
    cursor_to(app, repository)
    await press(pilot, key)


async def mark(pilot: Pilot[Any], app: CacheApp, *repositories: str) -> None:
    for repository in repositories:
        cursor_to(app, repository)
        await pilot.press("space")
    assert {r.key for r in table(app).marked_rows()} == set(repositories)


async def bulk_preview(pilot: Pilot[Any], app: CacheApp, chosen: list[str], days: str) -> str:
    """Mark ``chosen``, ask for one max age over them, and type ``days``: the preview."""
    await mark(pilot, app, *chosen)
    await press(pilot, "m")
    return await preview_of(pilot, app, days)


async def preview_of(pilot: Pilot[Any], app: CacheApp, days: str) -> str:
    assert isinstance(app.screen, MaxAgeScreen)
    app.screen.query_one("#days", Input).value = days
    await settle(pilot)
    await until(pilot, lambda: app.screen.plans is not None)  # type: ignore[attr-defined]
    return plain(app.screen.query_one("#preview", Static).content)


def confirm_text(app: CacheApp) -> str:
    assert isinstance(app.screen, ConfirmScreen)
    return plain(app.screen.body)


# -- one max age over the marked pipelines -----------------------------------------------


async def test_one_max_age_over_the_marked_pipelines_with_one_preview_and_one_confirmation(
    make_app: MakeApp, demo: DemoEcr, spy: SpyService
) -> None:
    custom = hand_written(demo)
    others = [r for r in sorted(demo.repositories) if r != custom][:2]
    chosen = [custom, *others]
    untouched = {r: policy_of(demo, r) for r in demo.repositories if r not in chosen}
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        preview = await bulk_preview(pilot, app, chosen, "7")
        assert all(r in preview for r in chosen)
        assert "keep last 20" in preview  # the hand-written policy, in full
        await press(pilot, "enter")
        body = confirm_text(app)
        assert "3 pipelines" in str(app.screen.heading)  # type: ignore[attr-defined]
        assert all(r in body for r in chosen) and "imageCountMoreThan" in body
        assert "In all," in body and "saving $" in body
        await press(pilot, "y")

        assert isinstance(app.screen, PipelinesScreen)
        assert not table(app).marked  # spent
    for repository in chosen:
        assert lifecycle.max_age_days(policy_of(demo, repository)) == 7
    assert {r: policy_of(demo, r) for r in untouched} == untouched
    assert spy.calls.count("apply_policy") == 3


async def test_a_refused_bulk_change_leaves_every_policy_as_it_was(
    make_app: MakeApp, demo: DemoEcr, spy: SpyService
) -> None:
    chosen = sorted(demo.repositories)[:2]
    before = {r: policy_of(demo, r) for r in demo.repositories}
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await bulk_preview(pilot, app, chosen, "3")
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert isinstance(app.screen, PipelinesScreen)
        assert {r.key for r in table(app).marked_rows()} == set(chosen)  # still marked
    assert {r: policy_of(demo, r) for r in demo.repositories} == before
    assert "apply_policy" not in spy.calls


async def test_the_preview_lists_what_would_expire_oldest_first_with_sizes_and_the_saving(
    make_app: MakeApp, demo: DemoEcr, spy: SpyService
) -> None:
    repository = next(r for r in sorted(demo.repositories) if len(image_tags(demo, r)) >= 6)
    details = demo.client.describe_images(repositoryName=repository)["imageDetails"]
    days = 3
    expiring = sorted(
        (d for d in details if (DEMO_NOW - d["imagePushedAt"]).total_seconds() >= days * 86400),
        key=lambda d: d["imagePushedAt"],
    )
    assert len(expiring) >= 2
    total = sum(d["imageSizeInBytes"] for d in expiring)
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await press_on(pilot, app, repository, "m")
        preview = await preview_of(pilot, app, str(days))
    lines = preview.splitlines()
    listed = [
        next(i for i, line in enumerate(lines) if d["imageTags"][0] in line) for d in expiring
    ]
    assert listed == sorted(listed)  # oldest push first
    for d, i in zip(expiring, listed, strict=True):
        assert figures.size(d["imageSizeInBytes"]) in lines[i]
        assert figures.timestamp(d["imagePushedAt"]) in lines[i]
    kept = len(details) - len(expiring)
    assert f"{len(expiring)} of {len(expiring) + kept} images would expire at once" in preview
    assert figures.size(total) in preview
    assert f"saving {figures.cost(round(total / 1024**3 * 0.10, 4))}/month" in preview


async def test_the_hand_written_policy_is_on_screen_before_it_is_replaced_at_80x24(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    custom = hand_written(demo)
    text = policy_of(demo, custom)
    app = make_app()
    async with running(app, size=(80, 24)) as pilot:
        await press_on(pilot, app, custom, "m")
        await preview_of(pilot, app, "14")
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        screen = "\n".join(screen_lines(app))
        assert '"description": "keep last 20"' in screen and "imageCountMoreThan" in screen
        assert "Apply (y)" in screen  # the buttons fit too
        await press(pilot, "n")
    assert policy_of(demo, custom) == text


# -- evictions -------------------------------------------------------------------------------


async def test_evicting_every_image_of_a_pipeline_needs_its_name_typed(
    make_app: MakeApp, demo: DemoEcr, spy: SpyService
) -> None:
    repository = next(r for r in sorted(demo.repositories) if len(image_tags(demo, r)) >= 3)
    name = repository.removeprefix("build-cache/")
    before = image_tags(demo, repository)
    details = demo.client.describe_images(repositoryName=repository)["imageDetails"]
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await press_on(pilot, app, repository, "D")
        assert isinstance(app.screen, ConfirmScreen)
        body = confirm_text(app)
        total = figures.size(sum(d["imageSizeInBytes"] for d in details))
        assert f"{figures.plural(len(details), 'image')} deleted: {total} freed" in body
        assert app.focused is app.screen.query_one("#type-name", Input)
        button = app.screen.query_one("#confirm-button", Button)

        await pilot.press("y")  # not an answer: a letter of the name
        await pilot.press("backspace", *name[:-1], "enter")  # one letter short
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and button.disabled
        assert "is not" in plain(app.screen.query_one("#type-hint", Static).content)
        assert image_tags(demo, repository) == before
        assert "evict" not in spy.calls

        await pilot.press(name[-1])
        assert not button.disabled
        await press(pilot, "enter")
    assert demo.client.describe_images(repositoryName=repository)["imageDetails"] == []


async def test_a_wrong_name_then_escape_deletes_nothing(
    make_app: MakeApp, demo: DemoEcr, spy: SpyService
) -> None:
    repository = next(r for r in sorted(demo.repositories) if len(image_tags(demo, r)) >= 3)
    before = image_tags(demo, repository)
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await press_on(pilot, app, repository, "enter")
        assert isinstance(app.screen, TagsScreen)
        await press(pilot, "D")
        await pilot.press(*"acme/nope", "enter")
        await pilot.click("#confirm-button")  # disabled: nothing happens
        await press(pilot, "escape")
        assert isinstance(app.screen, TagsScreen)
    assert image_tags(demo, repository) == before
    assert "evict" not in spy.calls


async def test_the_eviction_dialog_says_the_size_freed_and_what_stays(
    make_app: MakeApp, demo: DemoEcr
) -> None:
    repository = next(r for r in sorted(demo.repositories) if len(image_tags(demo, r)) >= 4)
    details = demo.client.describe_images(repositoryName=repository)["imageDetails"]
    latest = next(d for d in details if "latest" in d["imageTags"])
    other = next(d for d in details if "latest" not in d["imageTags"])
    before = image_tags(demo, repository)
    app = make_app()
    async with running(app, size=SIZE) as pilot:
        await press_on(pilot, app, repository, "enter")
        twin = next(t for t in latest["imageTags"] if t != "latest")
        for tag in (twin, other["imageTags"][0]):
            rows = [r.key for r in table(app).shown_rows]
            table(app).table.move_cursor(row=rows.index(tag))
            await pilot.press("space")
        await press(pilot, "d")
        body = confirm_text(app)
        size = figures.size(other["imageSizeInBytes"])
        assert f"2 tags, 1 image deleted: {size} freed" in body  # latest keeps its image
        assert "image stays: also tagged latest" in body
        await press(pilot, "n")
    assert image_tags(demo, repository) == before
