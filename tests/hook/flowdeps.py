"""The hook's collaborators made of ``tests/fakes.py``'s fakes, for the flow's logic tests.

:func:`make` wires a :class:`~ecr_cache_tui.hook.flow.HookDeps` whose ECR already holds the
pipeline's repository (:data:`NAME`, with a 30-day policy) and whose checksum is always
:data:`TAG`; a test passes the fakes it wants to set up differently.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ecr_cache_tui import lifecycle
from ecr_cache_tui.cachekey.inputs import LABEL, InputEntry, Manifest
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.hook.decision import RetryPolicy
from ecr_cache_tui.hook.host import ensured_record
from ecr_cache_tui.hook.types import HookDeps
from ecr_cache_tui.model import Credentials
from tests.fakes import (
    ACCOUNT,
    FakeBuilder,
    FakeClock,
    FakeEcr,
    FakeEngine,
    FakeHostState,
    FakeLog,
    FakeRegistry,
)

TAG = "ab" * 16
HOST = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
NAME = "build-cache/acme/web"
IMAGE = f"{HOST}/{NAME}"
CONFIG = PluginConfig(ecr_name=NAME)
#: The host's wall clock (epoch seconds) in the host-state tests.
NOW = 1_800_000_000.0


@dataclass(frozen=True)
class Checksum:
    manifest: Manifest
    warnings: tuple[str, ...] = ()


def entries(lock: str) -> tuple[InputEntry, ...]:
    return (InputEntry("dockerfile", "Dockerfile", "d1"), InputEntry("cache-on", "lock", lock))


def ecr_with_repository(**options: Any) -> FakeEcr:
    """A :class:`FakeEcr` (``options`` to its constructor) holding :data:`NAME`, 30 days."""
    ecr = FakeEcr(**options)
    ecr.add_repository(NAME, policy=lifecycle.policy_text(30))
    return ecr


def make(
    *,
    ecr: FakeEcr | None = None,
    engine: FakeEngine | None = None,
    builder: FakeBuilder | None = None,
    labels: dict[str, str] | None = None,
    stored: Credentials | None = None,
    registry: FakeRegistry | None = None,
    clock: FakeClock | None = None,
) -> tuple[HookDeps, io.StringIO, FakeEcr, FakeEngine, FakeBuilder]:
    """The flow's collaborators and the fakes behind them: ``(deps, log text, ecr, engine,
    builder)``. Time stands still unless a ``clock`` is given (then the flow sleeps on it)."""
    ecr = ecr or ecr_with_repository()
    engine = engine or FakeEngine()
    if not engine.default_labels:  # local images carry the label of the inputs computed here
        engine.default_labels = {LABEL: Manifest(TAG, entries("l2")).to_label()}
    builder = builder or FakeBuilder()
    registry = registry or FakeRegistry(engine, labels or {})
    log = FakeLog()
    deps = HookDeps(
        engine=engine,
        builder=builder,
        registry=registry.client,
        ecr=ecr,
        stored_login=lambda host, helpers_only: stored,
        checksum=lambda config, checkout, platform: Checksum(Manifest(TAG, entries("l2"))),
        log=log,
        clock=clock or (lambda: 0.0),
        sleep=clock.sleep if clock else (lambda s: None),
        retry=RetryPolicy(delays=(0.0, 0.0)),
    )
    return deps, log.out, ecr, engine, builder


def with_host(deps: HookDeps, host: FakeHostState, *, now: float = NOW) -> HookDeps:
    """``deps`` on a host that remembers (``host``), its wall clock at ``now``."""
    return deps._replace(host=host, wall_clock=lambda: now)


def ensured(config: PluginConfig = CONFIG, *, at: float = NOW - 60) -> FakeHostState:
    """A host that ensured ``config``'s repository at ``at``."""
    host = FakeHostState()
    host.save_ensured(ensured_record(config, host=HOST, registry_id=ACCOUNT, now=at))
    return host
