"""The build's Dockerfile as the hook reads it: base images to resolve, and whether a legacy
build's ``--cache-from`` pull could be of any use."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr_cache_tui.config import BuildArg, PluginConfig
from ecr_cache_tui.hook.baseimages import external_references
from ecr_cache_tui.hook.dockerfile import cache_from_skipped, read_build

MULTI = """\
ARG NODE=20
FROM node:${NODE} AS deps
RUN npm ci
FROM deps AS test
RUN npm test
FROM alpine:3 AS tools
FROM scratch AS final
COPY --from=deps /app /app
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(MULTI)
    return tmp_path


def test_base_images_are_the_external_froms_of_the_stages_built(checkout: Path) -> None:
    assert external_references(PluginConfig(), checkout, platform="linux/amd64") == ("node:20",)
    config = PluginConfig(build_args=(BuildArg("NODE", "22"),), target="tools")
    assert external_references(config, checkout, platform="linux/amd64") == ("alpine:3",)
    unhashed = PluginConfig(unhashed_build_args=(BuildArg("NODE", "18", from_env=True),))
    assert external_references(unhashed, checkout, platform="linux/amd64") == ("node:18",)


def test_an_inline_dockerfile_is_read_from_the_configuration(tmp_path: Path) -> None:
    config = PluginConfig(dockerfile=None, dockerfile_inline="FROM ghcr.io/o/a:1\n")
    assert external_references(config, tmp_path, platform="linux/amd64") == ("ghcr.io/o/a:1",)


def test_an_unreadable_dockerfile_has_no_base_images(tmp_path: Path) -> None:
    assert external_references(PluginConfig(), tmp_path, platform="linux/amd64") == ()


def test_the_legacy_builder_skips_the_pull_for_a_multi_stage_build(checkout: Path) -> None:
    reading = read_build(PluginConfig(), checkout, platform="linux/amd64")
    why = cache_from_skipped(reading, buildkit=False)
    assert why is not None and "2 stages" in why and "\n" not in why
    assert cache_from_skipped(reading, buildkit=True) is None


def test_a_single_stage_build_pulls_even_in_a_multi_stage_file(checkout: Path) -> None:
    one = read_build(PluginConfig(target="tools"), checkout, platform="linux/amd64")
    assert cache_from_skipped(one, buildkit=False) is None
    assert cache_from_skipped(None, buildkit=False) is None
