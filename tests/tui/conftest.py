"""Fixtures for the TUI: a small deterministic demo ECR (moto in-process) and the app over it.

Every Pilot test here runs Textual four times as fast between frames and idle polls (below).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import textual._wait
import textual.screen

from ecr_cache_tui.demo import DEMO_NOW, DemoEcr, demo_service
from ecr_cache_tui.service import CacheService
from ecr_cache_tui.tui.app import CacheApp
from tests.tui.helpers import SMALL, SpyService


@pytest.fixture(autouse=True)
def quick_frames_and_idle_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual at 240 frames a second and its ``wait_for_idle`` in 5 ms polls (60 and 20 ms).

    Pilot waits for "idle" twice after every key it presses, and in every ``pause()``: it
    sleeps one poll and calls the process idle when it used under a twentieth of that in CPU.
    Each wait costs at least one whole poll, so at 20 ms the TUI tests spent more than half
    their time asleep (a 30-key filter: 1.2 s). A poll also outlasted a frame (1/60 s), so a
    ``pause()`` saw the next frame drawn and what waits on it (``call_after_refresh``: the
    footer's recompose) done: the frame is shortened with the poll, to stay shorter than it.
    The idle test itself is unchanged (under 5% of a poll in CPU), and so is what the tests
    really wait on (Pilot's empty message queues, ``settle``'s workers, ``until``'s
    conditions). ``raising``: a Textual without these names fails here, not silently slower.
    """
    poll = 0.005
    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", poll)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", poll / 20)
    monkeypatch.setattr(textual.screen, "UPDATE_PERIOD", 1 / 240)


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
