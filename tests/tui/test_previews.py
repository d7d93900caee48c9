"""The max-age previews as text (pure): a policy not written by ecr-cache in full, what would
expire oldest push first with sizes, the totals and the saving, over one or several pipelines."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from ecr_cache_tui import lifecycle
from ecr_cache_tui.model import PolicyPlan
from ecr_cache_tui.tui.screens.max_age import bulk_preview_text, policy_lines, preview_text

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
MIB = 1024**2
HAND_WRITTEN = json.dumps(
    {"rules": [{"rulePriority": 1, "description": "keep 5", "action": {"type": "expire"}}]}
)


def plan(repository: str, before: str | None, ages_and_sizes: list[tuple[int, int]]) -> PolicyPlan:
    images = [(f"t{age}", NOW - timedelta(days=age), size) for age, size in ages_and_sizes]
    preview = lifecycle.preview_expiry(images, 7, NOW)
    return PolicyPlan(
        repository=repository,
        before_text=before,
        after_text=lifecycle.policy_text(7),
        before_days=lifecycle.max_age_days(before),
        after_days=7,
        preview=preview,
        saving_usd_month=round(preview.expiring_bytes / 1024**3 * 0.1, 4),
    )


def test_a_hand_written_policy_is_shown_in_full_before_the_new_rule() -> None:
    text = preview_text(plan("r", HAND_WRITTEN, [(1, MIB)])).plain
    assert text.index('"description": "keep 5"') < text.index("After")
    assert "custom policy (not written by ecr-cache), replaced:" in text


def test_a_policy_of_ours_is_not_repeated_as_json() -> None:
    text = preview_text(plan("r", lifecycle.policy_text(30), [(1, MIB)])).plain
    assert "rules" not in text and "max age 30 days" in text


def test_what_would_expire_is_listed_oldest_first_with_sizes_and_totals() -> None:
    text = preview_text(plan("r", None, [(9, 3 * MIB), (20, 5 * MIB), (1, MIB)])).plain
    assert text.index("t20") < text.index("t9")
    assert "5.0 MiB" in text and "3.0 MiB" in text
    assert "2 of 3 images would expire at once: 8.0 MiB, saving $0.00/month" in text


def test_several_pipelines_one_total_and_each_ones_change() -> None:
    plans = [
        plan("build-cache/a/x", None, [(30, 100 * MIB), (1, MIB)]),
        plan("build-cache/a/y", HAND_WRITTEN, [(10, 50 * MIB)]),
    ]
    text = bulk_preview_text(plans, 7).plain
    assert "build-cache/a/x  none → 7d: 1 expire" in text
    assert "build-cache/a/y  custom → 7d: 1 expire" in text
    assert '"description": "keep 5"' in text
    assert "In all, 2 of 3 images would expire at once: 150.0 MiB" in text
    assert text.index("build-cache/a/x: t30") < text.index("build-cache/a/y: t10")


def test_policy_lines_keep_any_text() -> None:
    assert policy_lines("not json") == ["not json"]
    assert policy_lines(HAND_WRITTEN)[0] == '{"rules": ['
