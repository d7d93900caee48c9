"""``ecr-cache policy get|set``: the max-age policy, before and after, and its failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecr_cache_tui import lifecycle
from tests.moto_harness import MotoEcr

WEB = "build-cache/acme/web"


@pytest.fixture
def web(moto_ecr: MotoEcr) -> MotoEcr:
    moto_ecr.push(WEB, "fresh", "a")
    moto_ecr.push(WEB, "old", "b")
    moto_ecr.age(WEB, "old", days=20)
    return moto_ecr


def policy_days(moto: MotoEcr, name: str = WEB) -> int | None:
    return lifecycle.max_age_days(moto.ecr.get_lifecycle_policy(name))


def test_get_without_a_policy(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("policy", "get", "acme/web")
    assert result.code == 0
    assert result.out.startswith(f"{WEB}: max age none")

    data = ecr_cache("policy", "get", "acme/web", "--json").json()
    assert data == {
        "repository": WEB,
        "max_age_days": None,
        "policy": None,
        "policies_known": True,
    }


def test_get_shows_the_policy_document(web: MotoEcr, ecr_cache: Any) -> None:
    web.ecr.put_lifecycle_policy(WEB, lifecycle.policy_text(14))

    data = ecr_cache("policy", "get", WEB, "--json").json()

    assert data["max_age_days"] == 14
    assert data["policy"] == json.loads(lifecycle.policy_text(14))
    assert "max age 14 days" in ecr_cache("policy", "get", WEB).out


def test_set_shows_before_and_after_and_writes(web: MotoEcr, ecr_cache: Any) -> None:
    web.ecr.put_lifecycle_policy(WEB, lifecycle.policy_text(14))

    result = ecr_cache("policy", "set", "acme/web", "--max-age-days", "60")

    assert result.code == 0, result.err
    assert "before: max age 14 days" in result.out and "after:  max age 60 days" in result.out
    assert "0 of 2 images would expire at once" in result.out
    assert policy_days(web) == 60


def test_one_day_is_worded_in_the_singular(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("policy", "set", "acme/web", "--max-age-days", "1", "--yes")

    assert result.code == 0, result.err
    assert "max age set to 1 day." in result.out and "after:  max age 1 day\n" in result.out
    assert policy_days(web) == 1
    again = ecr_cache("policy", "set", "acme/web", "--max-age-days", "1")
    assert again.code == 0 and "already 1 day; nothing to change." in again.err


def test_set_that_expires_images_asks_and_a_refusal_changes_nothing(
    web: MotoEcr, ecr_cache: Any
) -> None:
    result = ecr_cache("policy", "set", "acme/web", "--max-age-days", "7", stdin="no\n")

    assert result.code == 0
    lines = result.out.splitlines()
    said = next(i for i, line in enumerate(lines) if "would expire at once" in line)
    assert lines[said].startswith("  1 of 2 images would expire at once: ")
    assert "saving $" in lines[said]
    assert lines[said + 1].split() == ["PUSHED", "SIZE", "TAGS"]
    assert lines[said + 2].split()[-1] == "old"  # oldest push first, with its size
    assert "[y/N]" in result.err and "Policy not changed" in result.err
    assert web.ecr.get_lifecycle_policy(WEB) is None


def test_set_that_expires_images_with_yes_json(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("policy", "set", "acme/web", "--max-age-days", "7", "--yes", "--json")

    assert result.code == 0, result.err
    data = result.json()
    assert list(data)[:8] == [  # the fields of earlier versions first, unchanged
        "repository",
        "before",
        "after",
        "expire_now",
        "kept",
        "changed",
        "applied",
        "dry_run",
    ]
    (old,) = data["expiring"]
    assert old["name"] == "old" and old["size_bytes"] == data["expiring_bytes"] > 0
    assert data["saving_usd_month"] >= 0
    assert data["before"] == {"max_age_days": None, "policy": None}
    assert data["after"]["max_age_days"] == 7
    assert (data["expire_now"], data["kept"], data["applied"]) == (["old"], 1, True)
    assert policy_days(web) == 7


def test_set_dry_run_changes_nothing(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("policy", "set", "acme/web", "--max-age-days", "90", "--dry-run")

    assert result.code == 0 and "Dry run" in result.err
    assert web.ecr.get_lifecycle_policy(WEB) is None


def test_set_to_the_same_value_writes_nothing(web: MotoEcr, ecr_cache: Any) -> None:
    web.ecr.put_lifecycle_policy(WEB, lifecycle.policy_text(30))

    data = ecr_cache("policy", "set", WEB, "--max-age-days", "30", "--json").json()

    assert (data["changed"], data["applied"]) == (False, False)


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5"])
def test_a_bad_max_age_is_exit_2_naming_option_and_value(
    web: MotoEcr, ecr_cache: Any, value: str
) -> None:
    result = ecr_cache("policy", "set", "acme/web", f"--max-age-days={value}", "--yes")

    assert result.code == 2
    assert "--max-age-days" in result.err and value in result.err and ">= 1" in result.err
    assert result.err.count("\n") == 1
    assert web.ecr.get_lifecycle_policy(WEB) is None


def test_outside_the_prefix_is_refused_unless_force(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    moto_ecr.push("team/app", "t1", "a")

    refused = ecr_cache("policy", "set", "team/app", "--max-age-days", "5", "--yes")
    assert refused.code == 2 and "--force" in refused.err
    assert moto_ecr.ecr.get_lifecycle_policy("team/app") is None

    forced = ecr_cache("policy", "set", "team/app", "--max-age-days", "5", "--yes", "--force")
    assert forced.code == 0 and policy_days(moto_ecr, "team/app") == 5


def test_missing_pipeline_is_exit_3(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    assert ecr_cache("policy", "get", "acme/nope").code == 3
    assert ecr_cache("policy", "set", "acme/nope", "--max-age-days", "3").code == 3


def test_access_denied_is_exit_3(web: MotoEcr, ecr_cache: Any, denied_credentials: None) -> None:
    result = ecr_cache("policy", "get", "acme/web")
    assert result.code == 3 and "access denied" in result.err.lower()
