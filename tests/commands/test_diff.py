"""``ecr-cache diff``: two tags' inputs manifests read from the real registry, side by side.

The registry is the htpasswd one holding moto's ECR token, so the label is read with the real
ECR login flow (``get_authorization_token`` → Basic ``AWS:<token>``). moto does not know what was
pushed there: each pushed manifest is recorded in moto with ``put_image``, as ECR would have it.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from ecr_cache_tui.cachekey.inputs import LABEL, FileDigest, InputEntry, Manifest
from tests.cli import run_ecr_cache
from tests.labelled_push import Pusher
from tests.moto_harness import MotoEcr

if TYPE_CHECKING:
    from tests.services import Services

WEB = "build-cache/acme/web"


def inputs(tag: str, lock: str, node_env: str | None, python: str = "3.11") -> Manifest:
    entries = [
        InputEntry("dockerfile", "Dockerfile", "d" * 32),
        InputEntry("build-arg", "PYTHON_VERSION", python.replace(".", "") * 16, value=python),
        InputEntry(
            "cache-on", "**/package.json", "p" * 32, files=(FileDigest("package.json", "p1"),)
        ),
        InputEntry(
            "cache-on",
            "package-lock.json",
            lock * 32,
            files=(FileDigest("package-lock.json", lock),),
            note="1 file",
        ),
    ]
    if node_env is not None:
        entries.insert(1, InputEntry("build-arg", "NODE_ENV", node_env * 32))
    return Manifest(tag=tag, entries=tuple(entries))


def ecr_cache(
    services: Services, *argv: str, registry: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``ecr-cache ARGV`` against moto and (unless told another) the htpasswd registry."""
    hostname = registry or services.auth_registry
    return run_ecr_cache(*argv, "--registry-hostname", hostname, env=services.env(moto=True))


@pytest.fixture
def two_builds(pusher: Pusher, busybox_image: str, unique_repo: Any) -> str:
    repository = unique_repo("build-cache/acme")
    pusher.push(repository, "aaaa1111", {LABEL: inputs("aaaa1111", "1", None).to_label()})
    pusher.push(
        repository, "bbbb2222", {LABEL: inputs("bbbb2222", "2", "p", python="3.12").to_label()}
    )
    pusher.push(repository, "plain", {"x": "y"})
    return repository


def test_diff_shows_both_manifests_with_changes_marked(services: Services, two_builds: str) -> None:
    result = ecr_cache(services, "diff", two_builds, "aaaa1111", "bbbb2222")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{two_builds}: aaaa1111 -> bbbb2222"
    assert lines[1].split() == ["KIND", "INPUT", "aaaa1111", "bbbb2222"]
    assert len(lines) == 8  # header, five inputs, summary: a lone file is not listed again
    rows = {line[2:].split()[1]: line for line in lines[2:-1]}
    assert rows["Dockerfile"].startswith(" ") and rows["Dockerfile"].count("d" * 12) == 2
    assert rows["NODE_ENV"].startswith("+")
    assert rows["package-lock.json"].startswith("~")
    assert rows["**/package.json"].startswith(" ")
    assert lines[-1] == (
        "build arg NODE_ENV added; build arg PYTHON_VERSION changed; package-lock.json changed"
    )


def test_diff_shows_what_each_input_was_old_and_new(services: Services, two_builds: str) -> None:
    result = ecr_cache(services, "diff", two_builds, "aaaa1111", "bbbb2222", "--changed")

    assert result.returncode == 0, result.stderr
    header, *rows, _summary = result.stdout.splitlines()[1:]
    old_at, new_at = header.index("aaaa1111"), header.index("bbbb2222")
    cells = {row[2:].split()[1]: (row[old_at:new_at].strip(), row[new_at:]) for row in rows}
    assert cells == {
        "PYTHON_VERSION": ("3.11", "3.12"),  # a literal build arg: its value
        "NODE_ENV": ("-", "p" * 12),  # only in the new tag
        "package-lock.json": ("1" * 12 + " · 1 file", "2" * 12 + " · 1 file"),
    }


def test_diff_json(services: Services, two_builds: str) -> None:
    result = ecr_cache(services, "diff", two_builds, "aaaa1111", "bbbb2222", "--json")

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["repository", "a", "b", "summary", "changes"]
    assert [(c["status"], c["name"]) for c in data["changes"]] == [
        ("same", "Dockerfile"),
        ("added", "NODE_ENV"),
        ("changed", "PYTHON_VERSION"),
        ("same", "**/package.json"),
        ("changed", "package-lock.json"),
    ]
    lock = data["changes"][4]
    assert (lock["a_digest"], lock["b_digest"]) == ("1" * 32, "2" * 32)
    assert lock["changed_files"] == ["package-lock.json"]
    assert (lock["a_note"], lock["b_note"]) == ("1 file", "1 file")
    python = data["changes"][2]
    assert (python["a_value"], python["b_value"]) == ("3.11", "3.12")
    assert data["changes"][1]["a_value"] is None and data["changes"][1]["a_note"] is None
    # The fields of earlier versions stay first, unchanged: scripts reading them keep working.
    assert all(
        list(c)[:6] == ["status", "kind", "name", "a_digest", "b_digest", "changed_files"]
        for c in data["changes"]
    )


def test_diff_with_a_tag_missing_is_exit_3(services: Services, two_builds: str) -> None:
    result = ecr_cache(services, "diff", two_builds, "aaaa1111", "nope")

    assert result.returncode == 3
    assert "nope" in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_diff_with_an_image_without_manifest_is_exit_3(services: Services, two_builds: str) -> None:
    result = ecr_cache(services, "diff", two_builds, "aaaa1111", "plain")

    assert result.returncode == 3
    assert "no inputs manifest" in result.stderr


def test_diff_with_a_wrong_registry_login_is_exit_3(services: Services, two_builds: str) -> None:
    # The plain registry holds nothing: ECR says the tag exists, the registry does not.
    result = ecr_cache(
        services, "diff", two_builds, "aaaa1111", "bbbb2222", registry=services.registry
    )
    assert result.returncode == 3 and result.stderr.count("\n") == 1


# -- without the registry (moto in-process) ------------------------------------------------


def test_diff_of_a_missing_pipeline_is_exit_3(moto_ecr: MotoEcr, ecr_cache_cli: Any) -> None:
    result = ecr_cache_cli("diff", "acme/nope", "a", "b")
    assert result.code == 3 and "acme/nope" in result.err


def test_diff_of_a_missing_tag_asks_no_registry(moto_ecr: MotoEcr, ecr_cache_cli: Any) -> None:
    moto_ecr.push(WEB, "aaaa", "a")

    result = ecr_cache_cli("diff", "acme/web", "aaaa", "zzzz", "--registry-hostname", "127.0.0.1:9")

    assert result.code == 3 and "zzzz" in result.err


def test_diff_needs_two_tags(ecr_cache_cli: Any) -> None:
    result = ecr_cache_cli("diff", "acme/web", "aaaa")
    assert result.code == 2 and "TAG_B" in result.err
