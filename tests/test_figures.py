"""Figures for people: one formatter, so the CLI and the TUI print the same for the same data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecr_cache_tui import figures
from ecr_cache_tui.tui import format as tui_format

NOW = datetime(2026, 2, 18, 5, 41, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (int(3.4 * 1024**2), "3.4 MiB"),
        (int(1.2 * 1024**3), "1.2 GiB"),
        (5 * 1024**5, "5120.0 TiB"),
    ],
)
def test_sizes_are_binary_units_with_one_decimal(n: int, text: str) -> None:
    assert figures.size(n) == text


def test_the_tui_prints_the_clis_figures_and_its_own_missing_marks() -> None:
    at = NOW - timedelta(days=3)
    assert tui_format.size(int(3.4 * 1024**2)) == figures.size(int(3.4 * 1024**2)) == "3.4 MiB"
    assert tui_format.timestamp(at) == figures.timestamp(at) == "2026-02-15 05:41"
    assert tui_format.cost(1234.5) == figures.cost(1234.5) == "$1,234.50"
    assert figures.timestamp(None) == "-" and tui_format.timestamp(None) == "—"
    assert tui_format.size(None) == "…"  # not loaded yet


def test_times_are_utc_and_spans_take_their_largest_unit() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert figures.timestamp(datetime(2026, 2, 18, 0, 41, tzinfo=eastern)) == "2026-02-18 05:41"
    assert figures.date(NOW) == "2026-02-18"
    assert figures.ago(NOW - timedelta(hours=5, minutes=59), NOW) == "5h ago"
    assert figures.ago(None, NOW) == "never"
    assert figures.expires_in(NOW + timedelta(days=12, hours=1), NOW) == "in 12d"
    assert figures.expires_in(NOW - timedelta(seconds=1), NOW) == "due"


def test_max_age_and_its_rule_in_words() -> None:
    assert figures.max_age(30, True) == "30d"
    assert figures.max_age(None, True) == "custom"
    assert figures.max_age(None, False) == "none"
    assert figures.max_age_rule(1, True) == "1 day"
    assert figures.max_age_rule(30, True) == "30 days"
    assert figures.max_age_rule(None, True) == "custom policy (not written by ecr-cache)"
    assert figures.max_age_rule(None, False) == "none (no lifecycle policy)"


def test_counts_are_proper_plurals() -> None:
    assert figures.plural(1, "tag") == "1 tag"
    assert figures.plural(0, "image") == "0 images"
    assert figures.plural(12_000, "tag") == "12,000 tags"
    assert figures.plural(2, "policy", "policies") == "2 policies"


def test_tui_errors_carry_the_tuis_own_hint() -> None:
    from ecr_cache_tui.errors import OutsidePrefix, RepositoryNotFound, TagNotFound

    title, message = tui_format.describe_error(TagNotFound("build-cache/a has no tag 'x'"))
    assert "r reloads" in title and message == "build-cache/a has no tag 'x'"
    title, _ = tui_format.describe_error(RepositoryNotFound("repository build-cache/a"))
    assert "r reloads the pipelines" in title
    assert "--" not in title
    outside = OutsidePrefix(
        "other/web is outside build-cache/", repository="other/web", prefix="build-cache/"
    )
    title, _ = tui_format.describe_error(outside)
    assert title.startswith("Outside build-cache/") and "--force" not in title
