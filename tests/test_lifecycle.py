"""Lifecycle policies: what we write, what we recognise, and what a max age expires at once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ecr_cache_tui.lifecycle import max_age_days, policy_text, preview_expiry

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def _rule(**selection: str) -> str:
    return json.dumps({"rules": [{"selection": {**selection, "countNumber": 3}}]})


@pytest.mark.parametrize("days", [1, 14, 30, 365])
def test_policy_we_write_reads_back_as_its_max_age(days: int) -> None:
    assert max_age_days(policy_text(days)) == days


def test_policy_is_one_rule_expiring_any_image_since_push() -> None:
    (rule,) = json.loads(policy_text(14))["rules"]
    assert rule["selection"] == {
        "tagStatus": "any",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14,
    }
    assert rule["action"] == {"type": "expire"}


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "not json",
        '{"rules": []}',
        _rule(tagStatus="untagged", countType="sinceImagePushed", countUnit="days"),
        _rule(tagStatus="any", countType="imageCountMoreThan"),
    ],
)
def test_policies_that_are_not_a_single_max_age_rule_are_not_ours(text: str | None) -> None:
    assert max_age_days(text) is None


def test_preview_lists_exactly_the_images_older_than_the_max_age() -> None:
    images = [
        ("old", NOW - timedelta(days=20)),
        ("edge", NOW - timedelta(days=10)),
        ("new", NOW - timedelta(days=9, hours=23)),
    ]
    preview = preview_expiry(images, 10, NOW)
    assert preview.expire_now == ("edge", "old")
    assert preview.kept == 1


def test_preview_lists_what_expires_oldest_push_first_with_sizes() -> None:
    images = [
        ("b", NOW - timedelta(days=11), 300),
        ("a", NOW - timedelta(days=20), 200),
        ("new", NOW - timedelta(days=1), 50),
    ]
    preview = preview_expiry(images, 10, NOW)
    assert [(i.name, i.size_bytes) for i in preview.expiring] == [("a", 200), ("b", 300)]
    assert (preview.expiring_bytes, preview.kept_bytes) == (500, 50)
