"""``ecr-cache prune`` against the real registry (``--registry-provider oci``) and moto's ECR.

Images are pushed with config ``created`` times relative to now, so each test knows which are
past the cut-off; the registry's own tag lists afterwards say what really went.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.ports import CacheServiceApi
from ecr_cache_tui.wiring import open_oci_service
from tests.moto_harness import MotoEcr
from tests.oci_registries import refusing_registry
from tests.ocipush import Pusher
from tests.services import Services, unique_name


def ago(days: float) -> str:
    at = datetime.now(timezone.utc) - timedelta(days=days)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fill(push: Pusher, repo: str) -> dict[str, Any]:
    """old (40 days, two tags), older (50), mid (20), new (1, also latest)."""
    return {
        "old": push.image(repo, ["old", "old-alias"], seed=repo + "o", created=ago(40)),
        "older": push.image(repo, ["older"], seed=repo + "x", created=ago(50)),
        "mid": push.image(repo, ["mid"], seed=repo + "m", created=ago(20)),
        "new": push.image(repo, ["new", "latest"], seed=repo + "n", created=ago(1)),
    }


@pytest.fixture(autouse=True)
def no_docker_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docker").mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))


@pytest.fixture
def prefix() -> str:
    return unique_name("oci", "prune") + "/"


@pytest.fixture
def push(services: Services) -> Pusher:
    return Pusher(services.registry)


@pytest.fixture
def repo(prefix: str) -> str:
    return f"{prefix}acme/web"


@pytest.fixture
def service(services: Services, prefix: str) -> CacheServiceApi:
    """The maintainers' service on the plain registry, as ``--registry-provider oci`` opens it."""
    return open_oci_service(services.registry, prefix=prefix, env={})


def oci(host: str, prefix: str, *argv: str) -> list[str]:
    return ["prune", *argv, "--registry-provider", "oci", "--registry-hostname", host,
            "--prefix", prefix]  # fmt: skip


@pytest.mark.services
def test_prune_deletes_exactly_what_it_listed_and_nothing_newer(
    ecr_cache: Any, services: Services, prefix: str, push: Pusher, repo: str
) -> None:
    images = fill(push, repo)
    argv = oci(services.registry, prefix, "acme/web", "--max-age-days", "30")

    dry = ecr_cache(*argv, "--dry-run", "--json")
    assert dry.code == 0, dry.err
    listed = dry.json()["pipelines"][0]
    assert {t["tag"] for t in listed["tags"]} == {"old", "old-alias", "older"}
    assert listed["bytes"] == images["old"].size + images["older"].size
    assert push.tags(repo) == ["latest", "mid", "new", "old", "old-alias", "older"]

    done = ecr_cache(*argv, "--yes", "--json")
    assert done.code == 0, done.err
    result = done.json()["pipelines"][0]
    assert set(result["deleted"]) == {images["old"].digest, images["older"].digest}
    assert result["freed_bytes"] == listed["bytes"]
    assert push.tags(repo) == ["latest", "mid", "new"]


@pytest.mark.services
def test_keep_and_latest_stay_however_old(
    ecr_cache: Any, services: Services, prefix: str, push: Pusher, repo: str
) -> None:
    push.image(repo, ["a", "latest"], seed=repo + "a", created=ago(90))
    push.image(repo, ["b"], seed=repo + "b", created=ago(80))
    push.image(repo, ["c"], seed=repo + "c", created=ago(70))
    push.image(repo, ["d"], seed=repo + "d", created=ago(60))
    result = ecr_cache(
        *oci(services.registry, prefix, "--max-age-days", "7", "--keep", "2", "--yes")
    )
    assert result.code == 0, result.err
    assert push.tags(repo) == ["a", "c", "d", "latest"]
    assert "Deleted 1 image" in result.out


@pytest.mark.services
def test_listing_before_asking_and_no_answer_deletes_nothing(
    ecr_cache: Any, services: Services, prefix: str, push: Pusher, repo: str
) -> None:
    images = fill(push, repo)
    result = ecr_cache(*oci(services.registry, prefix, "--max-age-days", "30"))
    assert result.code == 2
    assert images["old"].digest in result.out and images["older"].digest in result.out
    assert images["mid"].digest not in result.out
    assert "In all: 3 tags, 2 images" in result.out
    assert "same digest as old-alias: deleted with it" in result.out
    assert len(push.tags(repo)) == 6


@pytest.mark.services
def test_an_image_deleted_meanwhile_is_not_an_error(
    services: Services, prefix: str, push: Pusher, repo: str, service: CacheServiceApi
) -> None:
    images = fill(push, repo)
    plan = service.plan_prune(repo, 30)
    other = open_oci_service(services.registry, prefix=prefix, env={})
    first = other.prune(other.plan_prune(repo, 30))  # another agent, first
    assert first.ok and len(first.deleted) == 2
    second = service.prune(plan)
    assert second.ok and second.deleted == ()
    assert set(second.gone) == {images["old"].digest, images["older"].digest}
    assert push.tags(repo) == ["latest", "mid", "new"]


@pytest.mark.services
def test_an_image_that_became_latest_since_the_listing_stays(
    push: Pusher, repo: str, service: CacheServiceApi
) -> None:
    images = fill(push, repo)
    plan = service.plan_prune(repo, 30)
    push.put_manifest(
        repo,
        "latest",
        images["older"].manifest,
        "application/vnd.docker.distribution.manifest.v2+json",
    )
    result = service.prune(plan)
    assert [d.digest for d in result.deleted] == [images["old"].digest]
    assert result.spared == (images["older"].digest,)
    assert "older" in push.tags(repo)


@pytest.mark.services
def test_a_registry_that_refuses_deletion_loses_nothing(
    ecr_cache: Any, prefix: str, tmp_path: Path
) -> None:
    with refusing_registry(tmp_path) as host:
        push = Pusher(host)
        repo = f"{prefix}acme/web"
        fill(push, repo)
        result = ecr_cache(*oci(host, prefix, "--max-age-days", "30", "--yes"))
        assert result.code == 3
        assert len(result.err.strip().splitlines()) == 1
        assert "does not allow deleting images" in result.err
        assert len(push.tags(repo)) == 6


def test_prune_on_ecr_does_by_hand_what_the_policy_would(moto_ecr: MotoEcr, ecr_cache: Any) -> None:
    web = "build-cache/acme/web"
    moto_ecr.push(web, "aaaa", "a")
    moto_ecr.push(web, "bbbb", "b")
    moto_ecr.push(web, "latest", "b")
    moto_ecr.push(web, "cccc", "c")
    moto_ecr.age(web, "aaaa", days=40)
    moto_ecr.age(web, "bbbb", days=35)  # latest's image: stays
    result = ecr_cache("prune", "acme/web", "--max-age-days", "30", "--yes")
    assert result.code == 0, result.err
    assert moto_ecr.tags(web) == ["bbbb", "cccc", "latest"]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--max-age-days", "0"], "--max-age-days"),
        (["--max-age-days", "x\x1b[2J"], "--max-age-days"),
        (["--max-age-days", "3", "--keep", "-1"], "--keep"),
        ([], "--max-age-days"),
    ],
)
def test_bad_prune_flags_are_one_line_and_exit_2(
    ecr_cache: Any, argv: list[str], named: str
) -> None:
    result = ecr_cache("prune", "acme/web", *argv)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and named in result.err
    assert "\x1b" not in result.err
