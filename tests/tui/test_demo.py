"""The embedded demo ECR: deterministic, realistic, and read through the real service."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.ecr.responses import ECRResponse

from ecr_cache_tui import lifecycle
from ecr_cache_tui.adapters.ecr import Ecr
from ecr_cache_tui.cachekey.inputs import LABEL, Manifest
from ecr_cache_tui.demo import DEMO_ACCOUNT, DEMO_NOW, DemoEcr, DemoScale, demo_service
from ecr_cache_tui.errors import RepositoryNotFound, TagNotFound
from tests.images import MEDIA_TYPE, manifest_text

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def details(demo: DemoEcr, repository: str) -> list[dict[str, object]]:
    return list(demo.client.describe_images(repositoryName=repository)["imageDetails"])


def test_same_scale_same_data() -> None:
    scale = DemoScale(pipelines=6, seed=11)
    with DemoEcr(scale) as first:
        names = list(first.repositories)
        images = {r: sorted(map(str, details(first, r))) for r in names}
    with DemoEcr(scale) as second:
        assert second.repositories == names
        assert {r: sorted(map(str, details(second, r))) for r in names} == images


def test_the_default_demo_is_realistic() -> None:
    with DemoEcr() as demo:
        repos = demo.repositories
        assert len(repos) >= 50
        orgs = {r.split("/")[1] for r in repos}
        assert len(orgs) >= 4
        assert all(r.startswith("build-cache/") for r in repos)

        all_images = [d for r in repos for d in details(demo, r)]
        ages = [DEMO_NOW - d["imagePushedAt"] for d in all_images]  # type: ignore[operator]
        assert min(ages) < timedelta(days=1) and max(ages) > timedelta(days=20)
        sizes = [d["imageSizeInBytes"] for d in all_images]
        assert min(sizes) < 200 * 2**20 < 2**30 < max(sizes)  # type: ignore[operator]
        pulled = [d for d in all_images if "lastRecordedPullTime" in d]
        assert 0 < len(pulled) < len(all_images)  # some never pulled
        assert all(d["lastRecordedPullTime"] >= d["imagePushedAt"] for d in pulled)  # type: ignore[operator]

        policies = []
        for r in repos:
            try:
                text = demo.client.get_lifecycle_policy(repositoryName=r)["lifecyclePolicyText"]
            except demo.client.exceptions.LifecyclePolicyNotFoundException:
                text = None
            policies.append(lifecycle.max_age_days(text) if text else "none")
        assert {7, 14, 30, 60} <= set(policies)
        assert None in policies  # one written by hand, not by ecr-cache


def test_every_tag_carries_an_inputs_manifest_read_through_the_service() -> None:
    with DemoEcr(DemoScale(pipelines=5, seed=3)) as demo:
        service = demo_service(demo)
        for repository in demo.repositories:
            for info in service.list_tags(repository):
                manifest = service.read_manifest(repository, info.tag)
                assert manifest is not None
                assert manifest.entries[0].kind in ("dockerfile", "dockerfile-inline")
        labels = demo.read_labels(demo.repositories[0], "latest")
        assert labels is not None
        Manifest.from_label(labels[LABEL])
        assert demo.read_labels(demo.repositories[0], "no-such-tag") is None


def test_consecutive_tags_differ_by_an_input() -> None:
    with DemoEcr(DemoScale(pipelines=3, min_tags=4, seed=5)) as demo:
        service = demo_service(demo)
        repository = demo.repositories[0]
        tags = [t.tag for t in service.list_tags(repository) if t.tag != "latest"]
        changes = service.diff(repository, tags[1], tags[0])
        assert [c.status for c in changes].count("changed") >= 1


def test_scale_gives_one_pipeline_many_tags() -> None:
    with DemoEcr(DemoScale(pipelines=4, max_tags=2, big_pipeline_tags=400)) as demo:
        first = details(demo, demo.repositories[0])
        assert len(first) == 400
        assert sum(len(d.get("imageTags", [])) for d in first) == 401  # and latest
        policy = demo.client.get_lifecycle_policy(repositoryName=demo.repositories[1])
        json.loads(policy["lifecyclePolicyText"])


# -- DescribeImages: the demo's direct JSON encoding equals moto's own serialiser ------------

#: moto's own ``ECRResponse.describe_images``, taken before any demo replaced it.
MOTO_DESCRIBE_IMAGES = ECRResponse.__dict__["describe_images"]


@contextmanager
def moto_serialiser() -> Iterator[None]:
    """Put moto's own ``describe_images`` back for the block (a demo must be running)."""
    fast = ECRResponse.__dict__["describe_images"]
    assert fast is not MOTO_DESCRIBE_IMAGES, "the demo's fast path is not installed"
    setattr(ECRResponse, "describe_images", MOTO_DESCRIBE_IMAGES)  # noqa: B010
    try:
        yield
    finally:
        setattr(ECRResponse, "describe_images", fast)  # noqa: B010


def describe(demo: DemoEcr, **params: Any) -> dict[str, Any]:
    """``describe_images(**params)``: what the client returned or raised, and the raw answer."""
    raw: list[dict[str, Any]] = []

    def keep(response_dict: dict[str, Any], **_: Any) -> None:
        raw.append(response_dict)

    demo.client.meta.events.register("before-parse.ecr.DescribeImages", keep)
    try:
        parsed: dict[str, Any] = dict(demo.client.describe_images(**params))
    except ClientError as exc:
        parsed = {"raised": type(exc).__name__, **exc.response}
    finally:
        demo.client.meta.events.unregister("before-parse.ecr.DescribeImages", keep)
    parsed.pop("ResponseMetadata", None)
    (answer,) = raw
    return {
        "parsed": parsed,
        "status": answer["status_code"],
        "content_type": answer["headers"].get("Content-Type"),
        "body": json.loads(answer["body"]),
    }


def add_odd_images(demo: DemoEcr, repository: str) -> None:
    """Images the fill never makes: untagged, an index (no size), moto's own push time."""
    demo.client.put_image(
        repositoryName=repository,
        imageManifest=manifest_text("u", size=100, config_size=10),
        imageManifestMediaType=MEDIA_TYPE,
    )
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})
    demo.client.put_image(
        repositoryName=repository,
        imageManifest=index,
        imageTag="index",
        imageManifestMediaType=OCI_INDEX,
    )


def test_describe_images_is_what_motos_serialiser_writes() -> None:
    with DemoEcr(DemoScale(pipelines=3, min_tags=12, max_tags=16, seed=4)) as demo:
        repository = demo.repositories[0]
        add_odd_images(demo, repository)
        everything = describe(demo, repositoryName=repository)
        details = everything["parsed"]["imageDetails"]
        # The cases are there: pulled and never pulled, untagged, no size, moto's push time.
        assert any("lastRecordedPullTime" in d for d in details)
        assert any("lastRecordedPullTime" not in d for d in details)
        assert any("imageTags" not in d for d in details)
        assert any("imageSizeInBytes" not in d for d in details)
        assert any(d["imagePushedAt"].microsecond == 0 for d in details)
        digest = details[0]["imageDigest"]
        calls: list[dict[str, Any]] = [
            {"repositoryName": repository},
            {"repositoryName": repository, "registryId": DEMO_ACCOUNT},
            {"repositoryName": demo.repositories[1]},
            {
                "repositoryName": repository,
                "imageIds": [{"imageTag": "latest"}, {"imageTag": "index"}],
            },
            {"repositoryName": repository, "imageIds": [{"imageDigest": digest}]},
            {"repositoryName": repository, "imageIds": [{"imageTag": "no-such-tag"}]},
            {"repositoryName": "build-cache/no/such-repository"},
            {"repositoryName": repository, "registryId": "210987654321"},
        ]
        fast = [describe(demo, **params) for params in calls]
        with moto_serialiser():
            moto = [describe(demo, **params) for params in calls]

    assert fast[0] == everything
    for params, mine, theirs in zip(calls, fast, moto, strict=True):
        assert mine == theirs, params
    assert moto[0]["content_type"] == "application/x-amz-json-1.1"
    errors = [
        "ImageNotFoundException",
        "RepositoryNotFoundException",
        "RepositoryNotFoundException",
    ]
    assert [m["parsed"].get("raised") for m in moto[-3:]] == errors
    assert [m["parsed"]["Error"]["Code"] for m in moto[-3:]] == errors
    assert [m["status"] for m in moto[-3:]] == [400] * 3


def test_missing_repository_and_tag_raise_as_before_through_the_service() -> None:
    with DemoEcr(DemoScale(pipelines=2, seed=2)) as demo:
        ecr = Ecr(demo.client)
        repository = demo.repositories[0]
        with pytest.raises(RepositoryNotFound, match="RepositoryNotFoundException"):
            list(ecr.iter_images("build-cache/no/such-repository"))
        assert not ecr.image_tag_exists(repository, "no-such-tag")
        assert ecr.image_tag_exists(repository, "latest")
        service = demo_service(demo)
        with pytest.raises(TagNotFound):
            service.read_manifest(repository, "no-such-tag")


def test_the_fast_path_is_in_place_only_while_a_demo_runs() -> None:
    def installed() -> bool:
        return ECRResponse.__dict__["describe_images"] is not MOTO_DESCRIBE_IMAGES

    assert not installed()
    first = DemoEcr(DemoScale(pipelines=1, max_tags=1)).start()
    second = DemoEcr(DemoScale(pipelines=1, max_tags=1), prefix="other/").start()
    try:
        assert installed()
        first.stop()
        assert installed()  # the second demo still runs
    finally:
        first.stop()
        second.stop()
    assert not installed()
    second.stop()  # stopping twice leaves moto alone
    assert not installed()

    # Another mock_aws user afterwards gets moto's own answer.
    with mock_aws():
        client = boto3.client("ecr", region_name="eu-west-1")
        client.create_repository(repositoryName="plain")
        client.put_image(
            repositoryName="plain",
            imageManifest=manifest_text("p"),
            imageManifestMediaType=MEDIA_TYPE,
        )
        assert "imageTags" not in client.describe_images(repositoryName="plain")["imageDetails"][0]


def test_the_demo_data_is_kept_from_the_collector_only_while_the_demo_runs() -> None:
    before = gc.get_freeze_count()
    demo = DemoEcr(DemoScale(pipelines=3, organisations=1, max_tags=2)).start()
    try:
        assert gc.get_freeze_count() > before  # the filled data is frozen
        # Still usable and still changeable: freezing hides objects from the cyclic collector,
        # nothing else.
        service = demo_service(demo)
        repository = demo.repositories[0]
        tags = [t.tag for t in service.list_tags(repository)]
        plan = service.plan_eviction(repository, tags=[tags[0]])
        service.evict(plan)
        assert tags[0] not in [t.tag for t in service.list_tags(repository)]
    finally:
        demo.stop()
    assert gc.get_freeze_count() == 0
