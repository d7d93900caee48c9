"""The TUI on an OCI registry (``--registry-provider oci``): the real plain ``docker-registry``
filled over the distribution API, browsed at 80x24 through the composition root
``ecr-cache tui`` uses; the max-age key offers a prune (no policies there), previewed, confirmed
in the one modal, and deleting exactly what it listed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from textual.widgets import Static

from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.screens.confirm import ConfirmScreen
from ecr_cache_tui.tui.screens.prune import PruneScreen
from ecr_cache_tui.tui.screens.tags import TagsScreen
from ecr_cache_tui.tui.widgets.table import FilterTable
from ecr_cache_tui.wiring import open_oci_service
from tests.ocipush import Pusher
from tests.services import Services, unique_name
from tests.tui.helpers import plain, running, screen_lines, settle, until

pytestmark = pytest.mark.services

NARROW = (80, 24)


def ago(days: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def filled(services: Services) -> dict[str, Any]:
    prefix = unique_name("oci", "tui") + "/"
    push = Pusher(services.registry)
    web = f"{prefix}acme/web"
    old = push.image(web, ["old1"], seed=web + "o", created=ago(60))
    push.image(web, ["new1", "latest"], seed=web + "n", created=ago(2))
    push.image(f"{prefix}zeta/api", ["v1"], seed=prefix + "z", created=ago(1))
    return {"prefix": prefix, "push": push, "web": web, "old": old}


async def test_browse_an_oci_registry_at_80x24_and_prune_from_the_max_age_key(
    services: Services, filled: dict[str, Any]
) -> None:
    service = open_oci_service(services.registry, prefix=filled["prefix"], env={})
    app = CacheApp(service, source=f"OCI {services.registry}")
    async with running(app, size=NARROW) as pilot:
        table = app.screen.query_one(FilterTable)
        await until(pilot, lambda: len(table.rows) == 2 and all(r.data.stats for r in table.rows))
        lines = "\n".join(screen_lines(app))
        assert "web" in lines and "api" in lines
        assert "unknown" in lines  # max age: a registry has no policies
        assert "without a policy" not in lines

        app.open_pipeline(filled["web"])
        await settle(pilot)
        assert isinstance(app.screen, TagsScreen)
        tags = app.screen.query_one(FilterTable)
        await until(pilot, lambda: {r.key for r in tags.rows} == {"old1", "new1", "latest"})
        assert "never" not in "\n".join(screen_lines(app))  # last pulls are unknown, not never

        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, PruneScreen))
        prune = app.screen
        assert "no lifecycle policies" in plain(prune.query_one("#no-policies", Static).render())
        await until(pilot, lambda: prune.plans is not None)
        preview = plain(prune.query_one("#preview", Static).render())
        assert "old1" in preview and "new1" not in preview
        assert "1 tag, 1 image deleted" in preview

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await settle(pilot)
        await until(pilot, lambda: filled["push"].tags(filled["web"]) == ["latest", "new1"])
        await until(pilot, lambda: {r.key for r in tags.rows} == {"new1", "latest"})


async def test_evicting_a_tag_names_the_tag_on_the_same_digest_and_deletes_both(
    services: Services, filled: dict[str, Any]
) -> None:
    service = open_oci_service(services.registry, prefix=filled["prefix"], env={})
    app = CacheApp(service, source=f"OCI {services.registry}")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        app.open_pipeline(filled["web"])
        await settle(pilot)
        tags = app.screen.query_one(FilterTable)
        await until(pilot, lambda: {r.key for r in tags.rows} == {"old1", "new1", "latest"})
        shown = [r.key for r in tags.shown_rows]
        tags.table.move_cursor(row=shown.index("new1"))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        body = plain(app.screen.body)  # type: ignore[attr-defined]
        assert "same image as latest: deleted with it" in body
        assert "same image as new1: deleted with it" in body
        await pilot.press("y")
        await settle(pilot)
        await until(pilot, lambda: filled["push"].tags(filled["web"]) == ["old1"])
