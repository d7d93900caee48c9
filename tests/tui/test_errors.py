"""Backend failures are shown in the app (toast and error line), never a crash.

The failures come from a real boto3 client: answered by ``botocore.stub.Stubber`` (access
denied, throttling) or with no credentials at all, so the path through the ECR adapter's
error translation is the one production takes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialResolver
from textual.pilot import Pilot

from ecr_cache_tui.adapters.ecr import Ecr
from ecr_cache_tui.demo import DEMO_NOW, DemoEcr
from ecr_cache_tui.errors import AccessDenied
from ecr_cache_tui.model import TagInfo
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.screens.confirm import ConfirmScreen
from ecr_cache_tui.tui.screens.pipelines import PipelinesScreen
from ecr_cache_tui.tui.screens.tags import TagsScreen
from tests.stubs import stubbed_client
from tests.tui.helpers import SIZE, SpyService, press, running, service_over, settle

MakeApp = Callable[..., CacheApp]


def uncredentialed_client() -> Any:
    session = botocore.session.Session()
    session.register_component("credential_provider", CredentialResolver(providers=[]))
    return boto3.session.Session(botocore_session=session).client("ecr", region_name="eu-west-1")


def error_line(app: CacheApp) -> str:
    line = app.screen.query_one("#error")
    return str(line.render()) if line.display else ""


def toasts(app: CacheApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


async def test_access_denied_is_shown_on_the_first_screen() -> None:
    app = CacheApp(service_over(stubbed_client("AccessDeniedException")), clock=lambda: DEMO_NOW)
    async with running(app, size=SIZE) as pilot:
        assert isinstance(app.screen, PipelinesScreen)
        assert "Access denied" in error_line(app)
        assert "AccessDeniedException" in error_line(app)
        assert any("check AWS credentials" in t for t in toasts(app))
        await pilot.press("r")  # still alive, still answering keys
        await settle(pilot)
        assert app.is_running


async def test_throttling_is_shown_with_what_to_do() -> None:
    app = CacheApp(service_over(stubbed_client("ThrottlingException")), clock=lambda: DEMO_NOW)
    async with running(app, size=SIZE):
        assert "throttling" in error_line(app)
        assert "r to retry" in error_line(app)


async def test_missing_credentials_are_shown() -> None:
    app = CacheApp(service_over(uncredentialed_client()), clock=lambda: DEMO_NOW)
    async with running(app, size=SIZE):
        assert "no AWS credentials found" in error_line(app)
        assert "Access denied" in error_line(app)


class FailingTags(SpyService):
    """Lists fine; listing tags and evicting fail."""

    def list_tags(self, repository: str) -> list[TagInfo]:
        raise RuntimeError("boom: something nobody expected")

    def evict(self, plan: Any) -> Any:
        raise AccessDenied("evict: AccessDeniedException: not allowed to BatchDeleteImage")


@asynccontextmanager
async def failing_app(demo: DemoEcr) -> AsyncIterator[tuple[CacheApp, Pilot[None]]]:
    """The app on the demo's ECR through :class:`FailingTags`, running, its workers settled."""
    base = SpyService(Ecr(demo.client), demo.read_labels, clock=lambda: DEMO_NOW)
    service = FailingTags(base.ecr, base.labels, clock=lambda: DEMO_NOW)
    app = CacheApp(service, clock=lambda: DEMO_NOW)
    async with running(app, size=SIZE) as pilot:
        yield app, pilot


async def test_an_unexpected_error_deeper_in_is_shown_and_the_app_goes_on(demo: DemoEcr) -> None:
    async with failing_app(demo) as (app, pilot):
        await press(pilot, "enter")
        assert isinstance(app.screen, TagsScreen)
        assert "Unexpected error (RuntimeError)" in error_line(app)
        assert "boom" in error_line(app)
        await pilot.press("escape")
        assert isinstance(app.screen, PipelinesScreen)


async def test_a_refused_eviction_is_shown_and_nothing_is_claimed(demo: DemoEcr) -> None:
    async with failing_app(demo) as (app, pilot):
        await press(pilot, "D")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, *str(app.screen.typed), "enter")  # every image: its name typed
        assert isinstance(app.screen, PipelinesScreen)
        assert "not allowed to BatchDeleteImage" in error_line(app)
        assert not any("Evicted" in t for t in toasts(app))
