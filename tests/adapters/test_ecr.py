"""The ECR adapter against moto (in-process) and, for paging and errors, botocore's Stubber."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecr_cache_tui.adapters.ecr import PAGE_SIZE, Ecr
from ecr_cache_tui.errors import AccessDenied, RepositoryNotFound, TagNotFound, Throttled
from ecr_cache_tui.model import RegistryAuth
from tests.images import MEDIA_TYPE, manifest_text
from tests.moto_harness import MotoEcr
from tests.stubs import repository_item

REGION = "eu-west-1"


def _client() -> Any:
    return boto3.client(
        "ecr", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def ecr(moto_ecr: MotoEcr) -> Ecr:
    return moto_ecr.ecr


def put(ecr: Ecr, name: str, tag: str, seed: str) -> None:
    ecr.client.put_image(
        repositoryName=name,
        imageManifest=manifest_text(seed, size=100, config_size=10),
        imageTag=tag,
        imageManifestMediaType=MEDIA_TYPE,
    )


def test_describe_missing_repository_is_none(ecr: Ecr) -> None:
    assert ecr.describe_repository("build-cache/none/here") is None


def test_create_repository_is_mutable_and_tagged(ecr: Ecr) -> None:
    repo = ecr.create_repository("build-cache/acme/web", {"team": "web", "Cost Centre": "42"})

    assert repo.name == "build-cache/acme/web"
    assert repo.tag_mutability == "MUTABLE"
    assert repo.uri == f"123456789012.dkr.ecr.{REGION}.amazonaws.com/build-cache/acme/web"
    assert repo.host == f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
    assert repo.created_at is not None and repo.created_at.tzinfo == timezone.utc
    assert ecr.list_tags(repo.arn) == {"team": "web", "Cost Centre": "42"}
    assert ecr.describe_repository("build-cache/acme/web") == repo


def test_create_repository_lost_race_returns_the_existing_one(ecr: Ecr) -> None:
    first = ecr.create_repository("build-cache/acme/web", {"team": "web"})

    second = ecr.create_repository("build-cache/acme/web", {"team": "other"})

    assert second == first
    assert ecr.list_tags(first.arn) == {"team": "web"}


def test_tag_resource_adds_and_overwrites(ecr: Ecr) -> None:
    repo = ecr.create_repository("build-cache/acme/web", {"a": "1", "b": "2"})

    ecr.tag_resource(repo.arn, {"b": "3", "c": "4"})

    assert ecr.list_tags(repo.arn) == {"a": "1", "b": "3", "c": "4"}


def test_lifecycle_policy_absent_then_written(ecr: Ecr) -> None:
    ecr.create_repository("build-cache/acme/web", {})
    assert ecr.get_lifecycle_policy("build-cache/acme/web") is None

    text = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {
                        "tagStatus": "any",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 7,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )
    ecr.put_lifecycle_policy("build-cache/acme/web", text)

    assert json.loads(ecr.get_lifecycle_policy("build-cache/acme/web") or "") == json.loads(text)


def test_lifecycle_policy_of_missing_repository_raises(ecr: Ecr) -> None:
    with pytest.raises(RepositoryNotFound):
        ecr.get_lifecycle_policy("build-cache/none/here")


def test_authorization_decodes_token_and_hides_it(ecr: Ecr) -> None:
    auth = ecr.authorization()

    assert auth.username == "AWS"
    assert auth.password == "123456789012-auth-token"
    assert auth.host == f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
    assert "auth-token" not in repr(auth)
    assert auth.expires_at is not None and auth.expires_at.tzinfo == timezone.utc


def test_image_tag_exists(ecr: Ecr) -> None:
    ecr.create_repository("build-cache/acme/web", {})
    put(ecr, "build-cache/acme/web", "abc", "a")

    assert ecr.image_tag_exists("build-cache/acme/web", "abc")
    assert not ecr.image_tag_exists("build-cache/acme/web", "def")
    assert not ecr.image_tag_exists("build-cache/none/here", "abc")


def test_iter_images_groups_tags_by_digest(ecr: Ecr) -> None:
    ecr.create_repository("build-cache/acme/web", {})
    put(ecr, "build-cache/acme/web", "one", "a")
    put(ecr, "build-cache/acme/web", "latest", "a")
    put(ecr, "build-cache/acme/web", "two", "b")

    images = sorted(ecr.iter_images("build-cache/acme/web"), key=lambda i: i.tags)

    assert [i.tags for i in images] == [("latest", "one"), ("two",)]
    assert all(i.digest.startswith("sha256:") for i in images)
    assert all(i.pushed_at is not None and i.pushed_at.tzinfo == timezone.utc for i in images)


def test_iter_images_of_missing_repository_raises(ecr: Ecr) -> None:
    with pytest.raises(RepositoryNotFound):
        list(ecr.iter_images("build-cache/none/here"))


def test_iter_repositories_filters_by_prefix(ecr: Ecr) -> None:
    for name in ("build-cache/a/x", "build-cache/b/y", "other/thing"):
        ecr.create_repository(name, {})

    assert sorted(r.name for r in ecr.iter_repositories("build-cache/")) == [
        "build-cache/a/x",
        "build-cache/b/y",
    ]


def test_batch_get_manifest(ecr: Ecr) -> None:
    ecr.create_repository("build-cache/acme/web", {})
    put(ecr, "build-cache/acme/web", "abc", "a")

    got = ecr.batch_get_manifest("build-cache/acme/web", "abc")

    assert got.media_type == MEDIA_TYPE
    assert json.loads(got.text) == json.loads(manifest_text("a", size=100, config_size=10))
    assert got.digest.startswith("sha256:")
    with pytest.raises(TagNotFound):
        ecr.batch_get_manifest("build-cache/acme/web", "nope")


def test_batch_delete_reports_deleted_and_failures(ecr: Ecr) -> None:
    ecr.create_repository("build-cache/acme/web", {})
    put(ecr, "build-cache/acme/web", "one", "a")
    put(ecr, "build-cache/acme/web", "two", "b")

    deleted, failures = ecr.batch_delete("build-cache/acme/web", ["one", "gone"])

    assert [d.tag for d in deleted] == ["one"]
    assert [(f.tag, f.code) for f in failures] == [("gone", "ImageNotFound")]
    assert [i.tags for i in ecr.iter_images("build-cache/acme/web")] == [("two",)]


def test_batch_delete_by_digest_removes_every_tag(ecr: Ecr) -> None:
    ecr.create_repository("build-cache/acme/web", {})
    put(ecr, "build-cache/acme/web", "one", "a")
    put(ecr, "build-cache/acme/web", "latest", "a")
    (image,) = ecr.iter_images("build-cache/acme/web")

    ecr.batch_delete("build-cache/acme/web", digests=[image.digest])

    assert list(ecr.iter_images("build-cache/acme/web")) == []


# -- paging and errors with Stubber (moto ignores maxResults/nextToken) ----------------------


def _stubbed() -> tuple[Ecr, Stubber]:
    client = _client()
    return Ecr(client), Stubber(client)


def test_page_size_is_the_apis_maximum() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("ecr")
    for operation in ("DescribeRepositories", "DescribeImages"):
        shape = model.operation_model(operation).input_shape
        assert shape is not None
        assert shape.members["maxResults"].metadata["max"] == PAGE_SIZE == 1000


def test_iter_repositories_follows_every_page_asking_for_the_largest_pages() -> None:
    ecr, stub = _stubbed()
    stub.add_response(
        "describe_repositories",
        {
            "repositories": [repository_item("build-cache/a/1"), repository_item("other/1")],
            "nextToken": "p2",
        },
        {"maxResults": 1000},
    )
    stub.add_response(
        "describe_repositories",
        {"repositories": [repository_item("build-cache/a/2")], "nextToken": "p3"},
        {"nextToken": "p2", "maxResults": 1000},
    )
    stub.add_response(
        "describe_repositories",
        {"repositories": [repository_item("build-cache/b/3")]},
        {"nextToken": "p3", "maxResults": 1000},
    )

    with stub:
        names = [r.name for r in ecr.iter_repositories("build-cache/")]

    assert names == ["build-cache/a/1", "build-cache/a/2", "build-cache/b/3"]
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("registry_id", [None, "210987654321"])
def test_iter_images_follows_every_page_asking_for_the_largest_pages(
    registry_id: str | None,
) -> None:
    client = _client()
    ecr, stub = Ecr(client, registry_id=registry_id), Stubber(client)
    pushed = datetime(2024, 1, 1, tzinfo=timezone.utc)
    pages = (
        (None, "p2", ("sha256:a", "sha256:b")),
        ("p2", "p3", ("sha256:c",)),
        ("p3", None, ("sha256:d", "sha256:e")),
    )
    for token, next_token, digests in pages:
        response: dict[str, Any] = {
            "imageDetails": [
                {
                    "imageDigest": digest,
                    "imageTags": ["t" + digest[-1]],
                    "imagePushedAt": pushed,
                    "imageSizeInBytes": 5,
                }
                for digest in digests
            ]
        }
        if next_token:
            response["nextToken"] = next_token
        params: dict[str, Any] = {"repositoryName": "build-cache/a/1", "maxResults": 1000}
        if registry_id:
            params["registryId"] = registry_id
        if token:
            params["nextToken"] = token
        stub.add_response("describe_images", response, params)

    with stub:
        images = list(ecr.iter_images("build-cache/a/1"))

    assert [i.digest for i in images] == [f"sha256:{c}" for c in "abcde"]
    assert [i.tags for i in images] == [(f"t{c}",) for c in "abcde"]
    assert sum(i.size_bytes for i in images) == 25
    stub.assert_no_pending_responses()


def test_batch_delete_sends_at_most_100_ids_per_call() -> None:
    ecr, stub = _stubbed()
    tags = [f"t{i:03}" for i in range(250)]
    for chunk in (tags[:100], tags[100:200], tags[200:]):
        stub.add_response(
            "batch_delete_image",
            {
                "imageIds": [{"imageTag": t, "imageDigest": "sha256:x"} for t in chunk],
                "failures": [],
            },
            {"repositoryName": "build-cache/a/1", "imageIds": [{"imageTag": t} for t in chunk]},
        )

    with stub:
        deleted, failures = ecr.batch_delete("build-cache/a/1", tags)

    assert len(deleted) == 250 and failures == ()
    stub.assert_no_pending_responses()


def test_registry_id_is_sent_when_given() -> None:
    client = _client()
    ecr = Ecr(client, registry_id="210987654321")
    stub = Stubber(client)
    stub.add_response(
        "describe_repositories",
        {"repositories": [repository_item("build-cache/a/1")]},
        {"repositoryNames": ["build-cache/a/1"], "registryId": "210987654321"},
    )
    with stub:
        assert ecr.describe_repository("build-cache/a/1") is not None


@pytest.mark.parametrize(
    ("code", "error"),
    [("AccessDeniedException", AccessDenied), ("ThrottlingException", Throttled)],
)
def test_errors_are_translated(code: str, error: type[Exception]) -> None:
    ecr, stub = _stubbed()
    stub.add_client_error("describe_repositories", service_error_code=code, service_message="no")
    with stub, pytest.raises(error):
        ecr.describe_repository("build-cache/a/1")


def test_create_repository_does_not_swallow_access_denied() -> None:
    ecr, stub = _stubbed()
    stub.add_client_error("create_repository", service_error_code="AccessDeniedException")
    with stub, pytest.raises(AccessDenied):
        ecr.create_repository("build-cache/a/1", {})


def test_registry_auth_repr_never_shows_password() -> None:
    auth = RegistryAuth("AWS", "s3cret", "https://h", None)
    assert "s3cret" not in repr(auth) and "s3cret" not in str(auth)
