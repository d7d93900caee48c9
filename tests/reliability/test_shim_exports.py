"""The shim refuses to export what a job relies on, whatever the export file says.

Defence in depth: ``export-env-variable`` already refuses these names (``test_inputs.py``), but
the shim reads a file a package of another version (or a bug) may have written, so it checks
them again; the real ``hooks/pre-command`` is sourced with a fake package (``test_shim.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hook.shimsource import make_work, records, source_hook

IMAGE = b"BUILDKITE_PLUGIN_DOCKER_IMAGE"
OWN = (
    (b"BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_IMAGE", b"reg/cache/a/b"),
    (b"BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG", b"0123"),
)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return make_work(tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        b"PATH",
        b"HOME",
        b"IFS",
        b"PS4",
        b"BASH_ENV",
        b"LD_PRELOAD",
        b"DYLD_LIBRARY_PATH",
        b"LC_ALL",
        b"BUILDKITE_AGENT_ACCESS_TOKEN",
        b"BUILDKITE_BUILD_PATH",
        b"BUILDKITE_HOOKS_PATH",
        b"BUILDKITE_PLUGINS_PATH",
        b"ECR_CACHE_PYTHON",
    ],
)
def test_a_protected_name_is_refused_and_nothing_is_exported(work: Path, name: bytes) -> None:
    result = source_hook(work, records((name, b"reg/cache/a/b:0123"), *OWN), want=["PATH"])

    assert result.rc == 2
    assert f"refusing to export {name.decode()}: the job relies on it" in result.stderr
    assert result.values["PATH"] != b"reg/cache/a/b:0123"
    assert "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG" not in result.state.get("vars", "")


def test_a_name_exported_twice_is_refused(work: Path) -> None:
    payload = records((b"BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG", b"x"), *OWN)

    result = source_hook(work, payload)

    assert result.rc == 2
    assert "exported twice" in result.stderr


def test_the_plugins_own_exports_still_work(work: Path) -> None:
    names = [IMAGE.decode(), *(n.decode() for n, _ in OWN)]
    result = source_hook(work, records((IMAGE, b"reg/cache/a/b:0123"), *OWN), want=names)

    assert result.rc == 0, result.stderr
    assert result.values == {
        "BUILDKITE_PLUGIN_DOCKER_IMAGE": b"reg/cache/a/b:0123",
        "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_IMAGE": b"reg/cache/a/b",
        "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG": b"0123",
    }


def test_the_shims_own_messages_are_one_line(work: Path) -> None:
    result = source_hook(work, None, env={"ECR_CACHE_PYTHON": "/nope\nsecond\x1b[31m"}, rc=5)

    assert result.rc == 5
    assert result.stderr.splitlines() == [
        "ecr-cache: ECR_CACHE_PYTHON=/nope\\nsecond\\x1b[31m is not an executable file",
        "^^^ +++",
    ]
