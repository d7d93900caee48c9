"""The cache service: pure decisions, and the operations over the in-memory ECR (FakeEcr)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from ecr_cache_tui import lifecycle
from ecr_cache_tui.adapters.ecr import Ecr
from ecr_cache_tui.adapters.labels import RegistryLabelReader
from ecr_cache_tui.cachekey.inputs import LABEL, InputEntry, Manifest
from ecr_cache_tui.errors import (
    ConfigError,
    OutsidePrefix,
    RegistryError,
    RepositoryNotFound,
    TagNotFound,
)
from ecr_cache_tui.model import Credentials, ImageDetail, PipelineSummary
from ecr_cache_tui.service import (
    CacheService,
    build_eviction_plan,
    group_by_organisation,
    monthly_cost_usd,
    pipeline_stats_from,
    split_repository,
    tag_infos,
)
from tests.fakes import FakeEcr, FakeEngine, FakeRegistry, labels_from_mapping
from tests.stubs import repository_item

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
REPO = "build-cache/acme/web"


def image(digest: str, *tags: str, days_ago: float = 1, size: int = 100) -> ImageDetail:
    return ImageDetail(
        digest=digest,
        tags=tuple(sorted(tags)),
        pushed_at=NOW - timedelta(days=days_ago),
        size_bytes=size,
    )


# -- pure logic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("build-cache/acme/web", ("acme", "web")),
        ("build-cache/acme/web/deps", ("acme", "web/deps")),
        ("build-cache/loner", ("", "loner")),
        ("elsewhere/acme/web", ("elsewhere", "acme/web")),
    ],
)
def test_split_repository(name: str, expected: tuple[str, str]) -> None:
    assert split_repository(name, "build-cache/") == expected


def test_monthly_cost_is_per_gibibyte() -> None:
    assert monthly_cost_usd(5 * 1024**3, 0.10) == pytest.approx(0.5)
    assert monthly_cost_usd(0, 0.10) == 0


def test_pipeline_stats_from_images_and_policy() -> None:
    images = [
        image("sha256:a", "t1", "latest", days_ago=1, size=2 * 1024**3),
        image("sha256:b", "t0", days_ago=3, size=1024**3),
        image("sha256:c", days_ago=9),
    ]

    stats = pipeline_stats_from(images, lifecycle.policy_text(14), 0.10)

    assert stats.tag_count == 3
    assert stats.image_count == 3
    assert stats.total_bytes == 3 * 1024**3 + 100
    assert stats.newest_push == NOW - timedelta(days=1)
    assert stats.max_age_days == 14 and stats.has_policy
    assert stats.monthly_cost_usd == pytest.approx(0.3, abs=1e-3)


def test_pipeline_stats_of_empty_repository_without_policy() -> None:
    stats = pipeline_stats_from([], None, 0.10)
    assert (stats.tag_count, stats.newest_push, stats.max_age_days, stats.has_policy) == (
        0,
        None,
        None,
        False,
    )


def test_foreign_policy_is_reported_as_unknown_max_age() -> None:
    foreign = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "imageCountMoreThan",
                        "countNumber": 5,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )
    stats = pipeline_stats_from([], foreign, 0.10)
    assert stats.max_age_days is None and stats.has_policy


def test_group_by_organisation_sorts_groups_and_members() -> None:
    def p(org: str, name: str) -> PipelineSummary:
        return PipelineSummary(f"build-cache/{org}/{name}", org, name, "uri", None)

    groups = group_by_organisation([p("zeta", "b"), p("acme", "web"), p("zeta", "a")])

    assert list(groups) == ["acme", "zeta"]
    assert [x.pipeline for x in groups["zeta"]] == ["a", "b"]


def test_tag_infos_marks_latest_and_computes_expiry() -> None:
    images = [
        image("sha256:new", "t2", "latest", days_ago=1),
        image("sha256:old", "t1", days_ago=5),
    ]

    infos = tag_infos(images, "host/build-cache/acme/web", 30)

    assert [(i.tag, i.is_latest) for i in infos] == [("latest", True), ("t2", True), ("t1", False)]
    t1 = infos[-1]
    assert t1.expires_at == NOW - timedelta(days=5) + timedelta(days=30)
    assert t1.uri == "host/build-cache/acme/web:t1"
    assert infos[1].other_tags == ("latest",)


def test_tag_infos_without_policy_have_no_expiry() -> None:
    (info,) = tag_infos([image("sha256:a", "t1")], "uri", None)
    assert info.expires_at is None and not info.is_latest


def test_eviction_plan_for_named_tags_lists_shared_tags() -> None:
    images = [image("sha256:a", "t2", "latest", days_ago=1), image("sha256:b", "t1", days_ago=2)]

    plan = build_eviction_plan(REPO, "uri", images, ["t1", "t2"])

    assert not plan.everything
    assert [(i.tag, i.digest, i.shared_with) for i in plan.items] == [
        ("t2", "sha256:a", ("latest",)),
        ("t1", "sha256:b", ()),
    ]
    assert plan.untagged == ()


def test_eviction_plan_for_everything_includes_untagged_images() -> None:
    images = [image("sha256:a", "t2", "latest"), image("sha256:c")]

    plan = build_eviction_plan(REPO, "uri", images, None)

    assert plan.everything
    assert sorted(i.tag for i in plan.items) == ["latest", "t2"]
    assert all(i.shared_with == () for i in plan.items)
    assert plan.untagged == ("sha256:c",)
    assert set(plan.digests) == {"sha256:a", "sha256:c"}


def test_eviction_plan_frees_the_images_deleted_whole_counted_once() -> None:
    images = [
        image("sha256:a", "t2", "latest", size=100),
        image("sha256:b", "t1", "t0", size=30),
        image("sha256:c", size=7),
    ]

    tags = build_eviction_plan(REPO, "uri", images, ["t2", "t1", "t0"])
    everything = build_eviction_plan(REPO, "uri", images, None)

    assert (tags.freed_bytes, tags.image_count) == (30, 1)  # sha256:a stays as latest
    assert (everything.freed_bytes, everything.image_count) == (137, 3)


def test_eviction_plan_with_an_unknown_tag_plans_nothing() -> None:
    with pytest.raises(TagNotFound, match="nope"):
        build_eviction_plan(REPO, "uri", [image("sha256:a", "t1")], ["t1", "nope"])


# -- against the in-memory ECR (tests/fakes.py; the adapter is pinned against moto) ----------


class Caches:
    """A :class:`FakeEcr`, labels, and a service over them."""

    def __init__(self) -> None:
        self.ecr = FakeEcr()
        self.labels: dict[tuple[str, str], dict[str, str]] = {}
        self.service = CacheService(self.ecr, labels_from_mapping(self.labels), clock=lambda: NOW)

    def push(self, repo: str, tag: str, seed: str) -> None:
        self.ecr.push(repo, tag, seed)


@pytest.fixture
def world() -> Caches:
    return Caches()


def test_list_pipelines_only_under_prefix_and_stats_on_request(world: Caches) -> None:
    world.push("build-cache/acme/web", "t1", "a")
    world.push("build-cache/acme/web", "latest", "a")
    world.push("build-cache/zeta/api", "t9", "b")
    world.ecr.create_repository("not-a-cache/x", {})
    world.ecr.put_lifecycle_policy("build-cache/acme/web", lifecycle.policy_text(14))

    cheap = world.service.list_pipelines()
    full = world.service.list_pipelines(with_stats=True)

    assert [(p.organisation, p.pipeline) for p in cheap] == [("acme", "web"), ("zeta", "api")]
    assert all(p.stats is None for p in cheap)
    web = full[0].stats
    assert web is not None and web.tag_count == 2 and web.max_age_days == 14


def test_list_tags_of_missing_repository(world: Caches) -> None:
    with pytest.raises(RepositoryNotFound):
        world.service.list_tags("build-cache/none/here")


def test_resolve_org_pipeline_and_full_name(world: Caches) -> None:
    world.ecr.create_repository("build-cache/acme/web", {})
    world.ecr.create_repository("custom/repo", {})

    assert world.service.resolve("acme/web") == "build-cache/acme/web"
    assert world.service.resolve("build-cache/acme/web") == "build-cache/acme/web"
    assert world.service.resolve("custom/repo") == "custom/repo"
    with pytest.raises(RepositoryNotFound, match="build-cache/acme/nope"):
        world.service.resolve("acme/nope")
    with pytest.raises(ConfigError):
        world.service.resolve("  ")


def test_evict_named_tag_keeps_the_image_under_its_other_tag(world: Caches) -> None:
    world.push(REPO, "t1", "a")
    world.push(REPO, "latest", "a")
    world.push(REPO, "t0", "b")

    plan = world.service.plan_eviction(REPO, ["t1"])
    result = world.service.evict(plan)

    assert result.ok and [d.tag for d in result.deleted] == ["t1"]
    assert sorted(t.tag for t in world.service.list_tags(REPO)) == ["latest", "t0"]


def test_evict_everything_empties_the_repository(world: Caches) -> None:
    world.push(REPO, "t1", "a")
    world.push(REPO, "latest", "a")
    world.push(REPO, "t0", "b")

    result = world.service.evict(world.service.plan_eviction(REPO))

    assert result.ok
    assert list(world.ecr.iter_images(REPO)) == []


def test_eviction_outside_prefix_needs_force(world: Caches) -> None:
    world.push("custom/repo", "t1", "a")

    with pytest.raises(ConfigError, match="outside the cache prefix"):
        world.service.plan_eviction("custom/repo", ["t1"])
    assert world.service.plan_eviction("custom/repo", ["t1"], force=True).items


def test_policy_plan_and_apply(world: Caches) -> None:
    world.push(REPO, "t1", "a")

    plan = world.service.plan_policy(REPO, 7)
    assert plan.before_text is None and plan.after_days == 7 and plan.changed
    assert world.service.apply_policy(plan)

    view = world.service.get_policy(REPO)
    assert view.max_age_days == 7
    again = world.service.plan_policy(REPO, 7)
    assert again.before_days == 7 and not again.changed
    assert not world.service.apply_policy(again)


def test_policy_preview_counts_images_that_would_expire_now(world: Caches) -> None:
    world.push(REPO, "t1", "a")
    # Pushes are stamped "now"; a clock 10 days ahead makes them 10 days old.
    later = CacheService(
        world.ecr,
        labels_from_mapping({}),
        clock=lambda: datetime.now(timezone.utc) + timedelta(days=10),
    )

    assert later.plan_policy(REPO, 7).preview.expire_now == ("t1",)
    assert later.plan_policy(REPO, 30).preview.expire_now == ()


def test_policy_preview_says_what_expiring_saves(world: Caches) -> None:
    world.push(REPO, "t1", "a")
    world.push(REPO, "t2", "b")
    later = CacheService(
        world.ecr,
        labels_from_mapping({}),
        clock=lambda: datetime.now(timezone.utc) + timedelta(days=10),
        price_per_gb_month=0.10,
    )

    plan = later.plan_policy(REPO, 7)

    sizes = {i.tags[0]: i.size_bytes for i in world.ecr.iter_images(REPO)}
    assert [i.name for i in plan.preview.expiring] == ["t1", "t2"]  # oldest push first
    assert plan.preview.expiring_bytes == sizes["t1"] + sizes["t2"]
    assert plan.saving_usd_month == monthly_cost_usd(sizes["t1"] + sizes["t2"], 0.10)


def test_policies_planned_for_several_repositories_in_their_order(world: Caches) -> None:
    world.push(REPO, "t1", "a")
    world.push("build-cache/zeta/api", "t9", "b")
    world.ecr.put_lifecycle_policy(REPO, lifecycle.policy_text(14))

    plans = world.service.plan_policies(["build-cache/zeta/api", REPO], 7)

    assert [(p.repository, p.before_days, p.after_days) for p in plans] == [
        ("build-cache/zeta/api", None, 7),
        (REPO, 14, 7),
    ]
    with pytest.raises(ConfigError, match="max-age-days"):
        world.service.plan_policies([REPO], 0)
    assert world.service.get_policy(REPO).max_age_days == 14  # planning changed nothing


def test_policy_rejects_bad_days_and_outside_prefix(world: Caches) -> None:
    world.push("custom/repo", "t1", "a")
    with pytest.raises(ConfigError, match="max-age-days"):
        world.service.plan_policy(REPO, 0)
    with pytest.raises(OutsidePrefix, match="outside the cache prefix") as caught:
        world.service.plan_policy("custom/repo", 7)
    assert (caught.value.repository, caught.value.prefix) == ("custom/repo", "build-cache/")


def _manifest(tag: str, lock_digest: str) -> Manifest:
    return Manifest(
        tag=tag,
        entries=(
            InputEntry("dockerfile", "Dockerfile", "d1"),
            InputEntry("cache-on", "package-lock.json", lock_digest),
        ),
    )


def test_diff_reads_both_labels(world: Caches) -> None:
    world.push(REPO, "aaa", "a")
    world.push(REPO, "bbb", "b")
    world.labels[(REPO, "aaa")] = {LABEL: _manifest("aaa", "x").to_label()}
    world.labels[(REPO, "bbb")] = {LABEL: _manifest("bbb", "y").to_label()}

    changes = world.service.diff(REPO, "aaa", "bbb")

    assert [(c.entry.name, c.status) for c in changes] == [
        ("Dockerfile", "same"),
        ("package-lock.json", "changed"),
    ]


def test_diff_of_missing_tag_and_unlabelled_image(world: Caches) -> None:
    world.push(REPO, "aaa", "a")
    world.push(REPO, "plain", "b")
    world.labels[(REPO, "aaa")] = {LABEL: _manifest("aaa", "x").to_label()}

    with pytest.raises(TagNotFound, match="nope"):
        world.service.diff(REPO, "aaa", "nope")
    with pytest.raises(RegistryError, match="no inputs manifest"):
        world.service.diff(REPO, "aaa", "plain")


# -- paging (moto ignores maxResults/nextToken: botocore's Stubber over several pages) -------


def _stubbed_service() -> tuple[CacheService, Any]:
    from botocore.stub import Stubber

    client: Any = boto3.client(
        "ecr", region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    return CacheService(Ecr(client), labels_from_mapping({}), clock=lambda: NOW), Stubber(client)


def _images_page(*tags: str, next_token: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "imageDetails": [
            {
                "imageDigest": f"sha256:{tag}",
                "imageTags": [tag],
                "imagePushedAt": NOW - timedelta(days=i),
                "imageSizeInBytes": 1024**3,
            }
            for i, tag in enumerate(tags)
        ]
    }
    if next_token:
        page["nextToken"] = next_token
    return page


def test_list_pipelines_with_stats_follows_every_page() -> None:
    service, stub = _stubbed_service()
    stub.add_response(
        "describe_repositories",
        {"repositories": [repository_item("build-cache/a/one", created=NOW)], "nextToken": "r2"},
        {"maxResults": 1000},
    )
    stub.add_response(
        "describe_repositories",
        {"repositories": [repository_item("build-cache/b/two", created=NOW)]},
        {"nextToken": "r2", "maxResults": 1000},
    )
    for name in ("build-cache/a/one", "build-cache/b/two"):
        stub.add_response(
            "describe_images",
            _images_page("t1", "t2", next_token="i2"),
            {"repositoryName": name, "maxResults": 1000},
        )
        stub.add_response(
            "describe_images",
            _images_page("t3"),
            {"repositoryName": name, "nextToken": "i2", "maxResults": 1000},
        )
        stub.add_response(
            "get_lifecycle_policy",
            {"repositoryName": name, "lifecyclePolicyText": lifecycle.policy_text(9)},
            {"repositoryName": name},
        )

    with stub:
        pipelines = service.list_pipelines(with_stats=True, workers=1)

    stub.assert_no_pending_responses()
    assert [p.repository for p in pipelines] == ["build-cache/a/one", "build-cache/b/two"]
    for p in pipelines:
        assert p.stats is not None
        assert (p.stats.tag_count, p.stats.total_bytes, p.stats.max_age_days) == (3, 3 * 1024**3, 9)
        assert p.stats.monthly_cost_usd == pytest.approx(0.3)


def test_list_tags_follows_every_page() -> None:
    service, stub = _stubbed_service()
    stub.add_response(
        "describe_repositories",
        {"repositories": [repository_item(REPO, created=NOW)]},
        {"repositoryNames": [REPO]},
    )
    stub.add_response("describe_images", _images_page("a", "b", next_token="p2"), None)
    stub.add_response("describe_images", _images_page("c", next_token="p3"), None)
    stub.add_response("describe_images", _images_page("d"), None)
    stub.add_client_error("get_lifecycle_policy", "LifecyclePolicyNotFoundException")

    with stub:
        tags = service.list_tags(REPO)

    assert sorted(t.tag for t in tags) == ["a", "b", "c", "d"]
    assert all(t.expires_at is None for t in tags)


def test_evict_reports_what_ecr_refused() -> None:
    service, stub = _stubbed_service()
    plan = build_eviction_plan(
        REPO, "uri", [image("sha256:a", "t1"), image("sha256:b", "t2")], ["t1", "t2"]
    )
    stub.add_response(
        "batch_delete_image",
        {
            "imageIds": [{"imageTag": "t1", "imageDigest": "sha256:a"}],
            "failures": [
                {
                    "imageId": {"imageTag": "t2"},
                    "failureCode": "ImageReferencedByManifestList",
                    "failureReason": "in use",
                }
            ],
        },
        {"repositoryName": REPO, "imageIds": [{"imageTag": "t1"}, {"imageTag": "t2"}]},
    )

    with stub:
        result = service.evict(plan)

    assert not result.ok
    assert [(f.tag, f.code) for f in result.failures] == [("t2", "ImageReferencedByManifestList")]


def test_label_reader_retries_once_with_a_fresh_token_after_a_refused_login(world: Caches) -> None:
    world.push("build-cache/acme/web", "t1", "a")
    # The first login has expired by the time it is used: that request is refused.
    engine = FakeEngine(remote={"r:5000/build-cache/acme/web:t1"})
    registry = FakeRegistry(engine, labels={LABEL: "fresh"}, refusals=1)
    passwords = iter(["expired", "fresh-token"])

    def factory(host: str, credentials: tuple[str, str]) -> Any:
        return registry.client(host, Credentials(credentials[0], next(passwords)))

    reader = RegistryLabelReader(world.ecr, registry_hostname="r:5000", client_factory=factory)
    assert reader("build-cache/acme/web", "t1") == {LABEL: "fresh"}
    assert reader("build-cache/acme/web", "t1") == {LABEL: "fresh"}
    assert registry.logins == ["expired", "fresh-token"]


def test_a_client_with_no_region_anywhere_uses_the_plugins_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from ecr_cache_tui.adapters.aws import ecr_client

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert ecr_client().meta.region_name == "eu-west-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    assert ecr_client().meta.region_name == "ap-southeast-2"


def test_image_references_use_the_registry_hostname_override(world: Caches) -> None:
    world.push("build-cache/acme/web", "t1", "a")
    service = CacheService(
        world.ecr, labels_from_mapping({}), clock=lambda: NOW, registry_hostname="proxy:5000"
    )
    (pipeline,) = service.list_pipelines()
    assert pipeline.uri == "proxy:5000/build-cache/acme/web"
    (tag,) = service.list_tags("build-cache/acme/web")
    assert tag.uri == "proxy:5000/build-cache/acme/web:t1"
    assert world.service.list_tags("build-cache/acme/web")[0].uri.endswith(
        ".amazonaws.com/build-cache/acme/web:t1"
    )
