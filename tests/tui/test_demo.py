"""The embedded demo ECR: deterministic, realistic, and read through the real service."""

from __future__ import annotations

import json
from datetime import timedelta

from ecr_cache_tui import lifecycle
from ecr_cache_tui.demo import DEMO_NOW, DemoEcr, DemoScale, demo_service
from ecr_cache_tui.manifest import LABEL, Manifest


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
