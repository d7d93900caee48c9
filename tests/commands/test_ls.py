"""``ecr-cache ls``: pipelines and tags, for people and for machines, and its failures."""

from __future__ import annotations

from typing import Any

import pytest

from ecr_cache_tui import lifecycle
from tests.moto_harness import MotoEcr

WEB = "build-cache/acme/web"

PIPELINE_KEYS = [
    "repository",
    "organisation",
    "pipeline",
    "uri",
    "created_at",
    "tag_count",
    "image_count",
    "total_bytes",
    "newest_push",
    "max_age_days",
    "has_policy",
    "monthly_cost_usd",
    "policies_known",
    "pulls_known",
]
TAG_KEYS = [
    "tag",
    "digest",
    "pushed_at",
    "size_bytes",
    "last_pulled",
    "expires_at",
    "latest",
    "other_tags",
    "uri",
    "pulls_known",
]


def seed(moto: MotoEcr) -> None:
    moto.push(WEB, "aaaa", "a")
    moto.push(WEB, "latest", "a")
    moto.push(WEB, "bbbb", "b")
    moto.push("build-cache/zeta/api", "cccc", "c")
    moto.repo("somewhere-else/app")
    moto.ecr.put_lifecycle_policy(WEB, lifecycle.policy_text(14))


def test_ls_lists_cached_pipelines_as_json(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    seed(moto_ecr)

    result = ecr_cache("ls", "--json")

    assert result.code == 0, result.err
    data = result.json()
    assert data["prefix"] == "build-cache/"
    assert [p["repository"] for p in data["pipelines"]] == [WEB, "build-cache/zeta/api"]
    web = data["pipelines"][0]
    assert list(web) == PIPELINE_KEYS
    assert (web["organisation"], web["pipeline"], web["tag_count"], web["image_count"]) == (
        "acme",
        "web",
        3,
        2,
    )
    assert web["max_age_days"] == 14
    assert web["newest_push"].endswith("Z") and web["created_at"].endswith("Z")


def test_ls_lists_pipelines_in_aligned_columns(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    seed(moto_ecr)

    result = ecr_cache("ls")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "ORGANISATION",
        "PIPELINE",
        "TAGS",
        "SIZE",
        "NEWEST",
        "PUSH",
        "MAX",
        "AGE",
        "$/MONTH",
    ]
    assert lines[1].split()[:3] == ["acme", "web", "3"]
    assert "14d" in lines[1] and "none" in lines[2]
    # Aligned: every row's PIPELINE column starts where the header's does.
    column = lines[0].index("PIPELINE")
    assert all(line[column - 2 : column] == "  " for line in lines[1:3])
    assert lines[-1].startswith("2 pipelines")
    assert "somewhere-else" not in result.out


def test_ls_with_another_prefix(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    seed(moto_ecr)

    result = ecr_cache("ls", "--json", "--prefix", "somewhere-else")

    assert [p["repository"] for p in result.json()["pipelines"]] == ["somewhere-else/app"]


@pytest.mark.parametrize("prefix", ["A B", "build-cache//", "x\x1b[31m", "-cache"])
@pytest.mark.parametrize(
    "argv",
    [["ls"], ["ls", "acme/web"], ["policy", "get", "acme/web"], ["rebuild", "acme/web", "--all"]],
)
def test_a_prefix_no_repository_name_could_start_with_is_exit_2(
    moto_ecr: MotoEcr, ecr_cache: Any, argv: list[str], prefix: str
) -> None:
    seed(moto_ecr)
    tags = moto_ecr.tags(WEB)

    result = ecr_cache(*argv, f"--prefix={prefix}", "--yes" if argv[0] == "rebuild" else "--json")

    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert "--prefix: " in result.err and "is not valid" in result.err
    assert "\x1b" not in result.err
    assert moto_ecr.tags(WEB) == tags


def test_ls_with_nothing_cached(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    assert ecr_cache("ls", "--json").json() == {"prefix": "build-cache/", "pipelines": []}
    result = ecr_cache("ls")
    assert result.code == 0 and result.out == "" and "No cached pipelines" in result.err


def test_ls_pipeline_lists_tags_as_json(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    seed(moto_ecr)
    moto_ecr.age(WEB, "bbbb", days=3)

    result = ecr_cache("ls", "acme/web", "--json")

    assert result.code == 0, result.err
    data = result.json()
    assert data["repository"] == WEB and data["max_age_days"] == 14
    assert [t["tag"] for t in data["tags"]] == ["aaaa", "latest", "bbbb"]
    assert all(list(t) == TAG_KEYS for t in data["tags"])
    by_tag = {t["tag"]: t for t in data["tags"]}
    assert by_tag["aaaa"]["latest"] and by_tag["latest"]["latest"] and not by_tag["bbbb"]["latest"]
    assert by_tag["aaaa"]["other_tags"] == ["latest"]
    assert by_tag["aaaa"]["digest"] == by_tag["latest"]["digest"] != by_tag["bbbb"]["digest"]
    assert by_tag["bbbb"]["uri"].endswith("/build-cache/acme/web:bbbb")
    assert by_tag["bbbb"]["expires_at"] < by_tag["aaaa"]["expires_at"]


def test_ls_pipeline_for_people(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    seed(moto_ecr)

    result = ecr_cache("ls", WEB)

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{WEB}  (") and "max age 14d" in lines[0]
    assert lines[1].split()[:2] == ["TAG", "DIGEST"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows["latest"].rstrip().endswith("latest")
    assert not rows["bbbb"].rstrip().endswith("latest")


def test_ls_of_a_missing_pipeline_is_exit_3_naming_it(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    seed(moto_ecr)

    result = ecr_cache("ls", "acme/nope")

    assert result.code == 3
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert "acme/nope" in result.err and "ecr-cache ls" in result.err


def test_ls_access_denied_is_exit_3(
    moto_ecr: MotoEcr, ecr_cache: Any, denied_credentials: None
) -> None:
    result = ecr_cache("ls")

    assert result.code == 3
    assert "access denied" in result.err.lower()
