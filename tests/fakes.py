"""In-memory fakes of the core's protocols (:mod:`ecr_cache_tui.ports`), for fast logic tests.

The real adapters are tested against moto, the registry and dockerd; these stand in for them
where a test is about the core's decisions, not about the world.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecr_cache_tui.ports import LabelReader

__all__ = ["labels_from_mapping"]


def labels_from_mapping(data: Mapping[tuple[str, str], Mapping[str, str]]) -> LabelReader:
    """A :class:`LabelReader` over fixed data (the demo and fast tests)."""

    def read(repository: str, tag: str) -> dict[str, str] | None:
        found = data.get((repository, tag))
        return dict(found) if found is not None else None

    return read
