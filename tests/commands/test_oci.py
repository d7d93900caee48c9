"""``ls``, ``diff`` and ``rebuild`` on ``--registry-provider oci``, against the real registries.

Data is pushed straight over the distribution API (``tests/ocipush.py``), so each test knows
every digest, size and time it pushed and compares what the commands print with it (and with
the registry's own tag lists afterwards). Each test lists under a prefix of its own.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.cachekey.inputs import LABEL, InputEntry, Manifest
from tests.oci_registries import refusing_registry
from tests.ocipush import Pusher
from tests.services import ECR_PASSWORD, ECR_USER, Services, unique_name

pytestmark = pytest.mark.services


def inputs(tag: str, lock: str) -> str:
    entries = (
        InputEntry("dockerfile", "Dockerfile", "d" * 32),
        InputEntry("build-arg", "NODE_ENV", "n" * 32, value="production"),
        InputEntry("cache-on", "package-lock.json", lock * 32, note="1 file"),
    )
    return Manifest(tag=tag, entries=entries).to_label()


@pytest.fixture(autouse=True)
def no_docker_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Docker config: no login leaks in from the machine's."""
    config = tmp_path / "docker"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    return config


@pytest.fixture
def prefix() -> str:
    return unique_name("oci", "cmd") + "/"


@pytest.fixture
def web(services: Services, prefix: str) -> dict[str, Any]:
    """``acme/web``: v1 (old inputs), v2 and latest on one newer image; ``acme/api``: an index."""
    push = Pusher(services.registry)
    repo = f"{prefix}acme/web"
    old = push.image(
        repo, ["v1"], seed=repo + "1", created="2026-01-01T10:00:00Z",
        labels={LABEL: inputs("v1", "a")}, layer_sizes=(3000, 4000),
    )  # fmt: skip
    new = push.image(
        repo, ["v2", "latest"], seed=repo + "2", created="2026-01-05T10:00:00.123456789Z",
        labels={LABEL: inputs("v2", "b")}, layer_sizes=(5000,),
    )  # fmt: skip
    api = f"{prefix}acme/api"
    amd = push.image(api, [], seed=api + "a", created="2026-01-03T00:00:00Z")
    arm = push.image(api, [], seed=api + "b", created="2026-01-03T00:00:00Z", layer_sizes=(7,))
    index = push.index(api, "multi", [amd, arm])
    return {"push": push, "repo": repo, "old": old, "new": new, "api": api, "index": index}


def oci(services: Services, prefix: str, *argv: str, host: str | None = None) -> list[str]:
    return [
        *argv,
        "--registry-provider",
        "oci",
        "--registry-hostname",
        host or services.registry,
        "--prefix",
        prefix,
    ]


def test_ls_lists_pipelines_with_the_registrys_own_figures(
    ecr_cache: Any, services: Services, prefix: str, web: dict[str, Any]
) -> None:
    result = ecr_cache(*oci(services, prefix, "ls", "--json"))
    assert result.code == 0, result.err
    by_name = {p["pipeline"]: p for p in result.json()["pipelines"]}
    assert set(by_name) == {"web", "api"}
    assert by_name["web"]["tag_count"] == 3
    assert by_name["web"]["image_count"] == 2
    assert by_name["web"]["total_bytes"] == web["old"].size + web["new"].size
    assert by_name["web"]["newest_push"] == "2026-01-05T10:00:00.123456Z"
    assert by_name["api"]["total_bytes"] == web["index"].size  # the sum over the index
    assert by_name["web"]["policies_known"] is False
    assert by_name["web"]["uri"] == f"{services.registry}/{web['repo']}"


def test_ls_says_unknown_for_what_a_registry_does_not_record(
    ecr_cache: Any, services: Services, prefix: str, web: dict[str, Any]
) -> None:
    pipelines = ecr_cache(*oci(services, prefix, "ls"))
    assert pipelines.code == 0, pipelines.err
    web_row = next(line for line in pipelines.out.splitlines() if " web " in line)
    assert "unknown" in web_row.split()  # max age: never "none", never "0"
    tags = ecr_cache(*oci(services, prefix, "ls", "acme/web"))
    assert tags.code == 0, tags.err
    v1_row = next(line for line in tags.out.splitlines() if line.startswith("v1 "))
    assert "unknown" in v1_row.split()  # last pull


def test_ls_pipeline_agrees_with_the_registrys_manifests(
    ecr_cache: Any, services: Services, prefix: str, web: dict[str, Any]
) -> None:
    result = ecr_cache(*oci(services, prefix, "ls", "acme/web", "--json"))
    assert result.code == 0, result.err
    tags = {t["tag"]: t for t in result.json()["tags"]}
    push: Pusher = web["push"]
    assert set(tags) == set(push.tags(web["repo"])) == {"v1", "v2", "latest"}
    for tag, info in tags.items():
        assert info["digest"] == push.digest(web["repo"], tag)
    assert tags["v1"]["size_bytes"] == web["old"].size
    assert tags["v2"]["size_bytes"] == tags["latest"]["size_bytes"] == web["new"].size
    assert tags["v1"]["pushed_at"] == "2026-01-01T10:00:00Z"
    assert [t["latest"] for t in (tags["v1"], tags["v2"])] == [False, True]
    assert tags["v1"]["last_pulled"] is None and tags["v1"]["pulls_known"] is False


def test_diff_shows_old_and_new_inputs(
    ecr_cache: Any, services: Services, prefix: str, web: dict[str, Any]
) -> None:
    result = ecr_cache(*oci(services, prefix, "diff", "acme/web", "v1", "v2", "--json"))
    assert result.code == 0, result.err
    changes = {c["name"]: c for c in result.json()["changes"]}
    lock = changes["package-lock.json"]
    assert (lock["status"], lock["a_digest"], lock["b_digest"]) == ("changed", "a" * 32, "b" * 32)
    assert changes["NODE_ENV"]["status"] == "same"


def test_rebuild_names_the_tag_on_the_same_digest_and_deletes_exactly_the_plan(
    ecr_cache: Any, services: Services, prefix: str, web: dict[str, Any]
) -> None:
    argv = oci(services, prefix, "rebuild", "acme/web", "--tag", "v2")
    dry = ecr_cache(*argv, "--dry-run")
    assert dry.code == 0, dry.err
    latest_line = next(line for line in dry.out.splitlines() if line.strip().startswith("latest"))
    assert "same digest as v2: deleting it removes both" in latest_line
    assert web["push"].tags(web["repo"]) == ["latest", "v1", "v2"]  # a dry run deletes nothing

    done = ecr_cache(*argv, "--yes", "--json")
    assert done.code == 0, done.err
    planned = {t["tag"] for t in done.json()["tags"]}
    assert planned == {"v2", "latest"}
    assert web["push"].tags(web["repo"]) == ["v1"]  # exactly what was listed went


def test_rebuild_without_an_answer_deletes_nothing(
    ecr_cache: Any, services: Services, prefix: str, web: dict[str, Any]
) -> None:
    result = ecr_cache(*oci(services, prefix, "rebuild", "acme/web", "--tag", "v1"))
    assert result.code == 2
    assert web["push"].tags(web["repo"]) == ["latest", "v1", "v2"]


def test_a_registry_that_refuses_deletion_loses_nothing(
    ecr_cache: Any, services: Services, prefix: str, tmp_path: Path
) -> None:
    with refusing_registry(tmp_path) as host:
        push = Pusher(host)
        repo = f"{prefix}acme/web"
        push.image(repo, ["v1"], seed="r1")
        push.image(repo, ["v2", "latest"], seed="r2")
        result = ecr_cache(
            *oci(services, prefix, "rebuild", "acme/web", "--all", "--yes", host=host)
        )
        assert result.code == 3
        assert len(result.err.strip().splitlines()) == 1
        assert "does not allow deleting images" in result.err
        assert push.tags(repo) == ["latest", "v1", "v2"]


def test_the_htpasswd_registry_with_the_login_of_the_docker_config(
    ecr_cache: Any, services: Services, prefix: str, no_docker_login: Path
) -> None:
    push = Pusher(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    image = push.image(f"{prefix}acme/web", ["v1"], seed=prefix)
    argv = oci(services, prefix, "ls", "acme/web", "--json", host=services.auth_registry)
    denied = ecr_cache(*argv)
    assert denied.code == 3 and "access denied" in denied.err.lower()
    auth = base64.b64encode(f"{ECR_USER}:{ECR_PASSWORD}".encode()).decode()
    config = {"auths": {services.auth_registry: {"auth": auth}}}
    (no_docker_login / "config.json").write_text(json.dumps(config))
    result = ecr_cache(*argv)
    assert result.code == 0, result.err
    assert [(t["tag"], t["digest"]) for t in result.json()["tags"]] == [("v1", image.digest)]
    assert ECR_PASSWORD not in result.out + result.err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--registry-provider", "oci"], "--registry-hostname"),
        (["--registry-provider", "gcr"], "--registry-provider"),
        (["--insecure-registry"], "--insecure-registry"),
        (
            ["--registry-provider", "oci", "--registry-hostname", "a b\x1b[31m"],
            "--registry-hostname",
        ),
        (["--registry-provider", "oci", "--registry-hostname", "h:99999"], "--registry-hostname"),
        (["--registry-provider", "oci", "--registry-hostname", "h", "--profile", "p"], "--profile"),
    ],
)
def test_bad_registry_flags_are_one_line_and_exit_2(
    ecr_cache: Any, argv: list[str], named: str
) -> None:
    result = ecr_cache("ls", *argv)
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert named in result.err
    assert "\x1b" not in result.err


def test_policy_says_a_registry_has_none_and_set_points_to_prune(
    ecr_cache: Any, services: Services, prefix: str, web: dict[str, Any]
) -> None:
    shown = ecr_cache(*oci(services, prefix, "policy", "get", "acme/web"))
    assert shown.code == 0, shown.err
    assert "max age unknown: the registry has no lifecycle policies" in shown.out
    refused = ecr_cache(*oci(services, prefix, "policy", "set", "acme/web", "--max-age-days", "7"))
    assert refused.code == 2
    assert "no lifecycle policies" in refused.err and "ecr-cache prune" in refused.err
    assert web["push"].tags(web["repo"]) == ["latest", "v1", "v2"]


def test_the_login_of_a_credential_helper(
    ecr_cache: Any,
    services: Services,
    prefix: str,
    no_docker_login: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    push = Pusher(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    image = push.image(f"{prefix}acme/web", ["v1"], seed=prefix + "helper")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-fake"
    asked = tmp_path / "asked"
    answer = json.dumps({"Username": ECR_USER, "Secret": ECR_PASSWORD})
    helper.write_text(f"#!/bin/sh\ncat > {asked}\necho '{answer}'\n")
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    config = {"credHelpers": {services.auth_registry: "fake"}}
    (no_docker_login / "config.json").write_text(json.dumps(config))
    argv = oci(services, prefix, "ls", "acme/web", "--json", host=services.auth_registry)
    result = ecr_cache(*argv)
    assert result.code == 0, result.err
    assert [t["digest"] for t in result.json()["tags"]] == [image.digest]
    assert asked.read_text().strip() == services.auth_registry


@pytest.mark.parametrize(
    "argv",
    [
        ["tui", "--registry-provider", "oci"],
        ["tui", "--registry-provider", "oci", "--registry-hostname", "h", "--account-id", "1"],
        ["prune", "--max-age-days", "3", "--registry-provider", "oci"],
        ["diff", "a/b", "x", "y", "--registry-provider", "oci", "--registry-hostname", "-x"],
    ],
)
def test_bad_registry_flags_of_every_command_exit_2(ecr_cache: Any, argv: list[str]) -> None:
    result = ecr_cache(*argv)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
