"""The prune decision: expired by the cut-off, the newest ``keep`` and ``latest``'s always kept,
an unknown push time never deleted; the re-check just before deleting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ecr_cache_tui.model import ImageDetail
from ecr_cache_tui.pruning import cutoff, decide, recheck

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def image(digest: str, days_ago: float | None, *tags: str) -> ImageDetail:
    pushed = None if days_ago is None else NOW - timedelta(days=days_ago)
    return ImageDetail(f"sha256:{digest}", tuple(tags), pushed, 100)


def expired(images: list[ImageDetail], days: int, keep: int) -> list[str]:
    return [i.digest[7:] for i in decide(images, before=cutoff(NOW, days), keep=keep).expired]


def test_images_past_the_cutoff_go_oldest_first() -> None:
    images = [image("a", 40, "a"), image("b", 20, "b"), image("c", 5, "c"), image("d", 50, "d")]
    assert expired(images, 10, keep=1) == ["d", "a", "b"]


def test_an_image_pushed_exactly_at_the_cutoff_goes_and_one_a_second_newer_stays() -> None:
    at = ImageDetail("sha256:at", ("at",), cutoff(NOW, 10), 1)
    newer = ImageDetail("sha256:nw", ("nw",), cutoff(NOW, 10) + timedelta(seconds=1), 1)
    decision = decide([at, newer, image("new", 0, "new")], before=cutoff(NOW, 10), keep=0)
    assert [i.digest for i in decision.expired] == ["sha256:at"]


def test_the_newest_keep_stay_whatever_their_age() -> None:
    images = [image("a", 40, "a"), image("b", 30, "b"), image("c", 20, "c")]
    assert expired(images, 10, keep=2) == ["a"]
    assert expired(images, 10, keep=0) == ["a", "b", "c"]
    assert expired(images, 10, keep=5) == []


def test_latests_image_stays_however_old() -> None:
    images = [image("a", 40, "a", "latest"), image("b", 30, "b"), image("c", 1, "c")]
    assert expired(images, 10, keep=1) == ["b"]


def test_an_unknown_push_time_is_never_deleted_and_kept_counts_it() -> None:
    images = [image("u", None, "u"), image("a", 40, "a"), image("c", 1, "c")]
    decision = decide(images, before=cutoff(NOW, 10), keep=1)
    assert [i.digest for i in decision.expired] == ["sha256:a"]
    assert decision.kept == 2


def test_recheck_spares_what_changed_and_counts_what_is_gone() -> None:
    before = cutoff(NOW, 10)
    planned = [image("a", 40, "a"), image("b", 30, "b"), image("c", 20, "c"), image("d", 25, "d")]
    fresh = [
        image("a", 40, "a"),  # unchanged: still goes
        image("b", 30, "b", "hotfix"),  # gained a tag since: stays
        image("d", 25, "d", "latest"),  # latest now points here: stays
        image("n", 0, "n"),  # a new push (the newest, kept); c was deleted by someone else
    ]
    delete, gone, spared = recheck(planned, fresh, before=before, keep=1)
    assert delete == ("sha256:a",)
    assert gone == ("sha256:c",)
    assert set(spared) == {"sha256:b", "sha256:d"}


def test_recheck_keeps_the_newest_when_others_pruned_meanwhile() -> None:
    before = cutoff(NOW, 10)
    planned = [image("a", 40, "a")]  # planned while b (newer, also old) was there
    fresh = [image("a", 40, "a")]  # another agent deleted b: a is now the newest
    assert recheck(planned, fresh, before=before, keep=1) == ((), (), ("sha256:a",))
