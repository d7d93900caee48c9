"""Helpers for the TUI tests: a spying service, waiting for workers, reading moto."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from ecr_cache_tui.adapters.ecr import Ecr
from ecr_cache_tui.demo import DEMO_NOW, DemoEcr, DemoScale
from ecr_cache_tui.service import CacheService

#: Small enough to fill in a blink, varied enough for every screen.
SMALL = DemoScale(pipelines=12, organisations=3, max_tags=9, seed=6)
SIZE = (120, 40)

MUTATIONS = ("plan_eviction", "evict", "plan_policy", "apply_policy")


class SpyService(CacheService):
    """The real service, recording which methods were called (read-only tests assert none)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name in MUTATIONS or name in ("list_pipelines", "list_tags", "get_policy"):
            super().__getattribute__("calls").append(name)
        return value


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker is done and the screen has caught up with their messages."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@asynccontextmanager
async def running(app: App[Any], **options: Any) -> AsyncIterator[Pilot[Any]]:
    """``app.run_test(**options)``, once its first workers have settled."""
    async with app.run_test(**options) as pilot:
        await settle(pilot)
        yield pilot


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press ``keys``, then :func:`settle`: what they started is done and on screen."""
    await pilot.press(*keys)
    await settle(pilot)


def image_tags(demo: DemoEcr, repository: str) -> set[str]:
    """Every tag of ``repository`` as moto has it now."""
    details = demo.client.describe_images(repositoryName=repository)["imageDetails"]
    return {t for d in details for t in d.get("imageTags", [])}


def plain(content: object, width: int = 120) -> str:
    """What a Rich renderable (a ``Static``'s content) says, as plain text."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


def screen_lines(app: App[Any]) -> list[str]:
    """The lines of the current screen as drawn on the terminal now."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds (a layout or scroll a few frames away);
    fails after ``timeout`` seconds, showing the screen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            screen = "\n".join(screen_lines(pilot.app))
            raise AssertionError(f"the app never got there; the screen:\n{screen}")
        await pilot.pause(0.02)


def service_over(client: Any) -> CacheService:
    """The maintainers' service over a boto3 ECR ``client`` (no labels)."""
    return CacheService(Ecr(client), lambda repository, tag: None, clock=lambda: DEMO_NOW)
