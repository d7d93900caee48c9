"""What needs attention: the rules, over plain values."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from ecr_cache_tui import health
from ecr_cache_tui.model import PipelineStats, TagInfo

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
STATS = PipelineStats(
    tag_count=3,
    image_count=2,
    total_bytes=10,
    newest_push=NOW - timedelta(days=1),
    max_age_days=30,
    has_policy=True,
    monthly_cost_usd=1.0,
)
TAG = TagInfo(
    tag="t",
    digest="sha256:a",
    pushed_at=NOW,
    size_bytes=1024**3,
    last_pulled=NOW,
    expires_at=NOW + timedelta(days=3),
    is_latest=False,
    other_tags=(),
    uri="r:t",
)


def test_stale_is_a_newest_push_older_than_two_weeks() -> None:
    assert not health.is_stale(STATS, NOW)
    assert health.is_stale(replace(STATS, newest_push=NOW - timedelta(days=15)), NOW)
    assert not health.is_stale(replace(STATS, newest_push=None), NOW)  # empty: not stale


def test_expiring_soon_is_within_a_day_or_due() -> None:
    assert not health.expiring_soon(TAG, NOW)
    assert health.expiring_soon(replace(TAG, expires_at=NOW + timedelta(hours=23)), NOW)
    assert health.expiring_soon(replace(TAG, expires_at=NOW - timedelta(hours=1)), NOW)
    assert not health.expiring_soon(replace(TAG, expires_at=None), NOW)


def test_pipeline_attention_counts_what_needs_it() -> None:
    assert health.pipeline_attention([STATS], NOW) == []
    found = health.pipeline_attention(
        [
            replace(STATS, has_policy=False, max_age_days=None),
            replace(STATS, has_policy=False, max_age_days=None, never_pulled_bytes=1024**3),
            replace(STATS, newest_push=NOW - timedelta(days=40)),
        ],
        NOW,
    )
    assert found == [
        "2 pipelines without a policy",
        "1 stale (no push in 14 days)",
        "1.0 GiB never pulled",
    ]


def test_tag_attention_counts_each_image_once() -> None:
    never = replace(TAG, last_pulled=None, expires_at=NOW + timedelta(hours=2))
    found = health.tag_attention([never, replace(never, tag="latest"), TAG], NOW)
    assert found == ["1 image never pulled (1.0 GiB)", "1 image expiring within 24 h"]


def test_cost_share_of_nothing_is_nothing() -> None:
    assert health.cost_share(1.0, 4.0) == 0.25
    assert health.cost_share(0.0, 0.0) == 0.0
