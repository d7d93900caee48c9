"""Fixtures for the TUI: a small deterministic demo ECR (moto in-process) and the app over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ecr_cache_tui.demo import DEMO_NOW, DemoEcr, demo_service
from ecr_cache_tui.service import CacheService
from ecr_cache_tui.tui.app import CacheApp
from tests.tui.helpers import SMALL, SpyService


@pytest.fixture
def demo() -> Iterator[DemoEcr]:
    with DemoEcr(SMALL) as running:
        yield running


@pytest.fixture
def spy(demo: DemoEcr) -> SpyService:
    base = demo_service(demo)
    return SpyService(base.ecr, base.labels, prefix=base.prefix, clock=lambda: DEMO_NOW)


@pytest.fixture
def make_app(spy: SpyService) -> Callable[..., CacheApp]:
    def make(*, read_only: bool = False, service: CacheService | None = None) -> CacheApp:
        return CacheApp(service or spy, read_only=read_only, clock=lambda: DEMO_NOW, source="demo")

    return make
