"""``ecr-cache checksum --explain`` as a user runs it, against moto and the htpasswd registry.

Cached tags are images pushed to the registry with the inputs label of a real
:func:`~ecr_cache_tui.cachekey.checksum.compute` and recorded in moto (``put_image``), as ECR
would have them (:class:`tests.labelled_push.Pusher`, the ``pusher`` fixture).
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ecr_cache_tui.cachekey.checksum import compute
from ecr_cache_tui.cachekey.inputs import LABEL, InputEntry, Manifest
from ecr_cache_tui.config import parse
from tests.cli import run_ecr_cache
from tests.hook.hookrun import Agent
from tests.labelled_push import Pusher
from tests.services import Services

if TYPE_CHECKING:
    pass

PLATFORM = "linux/amd64"


def write(checkout: Path, package: int, lock: int) -> None:
    checkout.mkdir(exist_ok=True)
    (checkout / "Dockerfile").write_text("FROM scratch\nCOPY . /app\n")
    (checkout / "package.json").write_text(json.dumps({"v": package}))
    (checkout / "lock.json").write_text(json.dumps({"v": lock}))


def options(services: Services, repository: str) -> dict[str, Any]:
    return {
        "cache-on": ["package.json", "lock.json"],
        "ecr-name": repository,
        "registry-hostname": services.auth_registry,
        "platform": PLATFORM,
    }


def manifest_of(checkout: Path, raw: dict[str, Any]) -> Manifest:
    return compute(parse(raw, {}, checkout), checkout, platform=PLATFORM).manifest


def explain(
    services: Services, checkout: Path, raw: dict[str, Any], *flags: str
) -> subprocess.CompletedProcess[str]:
    env = {**services.env(moto=True), "BUILDKITE_PLUGIN_CONFIGURATION": json.dumps(raw)}
    return run_ecr_cache("checksum", "--explain", *flags, env=env, cwd=checkout)


@pytest.fixture
def repository(unique_repo: Any) -> str:
    return str(unique_repo("build-cache/acme"))


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout at its first inputs (``write(checkout, 1, 1)``)."""
    path = tmp_path / "checkout"
    write(path, 1, 1)
    return path


@pytest.fixture
def raw(services: Services, repository: str) -> dict[str, Any]:
    return options(services, repository)


def test_the_nearest_cached_tag_is_the_one_with_fewest_differing_inputs(
    services: Services, pusher: Pusher, repository: str, checkout: Path, raw: dict[str, Any]
) -> None:
    older = manifest_of(checkout, raw)
    pusher.push(repository, older.tag, {LABEL: older.to_label()})
    write(checkout, 2, 2)
    newer = manifest_of(checkout, raw)
    pusher.push(repository, newer.tag, {LABEL: newer.to_label()})
    write(checkout, 1, 3)  # one input off the older tag, two off the newer
    now = manifest_of(checkout, raw)

    done = explain(services, checkout, raw)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == now.tag
    (head,) = [line for line in lines if line.startswith("nearest cached tag:")]
    assert head.startswith(f"nearest cached tag: {older.tag} (pushed ")
    assert head.endswith(": 1 input differs (cached -> this checkout)")
    (row,) = [line for line in lines if "lock.json" in line and "~" in line]
    old = next(e for e in older.entries if e.name == "lock.json").digest[:12]
    new = next(e for e in now.entries if e.name == "lock.json").digest[:12]
    assert row.index(old) < row.index(new), "old -> new"

    as_json = explain(services, checkout, raw, "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["tag"] == now.tag
    assert data["nearest"]["tag"] == older.tag
    (change,) = data["nearest"]["changes"]
    assert (change["status"], change["name"]) == ("changed", "lock.json")
    assert change["cached"]["digest"] != change["now"]["digest"]


def test_label_strings_are_escaped_before_the_terminal(
    services: Services, pusher: Pusher, repository: str, checkout: Path, raw: dict[str, Any]
) -> None:
    now = manifest_of(checkout, raw)
    hostile = Manifest(
        "f" * 32,
        (*now.entries[:-1], InputEntry("cache-on", "lock.json\x1b]0;owned\x07\u202e", "9" * 32)),
    )
    pusher.push(repository, "hostile", {LABEL: hostile.to_label()})
    done = explain(services, checkout, raw)
    assert done.returncode == 0, done.stderr
    assert "nearest cached tag: hostile" in done.stdout
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\u202e" not in done.stdout
    assert "\\x1b]0;owned\\x07\\u202e" in done.stdout


def test_without_registry_access_the_rest_is_printed_and_the_reason_is_one_line(
    services: Services, checkout: Path
) -> None:
    raw = {"cache-on": ["package.json"], "ecr-name": "build-cache/acme/none", "platform": PLATFORM}
    raw["registry-hostname"] = "127.0.0.1:9"
    done = explain(services, checkout, raw)
    assert done.returncode == 0, done.stderr
    (head,) = [line for line in done.stdout.splitlines() if line.startswith("nearest cached tag:")]
    assert head.startswith("nearest cached tag: none (")
    assert "Traceback" not in done.stderr


def test_on_an_oci_registry_the_nearest_is_found_among_what_the_hook_pushed(
    services: Services, moto_reset: None, tmp_path: Path, checkout: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    agent = Agent(services=services, home=home, transcript=[])
    raw = {
        "cache-on": ["package.json", "lock.json"],
        "registry-provider": "oci",
        "registry-hostname": services.registry,
        "ecr-name": f"explain/{secrets.token_hex(4)}",
        "platform": PLATFORM,
    }
    built = agent.run(checkout, raw, "explain")
    assert built.rc == 0, built.output
    write(checkout, 1, 2)

    done = explain(services, checkout, raw)
    assert done.returncode == 0, done.stderr
    (head,) = [line for line in done.stdout.splitlines() if line.startswith("nearest cached")]
    assert head.startswith(f"nearest cached tag: {built.tag} ")
    assert head.endswith(": 1 input differs (cached -> this checkout)")
