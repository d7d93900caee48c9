"""The cached tag nearest to a checkout (``ecr-cache checksum --explain``)."""

from __future__ import annotations

from datetime import datetime, timezone

from ecr_cache_tui.cachekey.inputs import InputEntry, Manifest
from ecr_cache_tui.cachekey.nearest import Candidate, nearest


def manifest(tag: str, **digests: str) -> Manifest:
    return Manifest(tag, tuple(InputEntry("cache-on", n, d) for n, d in digests.items()))


def at(day: int) -> datetime:
    return datetime(2026, 12, day, tzinfo=timezone.utc)


NOW = manifest("now", a="1", b="2", c="3")


def test_fewest_differing_inputs_wins_whatever_the_age() -> None:
    found = nearest(
        NOW,
        [
            Candidate("one-off", at(7), manifest("x", a="9", b="2", c="3")),
            Candidate("two-off", at(8), manifest("y", a="9", b="9", c="3")),
        ],
    )
    assert found is not None and found.tag == "one-off"
    (change,) = found.changes
    assert (change.status, change.entry.name) == ("changed", "a")
    assert (change.old and change.old.digest, change.new and change.new.digest) == ("9", "1")


def test_among_equals_the_newest_push_wins_and_no_push_time_is_last() -> None:
    off = manifest("x", a="9", b="2", c="3")
    candidates = [
        Candidate("unknown", None, off),
        Candidate("old", at(1), off),
        Candidate("new", at(5), off),
    ]
    assert (found := nearest(NOW, candidates)) is not None and found.tag == "new"
    assert (found := nearest(NOW, candidates[:2])) is not None and found.tag == "old"


def test_added_and_removed_inputs_count_as_differences() -> None:
    found = nearest(
        NOW,
        [
            Candidate("fewer", at(1), manifest("x", a="1", b="2")),
            Candidate("more", at(2), manifest("y", a="1", b="2", c="3", d="4", e="5")),
        ],
    )
    assert found is not None and found.tag == "fewer"
    assert [c.status for c in found.changes] == ["added"]


def test_no_candidates_is_none() -> None:
    assert nearest(NOW, []) is None
