"""``ecr-cache rebuild PIPELINE``: evicting tags, with confirmation, and its failures."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import MotoEcr

WEB = "build-cache/acme/web"


@pytest.fixture
def web(moto_ecr: MotoEcr) -> MotoEcr:
    moto_ecr.push(WEB, "aaaa", "a")
    moto_ecr.push(WEB, "latest", "a")
    moto_ecr.push(WEB, "bbbb", "b")
    return moto_ecr


def test_rebuild_asks_and_deletes_the_named_tags(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("rebuild", "acme/web", "--tag", "aaaa", "--tag", "bbbb", stdin="y\n")

    assert result.code == 0, result.err
    assert "Delete 2 tags from build-cache/acme/web? [y/N]" in result.err
    assert "aaaa" in result.out and "image stays: also tagged latest" in result.out
    assert web.tags(WEB) == ["latest"]


def test_a_refused_confirmation_deletes_nothing(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("rebuild", "acme/web", "--all", stdin="n\n")

    assert result.code == 0
    assert "Nothing deleted" in result.err
    assert web.tags(WEB) == ["aaaa", "bbbb", "latest"]


def test_no_answer_on_stdin_deletes_nothing_and_exits_2(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("rebuild", "acme/web", "--tag", "aaaa", stdin="")

    assert result.code == 2
    assert "--yes" in result.err
    assert web.tags(WEB) == ["aaaa", "bbbb", "latest"]


def test_dry_run_lists_and_deletes_nothing(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("rebuild", "acme/web", "--all", "--dry-run")

    assert result.code == 0
    assert {"aaaa", "bbbb", "latest"} <= set(result.out.split())
    assert web.tags(WEB) == ["aaaa", "bbbb", "latest"]


def test_dry_run_json_is_the_plan(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("rebuild", WEB, "--tag", "aaaa", "--dry-run", "--json")

    data = result.json()
    assert list(data) == [
        "repository",
        "uri",
        "everything",
        "dry_run",
        "tags",
        "untagged",
        "deleted",
        "failures",
    ]
    assert data["dry_run"] and not data["everything"]
    assert [(t["tag"], t["shared_with"]) for t in data["tags"]] == [("aaaa", ["latest"])]
    assert data["deleted"] == []
    assert web.tags(WEB) == ["aaaa", "bbbb", "latest"]


def test_yes_all_json_deletes_every_image(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("rebuild", "acme/web", "--all", "--yes", "--json")

    assert result.code == 0, result.err
    data = result.json()
    assert data["everything"] and not data["dry_run"]
    assert {d["tag"] for d in data["deleted"]} == {"aaaa", "bbbb", "latest"}
    assert data["failures"] == []
    assert web.tags(WEB) == []


def test_a_missing_tag_is_exit_3_and_deletes_nothing(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("rebuild", "acme/web", "--tag", "aaaa", "--tag", "nope", "--yes")

    assert result.code == 3
    assert "nope" in result.err and result.err.count("\n") == 1
    assert web.tags(WEB) == ["aaaa", "bbbb", "latest"]


def test_a_missing_pipeline_is_exit_3(web: MotoEcr, ecr_cache: Any) -> None:
    result = ecr_cache("rebuild", "acme/nope", "--all", "--yes")

    assert result.code == 3 and "acme/nope" in result.err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("rebuild", "acme/web"), "--tag TAG"),
        (("rebuild", "--all"), "PIPELINE"),
        (("rebuild", "acme/web", "--all", "--tag", "aaaa"), "not allowed with"),
    ],
)
def test_bad_arguments_are_exit_2_with_no_side_effect(
    web: MotoEcr, ecr_cache: Any, argv: tuple[str, ...], needle: str
) -> None:
    result = ecr_cache(*argv, "--yes")

    assert result.code == 2
    assert needle in result.err and result.err.count("\n") == 1
    assert web.tags(WEB) == ["aaaa", "bbbb", "latest"]


def test_a_repository_outside_the_prefix_needs_force(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    moto_ecr.push("team/app", "t1", "a")

    refused = ecr_cache("rebuild", "team/app", "--all", "--yes")
    assert refused.code == 2 and "--force" in refused.err
    assert moto_ecr.tags("team/app") == ["t1"]

    forced = ecr_cache("rebuild", "team/app", "--all", "--yes", "--force")
    assert forced.code == 0 and moto_ecr.tags("team/app") == []


def test_access_denied_is_exit_3(web: MotoEcr, ecr_cache: Any, denied_credentials: None) -> None:
    result = ecr_cache("rebuild", "acme/web", "--all", "--yes")

    assert result.code == 3 and "access denied" in result.err.lower()


def test_deletions_ecr_refuses_are_exit_3(ecr_cache: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto never refuses a deletion it has planned: ECR's answer comes from botocore's Stubber.
    import boto3
    from botocore.stub import Stubber

    client: Any = boto3.client(
        "ecr", region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    stub = Stubber(client)
    repo = {
        "repositoryName": WEB,
        "repositoryArn": "arn",
        "registryId": "123456789012",
        "repositoryUri": f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{WEB}",
        "imageTagMutability": "MUTABLE",
    }
    stub.add_response("describe_repositories", {"repositories": [repo]}, None)
    stub.add_response("describe_repositories", {"repositories": [repo]}, None)
    stub.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": "sha256:a", "imageTags": ["t1"]}]},
        None,
    )
    stub.add_response(
        "batch_delete_image",
        {
            "failures": [
                {"imageId": {"imageTag": "t1"}, "failureCode": "KmsError", "failureReason": "no"}
            ],
        },
        None,
    )
    monkeypatch.setattr("ecr_cache_tui.adapters.aws.ecr_client", lambda *a, **k: client)

    with stub:
        result = ecr_cache("rebuild", WEB, "--tag", "t1", "--yes")

    assert result.code == 3
    assert "t1: KmsError no" in result.err
