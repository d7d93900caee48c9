"""The demo's OCI registry: a loopback ``registry:2``-compatible endpoint the product reads
through its real OCI adapter, beside the demo ECR; ``g`` switches the TUI between them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from textual.widgets import Button

from ecr_cache_tui import cli
from ecr_cache_tui.demo import DEMO_NOW, DemoEcr, DemoRegistry, demo_service
from ecr_cache_tui.demo.registry import DEMO_OCI_PIPELINES
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.screens.pipelines import PipelinesScreen
from ecr_cache_tui.tui.screens.prune import PruneScreen
from ecr_cache_tui.tui.widgets.table import FilterTable
from ecr_cache_tui.wiring import open_oci_service
from tests.tui.helpers import SMALL, running, screen_lines, settle, until


@pytest.fixture
def registry() -> Iterator[DemoRegistry]:
    with DemoRegistry(now=DEMO_NOW) as running:
        yield running


def test_the_demo_registry_lists_like_any_registry(registry: DemoRegistry) -> None:
    service = open_oci_service(registry.host, clock=lambda: DEMO_NOW, env={})
    pipelines = service.list_pipelines(with_stats=True)
    assert [(p.organisation, p.pipeline) for p in pipelines] == sorted(
        (org, name) for org, name, _ in DEMO_OCI_PIPELINES
    )
    for p in pipelines:
        count = next(
            n for o, name, n in DEMO_OCI_PIPELINES if (o, name) == (p.organisation, p.pipeline)
        )
        assert p.stats is not None and p.stats.image_count == count
        assert p.stats.tag_count == count + 1  # and latest
        assert p.stats.policies_known is False
    repository = pipelines[0].repository
    tags = service.list_tags(repository)
    assert {t.tag for t in tags} == set(registry.tags(repository))
    assert all(t.pushed_at is not None and t.pulls_known is False for t in tags)
    assert service.read_manifest(repository, tags[-1].tag) is not None  # the inputs label


def test_the_demo_registry_paginates_and_deletes_by_digest(registry: DemoRegistry) -> None:
    service = open_oci_service(registry.host, clock=lambda: DEMO_NOW, env={})
    names = list(service.ecr.client.iter_names("_catalog", "repositories", "", page=2))  # type: ignore[attr-defined]
    assert names == sorted(registry.repositories)
    repository = f"build-cache/{DEMO_OCI_PIPELINES[0][0]}/{DEMO_OCI_PIPELINES[0][1]}"
    plan = service.plan_prune(repository, 30)
    assert not plan.eviction.empty
    result = service.prune(plan)
    assert result.ok and len(result.deleted) == len(plan.eviction.digests)
    assert set(registry.tags(repository)) == {t.tag for t in service.list_tags(repository)}
    assert not {i.tag for i in plan.eviction.items} & set(registry.tags(repository))


async def test_g_switches_between_the_demo_ecr_and_the_demo_registry(
    registry: DemoRegistry,
) -> None:
    with DemoEcr(SMALL) as demo:
        ecr = demo_service(demo)
        oci = open_oci_service(registry.host, clock=lambda: DEMO_NOW, env={})
        app = CacheApp(
            ecr,
            clock=lambda: DEMO_NOW,
            source="demo",
            registries=[("demo OCI registry", oci)],
        )
        async with running(app, size=(80, 24)) as pilot:
            ecr_rows = {r.key for r in app.screen.query_one(FilterTable).rows}
            assert ecr_rows == set(demo.repositories)
            await pilot.press("g")
            await settle(pilot)
            assert isinstance(app.screen, PipelinesScreen)
            assert "OCI" in app.sub_title
            table = app.screen.query_one(FilterTable)
            await until(pilot, lambda: {r.key for r in table.rows} == set(registry.repositories))
            await pilot.press("g")
            await settle(pilot)
            table = app.screen.query_one(FilterTable)
            await until(pilot, lambda: {r.key for r in table.rows} == ecr_rows)


def test_tui_demo_runs_both(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def run(app: CacheApp) -> None:
        seen["contexts"] = [c.source for c in app._contexts]

    monkeypatch.setattr(CacheApp, "run", run)
    with mock.patch("ecr_cache_tui.demo.backend.DemoScale", return_value=SMALL):
        assert cli.main(["tui", "--demo"]) == 0
    assert seen["contexts"][0] == "demo"
    assert seen["contexts"][1].startswith("demo OCI registry 127.0.0.1:")


async def test_the_prune_editor_keeps_its_buttons_on_screen_at_80x24(
    registry: DemoRegistry,
) -> None:
    """The longest preview the demo has (the pipeline with most images): the preview scrolls,
    the no-policies lines, the days and both buttons stay on an 80x24 screen."""
    org, name, _ = max(DEMO_OCI_PIPELINES, key=lambda p: p[2])
    service = open_oci_service(registry.host, clock=lambda: DEMO_NOW, env={})
    app = CacheApp(service, clock=lambda: DEMO_NOW, source=f"OCI {registry.host}")
    async with running(app, size=(80, 24)) as pilot:
        prune = PruneScreen([f"build-cache/{org}/{name}"])
        app.push_screen(prune)
        await until(pilot, lambda: prune.plans is not None)
        await settle(pilot)
        lines = "\n".join(screen_lines(app))
        assert "Cancel" in lines and "Prune…" in lines, lines
        for button in prune.query(Button):
            assert button.region.bottom <= app.size.height - 1, (button.id, button.region)
