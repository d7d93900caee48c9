"""In-memory fakes of the core's protocols (:mod:`ecr_cache_tui.ports`), for fast logic tests.

The real adapters are tested against moto, the registry and dockerd; these stand in for them
where a test is about the core's decisions, not about the world.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecr_cache_tui.hook.records import EnsuredRecord, LockBusy, PendingPush, RepositoryKey
from ecr_cache_tui.ports import LabelReader

__all__ = ["FakeHostState", "labels_from_mapping"]


def labels_from_mapping(data: Mapping[tuple[str, str], Mapping[str, str]]) -> LabelReader:
    """A :class:`LabelReader` over fixed data (the demo and fast tests)."""

    def read(repository: str, tag: str) -> dict[str, str] | None:
        found = data.get((repository, tag))
        return dict(found) if found is not None else None

    return read


class FakeHostState:
    """:class:`ecr_cache_tui.ports.HostStateApi` in memory; ``holders`` are locks held by others.

    ``busy_for`` makes a held lock answer busy that many more times before it is free (a
    builder that finishes), ``None`` for ever.
    """

    def __init__(self) -> None:
        self.records: dict[RepositoryKey, EnsuredRecord] = {}
        self.pending: dict[str, PendingPush] = {}
        self.holders: dict[str, str] = {}
        self.busy_for: int | None = None
        self.held: list[str] = []
        self.released: list[str] = []

    def ensured(self, key: RepositoryKey) -> EnsuredRecord | None:
        return self.records.get(key)

    def save_ensured(self, record: EnsuredRecord) -> None:
        self.records[record.key] = record

    def pending_push(self, reference: str) -> PendingPush | None:
        return self.pending.get(reference)

    def save_pending_push(self, pending: PendingPush) -> None:
        self.pending[pending.reference] = pending

    def clear_pending_push(self, reference: str) -> None:
        self.pending.pop(reference, None)

    def try_build_lock(self, reference: str) -> _FakeLock | LockBusy | None:
        if reference in self.holders:
            if self.busy_for is None or self.busy_for > 0:
                if self.busy_for is not None:
                    self.busy_for -= 1
                return LockBusy(self.holders[reference])
            del self.holders[reference]
        self.held.append(reference)
        return _FakeLock(self, reference)


class _FakeLock:
    def __init__(self, state: FakeHostState, reference: str) -> None:
        self.state, self.reference = state, reference

    def release(self) -> None:
        self.state.released.append(self.reference)
