"""The configuration as every agent generation hands it over (see :mod:`tests.agentenv`).

v4 and v3.28+ set ``BUILDKITE_PLUGIN_CONFIGURATION``; v3.27 and earlier only
``BUILDKITE_PLUGINS`` and the flattened variables. Each must give the same configuration, the same
tag and the same refusals. ``ecr-cache checksum`` (in a subprocess) reads the same sources.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.cachekey.checksum import compute
from ecr_cache_tui.config import load, parse
from ecr_cache_tui.errors import ConfigError
from tests.agentenv import GENERATIONS, Generation, hook_environment

SLUGS = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}
REF = "github.com/buildkite-plugins/ecr-cache-tui-buildkite-plugin#v1.0.0"
DOCKER = {"github.com/buildkite-plugins/docker-buildkite-plugin#v5.12.0": {"image": "x"}}
CONFIG: dict[str, Any] = {
    "cache-on": [f"f{i}.json" for i in range(12)],
    "build-args": ["NODE_ENV", "REGISTRY=internal"],
    "target": "deps",
    "max-age-days": 7,
    "push-latest": False,
    "ecr-tags": {"team-name": "web", "Cost Centre": "42"},
}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM scratch\n")
    for i in range(12):
        (root / f"f{i}.json").write_text(str(i))
    return root


def job(generation: Generation, *plugins: dict[str, Any] | str, running: int = 0) -> dict[str, str]:
    return {**SLUGS, "NODE_ENV": "production", **hook_environment(generation, plugins, running)}


def tag(checkout: Path, env: dict[str, str], plugin_dir: Path | None = None) -> str:
    config = load(env, checkout, plugin_dir=plugin_dir)
    return compute(config, checkout, platform="linux/amd64").tag


@pytest.mark.parametrize("generation", GENERATIONS)
def test_every_generation_gives_the_configuration_as_written(
    checkout: Path, generation: Generation
) -> None:
    env = job(generation, {REF: CONFIG}, DOCKER)
    assert load(env, checkout) == parse(CONFIG, env, checkout)
    assert (
        tag(checkout, env)
        == compute(parse(CONFIG, env, checkout), checkout, platform="linux/amd64").tag
    )


def test_before_v3_28_the_options_come_from_buildkite_plugins(checkout: Path) -> None:
    env = job("v3.27", DOCKER, {REF: CONFIG}, running=1)
    assert "BUILDKITE_PLUGIN_CONFIGURATION" not in env and "BUILDKITE_PLUGIN_NAME" not in env
    config = load(env, checkout)
    # From the JSON, not the flattened variables: map keys keep their spelling.
    assert dict(config.ecr_tags) == CONFIG["ecr-tags"]
    assert (config.max_age_days, config.push_latest, config.target) == (7, False, "deps")


def test_the_flattened_variables_alone_give_the_same_tag_without_a_plugin_name(
    checkout: Path,
) -> None:
    env = job("v3.27", {REF: CONFIG})
    del env["BUILDKITE_PLUGINS"]
    assert tag(checkout, env) == tag(checkout, job("v4", {REF: CONFIG}))
    config = load(env, checkout)
    assert (config.max_age_days, config.push_latest) == (7, False)
    # What flattening cannot keep: a map key's spelling.
    assert dict(config.ecr_tags) == {"TEAM_NAME": "web", "COST_CENTRE": "42"}


def test_the_flattened_variables_under_plugin_yml_s_name_are_read_too(checkout: Path) -> None:
    env = job("v3.27", {"acme/ecr-cache#v1": {"target": "deps"}})
    del env["BUILDKITE_PLUGINS"]
    assert env == {**SLUGS, "NODE_ENV": "production", "BUILDKITE_PLUGIN_ECR_CACHE_TARGET": "deps"}
    assert load(env, checkout).target == "deps"


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize("plugins", [True, False], ids=["with-BUILDKITE_PLUGINS", "flattened"])
def test_a_misspelt_option_is_refused_by_every_generation(
    checkout: Path, generation: Generation, plugins: bool
) -> None:
    env = job(generation, {REF: {"cache-onn": ["f1.json"]}})
    if not plugins:
        del env["BUILDKITE_PLUGINS"]
    with pytest.raises(
        ConfigError, match=r'"cache-onn" is not an option .* did you mean "cache-on"'
    ):
        load(env, checkout)


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_misspelt_flattened_variable_beside_the_json_is_refused_too(
    checkout: Path, generation: Generation
) -> None:
    # No agent sets one the JSON lacks; a hand-made environment might, and it is not ignored.
    env = {**job(generation, {REF: CONFIG}), "BUILDKITE_PLUGIN_ECR_CACHE_TUI_CACHE_ONN_0": "x"}
    with pytest.raises(ConfigError, match=r'^"cache-onn" is not an option .* "cache-on"'):
        load(env, checkout)


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_type_error_is_reported_as_the_json_has_it(
    checkout: Path, generation: Generation
) -> None:
    # The flattened TARGET_A is the JSON's target, not a stray option "target-a".
    env = job(generation, {REF: {"target": {"a": "b"}}})
    expected = re.escape('target: {"a": "b"} is not valid: expected a string')
    with pytest.raises(ConfigError, match=f"^{expected}"):
        load(env, checkout)


def test_a_flattened_variable_that_is_no_option_is_refused(checkout: Path) -> None:
    env = {**SLUGS, "BUILDKITE_PLUGIN_ECR_CACHE_TUI_DOCKERFILE_INLNE": "FROM scratch"}
    with pytest.raises(ConfigError, match='did you mean "dockerfile-inline"'):
        load(env, checkout)


def test_a_fork_under_another_name_is_found_by_its_checkout_directory(
    checkout: Path, tmp_path: Path
) -> None:
    fork = "github.com/acme/my-cache-buildkite-plugin#v3"
    env = job("v3.27", {fork: {"target": "deps"}}, DOCKER)
    here = tmp_path / "plugins/agent-1/github-com-acme-my-cache-buildkite-plugin-v3"
    here.mkdir(parents=True)
    assert load(env, checkout, plugin_dir=here).target == "deps"
    # By name alone it is not this plugin (nor is the docker plugin): the defaults.
    assert load(env, checkout, plugin_dir=tmp_path).target is None


def test_a_vendored_plugin_is_found_in_the_checkout(checkout: Path) -> None:
    here = checkout / ".buildkite/plugins/cache"
    here.mkdir(parents=True)
    env = job("v3.27", {"./.buildkite/plugins/cache": {"target": "deps"}})
    assert load(env, checkout, plugin_dir=here).target == "deps"


def test_a_pipeline_written_for_the_reference_plugin_is_read_by_its_name(
    checkout: Path,
) -> None:
    # The drop-in case: the step still says docker-ecr-cache, and the hook is this plugin's.
    seek = "github.com/acme/docker-ecr-cache-buildkite-plugin#v2.2.0"
    env = job("v3.27", DOCKER, {seek: {"target": "deps"}}, running=1)
    assert load(env, checkout).target == "deps"
    del env["BUILDKITE_PLUGINS"]
    assert load(env, checkout).target == "deps"


def test_the_plugins_own_exports_are_not_options_under_the_reference_plugins_name(
    checkout: Path,
) -> None:
    env = {**SLUGS, "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG": "abc"}
    assert load(env, checkout) == parse({}, SLUGS, checkout)


def test_two_entries_of_this_plugin_before_v3_28_are_one_clear_error(checkout: Path) -> None:
    env = job("v3.27", {REF: {"target": "a"}}, DOCKER, {REF: {"target": "b"}})
    with pytest.raises(ConfigError) as caught:
        load(env, checkout)
    message = str(caught.value)
    assert caught.value.option == "BUILDKITE_PLUGINS"
    assert message.startswith("BUILDKITE_PLUGINS: this plugin is on the step 2 times")
    assert "\n" not in message and "v3.28" in message


def test_two_entries_are_told_apart_by_their_checkouts(checkout: Path, tmp_path: Path) -> None:
    old, new = REF, REF.replace("v1.0.0", "v1.1.0")
    env = job("v3.27", {old: {"target": "a"}}, {new: {"target": "b"}}, running=1)
    here = tmp_path / "github-com-buildkite-plugins-ecr-cache-tui-buildkite-plugin-v1-1-0"
    here.mkdir()
    assert load(env, checkout, plugin_dir=here).target == "b"


def test_from_v3_28_each_entry_s_hook_has_its_own_configuration(checkout: Path) -> None:
    plugins = ({REF: {"target": "a"}}, {REF: {"target": "b", "export-env-variable": "B"}})
    assert load(job("v4", *plugins, running=0), checkout).target == "a"
    assert load(job("v4", *plugins, running=1), checkout).target == "b"


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_null_option_is_refused_by_every_generation(
    checkout: Path, generation: Generation
) -> None:
    # The agent drops every plugin variable of a block with a null in it; BUILDKITE_PLUGINS stays.
    env = job(generation, {REF: {"target": None}})
    assert "BUILDKITE_PLUGIN_CONFIGURATION" not in env
    with pytest.raises(ConfigError, match=r"^target: null is not valid"):
        load(env, checkout)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[{", "BUILDKITE_PLUGINS: not valid JSON"),
        ("[" * 100_000, "BUILDKITE_PLUGINS: lists and maps nested more than 32 deep"),
        ('{"a": 1}', "BUILDKITE_PLUGINS: a JSON dict is not valid: expected a list of plugins"),
        (json.dumps([{REF: ["x"]}]), 'BUILDKITE_PLUGINS ("' + REF + '"): a JSON list is not'),
    ],
)
def test_a_malformed_buildkite_plugins_names_the_variable(
    checkout: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load({**SLUGS, "BUILDKITE_PLUGINS": text}, checkout)
    assert str(caught.value).startswith(expected)


def test_other_plugins_odd_entries_are_not_this_plugins_business(checkout: Path) -> None:
    odd = [7, {"docker#v5": ["not", "a", "hash"]}, {"./\0x": {}, "/\0y": {}, "http://[::1": {}}]
    text = json.dumps([*odd, "ecr-cache-tui#v1"])
    loaded = load({**SLUGS, "BUILDKITE_PLUGINS": text}, checkout, plugin_dir=checkout)
    assert loaded == parse({}, SLUGS, checkout)


# -- ecr-cache checksum reads the same sources -----------------------------------------------


def checksum(checkout: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecr_cache_tui", "checksum", "--platform", "linux/amd64"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), **env},
    )


def test_checksum_in_a_command_step_reads_buildkite_plugins(checkout: Path) -> None:
    # A command step sees BUILDKITE_PLUGINS only: the plugin variables are the hook's.
    env = {
        **SLUGS,
        "NODE_ENV": "production",
        "BUILDKITE_PLUGINS": job("v4", {REF: CONFIG})["BUILDKITE_PLUGINS"],
    }
    done = checksum(checkout, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == tag(checkout, job("v4", {REF: CONFIG}))


def test_checksum_refuses_a_misspelt_option_in_buildkite_plugins(checkout: Path) -> None:
    env = {**SLUGS, "BUILDKITE_PLUGINS": json.dumps([{REF: {"targt": "deps"}}])}
    done = checksum(checkout, env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'ecr-cache: "targt" is not an option of this plugin: did you mean "target"?'
    ]
