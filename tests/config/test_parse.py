"""Plugin configuration: defaults resolved once, every source read, every option validated.

Bad input through the real command line (exit 2, one line) is pinned in
``tests/commands/test_checksum.py``; here the model's values and the sources are pinned.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.config import OPTIONS, BuildArg, PluginConfig, load, load_from, parse
from ecr_cache_tui.config.sources import find_plugin_blocks, from_env, read_config_file
from ecr_cache_tui.errors import ConfigError

SLUGS = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}


def _parse(checkout: Path, raw: dict[str, Any], **env: str) -> PluginConfig:
    return parse(raw, {**SLUGS, **env}, checkout)


def test_an_empty_configuration_resolves_every_default(checkout: Path) -> None:
    config = _parse(checkout, {})
    assert config == PluginConfig(
        dockerfile="Dockerfile",
        context=".",
        ecr_name="build-cache/acme/web",
        region="eu-west-1",
        max_age_days=30,
        max_age_days_explicit=False,
    )


def test_the_model_has_a_field_for_every_option() -> None:
    fields = set(PluginConfig._fields)
    assert {o.replace("-", "_") for o in OPTIONS} <= fields


def test_the_context_defaults_to_the_dockerfiles_directory(checkout: Path) -> None:
    assert _parse(checkout, {"dockerfile": "docker/ci.Dockerfile"}).context == "docker"
    assert _parse(checkout, {"dockerfile": "./Dockerfile"}).dockerfile == "Dockerfile"
    inline = _parse(checkout, {"dockerfile-inline": "FROM scratch"})
    assert (inline.dockerfile, inline.context) == (None, ".")
    assert _parse(checkout, {"context": "./docker/"}).context == "docker"


def test_every_option_is_carried_into_the_model(checkout: Path) -> None:
    config = _parse(
        checkout,
        {
            "target": "deps",
            "build-args": ["NODE_ENV", "REGISTRY=internal"],
            "additional-build-args": "--label 'a b' --network=host",
            "secrets": ["NPM_TOKEN", "id=npmrc,src=./.npmrc"],
            "cache-on": "package-lock.json",
            "ecr-name": "caches/web",
            "ecr-tags": {"Team": "Web Platform", "cost:centre": "42"},
            "max-age-days": 14,
            "export-env-variable": "IMAGE",
            "region": "ap-southeast-2",
            "skip-pull-from-cache": True,
            "registry-hostname": "127.0.0.1:5000",
            "registry-provider": "oci",
            "platform": "linux/arm64/v8",
            "account-id": "123456789012",
            "cache-from": False,
            "unhashed-build-args": "TOKEN",
            "force-rebuild": True,
            "push-latest": False,
        },
        NODE_ENV="production",
        TOKEN="s3cret",
    )
    assert config.target == "deps"
    assert config.build_args == (
        BuildArg("NODE_ENV", "production", from_env=True),
        BuildArg("REGISTRY", "internal"),
    )
    assert config.additional_build_args == ("--label", "a b", "--network=host")
    assert config.additional_build_args_raw == "--label 'a b' --network=host"
    assert [s.spec for s in config.secrets] == [
        "id=NPM_TOKEN,env=NPM_TOKEN",
        f"id=npmrc,src={checkout.resolve()}/.npmrc",  # the real path: any cwd builds it
    ]
    assert [s.id for s in config.secrets] == ["NPM_TOKEN", "npmrc"]
    assert config.cache_on == ("package-lock.json",)
    assert config.ecr_name == "caches/web"
    assert dict(config.ecr_tags) == {"Team": "Web Platform", "cost:centre": "42"}
    assert (config.max_age_days, config.max_age_days_explicit) == (14, True)
    assert config.export_env_variable == "IMAGE"
    assert config.region == "ap-southeast-2"
    assert config.skip_pull_from_cache is True
    assert (config.registry_provider, config.registry_hostname) == ("oci", "127.0.0.1:5000")
    assert config.platform == "linux/arm64/v8"
    assert config.account_id == "123456789012"
    assert (config.cache_from, config.push_latest, config.force_rebuild) == (False, False, True)
    assert config.unhashed_build_args == (BuildArg("TOKEN", "s3cret", from_env=True),)


def test_an_unset_build_arg_reads_empty_and_is_flagged(checkout: Path) -> None:
    (arg,) = _parse(checkout, {"build-args": "MISSING"}).build_args
    assert arg == BuildArg("MISSING", "", from_env=True, unset=True)


def test_a_build_arg_from_the_environment_keeps_its_value_out_of_repr(checkout: Path) -> None:
    config = _parse(checkout, {"build-args": ["TOKEN"]}, TOKEN="s3cret-value")
    assert "s3cret-value" not in repr(config)


@pytest.mark.parametrize(
    ("option", "env", "profile", "expected"),
    [
        ("us-east-1", {"AWS_REGION": "eu-central-1"}, "ap-south-1", "us-east-1"),
        (None, {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "x"}, None, "eu-central-1"),
        (None, {"AWS_DEFAULT_REGION": "us-west-2"}, "ap-south-1", "us-west-2"),
        (None, {}, "ap-south-1", "ap-south-1"),
        (None, {}, None, "eu-west-1"),
    ],
)
def test_the_region_comes_from_option_then_environment_then_profile_then_default(
    checkout: Path, option: str | None, env: dict[str, str], profile: str | None, expected: str
) -> None:
    asked: list[bool] = []

    def profile_region() -> str | None:
        asked.append(True)
        return profile

    raw = {"region": option} if option else {}
    config = parse(raw, {**SLUGS, **env}, checkout, profile_region=profile_region)
    assert config.region == expected
    # The profile is only asked when nothing before it answered.
    assert bool(asked) == (option is None and not env)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("TRUE", True), ("false", False)])
def test_force_rebuild_is_also_switched_on_by_the_environment(
    checkout: Path, value: str, expected: bool
) -> None:
    assert _parse(checkout, {}, ECR_CACHE_FORCE_REBUILD=value).force_rebuild is expected


def test_max_age_days_accepts_a_whole_float_as_json_schema_does(checkout: Path) -> None:
    assert _parse(checkout, {"max-age-days": 7.0}).max_age_days == 7


def test_missing_slugs_fail_unless_the_repository_is_not_needed(checkout: Path) -> None:
    with pytest.raises(ConfigError, match="BUILDKITE_PIPELINE_SLUG") as caught:
        parse({}, {"BUILDKITE_ORGANIZATION_SLUG": "acme"}, checkout)
    assert caught.value.option == "ecr-name"
    assert parse({}, {}, checkout, repository_required=False).ecr_name == ""
    assert parse({"ecr-name": "x/y"}, {}, checkout).ecr_name == "x/y"


def test_a_pipeline_given_names_the_default_repository_instead_of_the_slugs(
    checkout: Path,
) -> None:
    # ``rebuild --here acme/web`` outside a job: no slugs in the environment, none forged.
    assert parse({}, {}, checkout, pipeline=("acme", "web")).ecr_name == "build-cache/acme/web"
    assert parse({}, SLUGS, checkout, pipeline=("o", "p")).ecr_name == "build-cache/o/p"
    assert parse({"ecr-name": "x/y"}, {}, checkout, pipeline=("o", "p")).ecr_name == "x/y"
    with pytest.raises(ConfigError, match="default from the organization"):
        parse({}, {}, checkout, pipeline=("acme", "web--app"))


def test_load_from_parses_what_it_is_given_else_reads_the_job(checkout: Path) -> None:
    env = {**SLUGS, "BUILDKITE_PLUGIN_CONFIGURATION": json.dumps({"target": "from-job"})}
    assert load_from(None, env, checkout).target == "from-job"
    assert load_from({"target": "given"}, env, checkout).target == "given"


def test_a_default_repository_name_ecr_would_reject_is_an_error(checkout: Path) -> None:
    env = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web--app"}
    with pytest.raises(ConfigError, match="default from the organization"):
        parse({}, env, checkout)


# -- sources ---------------------------------------------------------------------------------


def test_load_reads_buildkite_plugin_configuration(checkout: Path) -> None:
    env = {
        **SLUGS,
        "BUILDKITE_PLUGIN_CONFIGURATION": json.dumps(
            {"cache-on": ["**/package.json"], "max-age-days": 3}
        ),
        # The flattened form is ignored when the JSON is there.
        "BUILDKITE_PLUGIN_NAME": "ECR_CACHE",
        "BUILDKITE_PLUGIN_ECR_CACHE_TARGET": "ignored",
    }
    config = load(env, checkout)
    assert (config.cache_on, config.max_age_days, config.target) == (("**/package.json",), 3, None)


def test_load_reads_the_flattened_variables_in_numeric_list_order(checkout: Path) -> None:
    env = {**SLUGS, "BUILDKITE_PLUGIN_NAME": "ECR_CACHE"}
    prefix = "BUILDKITE_PLUGIN_ECR_CACHE_"
    for i in range(12):
        env[f"{prefix}CACHE_ON_{i}"] = f"f{i}.json"
    env.update(
        {
            f"{prefix}DOCKERFILE_INLINE": "FROM scratch",
            f"{prefix}BUILD_ARGS": "A=1",
            f"{prefix}UNHASHED_BUILD_ARGS_0": "B=2",
            f"{prefix}MAX_AGE_DAYS": "14",
            f"{prefix}PUSH_LATEST": "false",
            f"{prefix}CACHE_FROM": "true",
            f"{prefix}ECR_TAGS_TEAM": "web",
            f"{prefix}EXPORT_ENV_VARIABLE": "IMAGE",
            # What the plugin exports under the reference's prefix is not configuration.
            f"{prefix}EXPORT_IMAGE": "x",
        }
    )
    config = load(env, checkout)
    assert config.cache_on == tuple(f"f{i}.json" for i in range(12))
    assert config.dockerfile_inline == "FROM scratch"
    assert config.dockerfile is None
    assert config.build_args == (BuildArg("A", "1"),)
    assert config.unhashed_build_args == (BuildArg("B", "2"),)
    assert (config.max_age_days, config.max_age_days_explicit) == (14, True)
    assert (config.push_latest, config.cache_from) == (False, True)
    assert dict(config.ecr_tags) == {"TEAM": "web"}
    assert config.export_env_variable == "IMAGE"


def test_an_unknown_flattened_variable_suggests_the_closest_option(checkout: Path) -> None:
    env = {
        **SLUGS,
        "BUILDKITE_PLUGIN_NAME": "ECR_CACHE",
        "BUILDKITE_PLUGIN_ECR_CACHE_CACHE_ONN": "x",
    }
    with pytest.raises(ConfigError, match='did you mean "cache-on"'):
        load(env, checkout)


def test_no_configuration_at_all_is_the_defaults(checkout: Path) -> None:
    assert load(SLUGS, checkout) == _parse(checkout, {})
    assert load({**SLUGS, "BUILDKITE_PLUGIN_CONFIGURATION": "null"}, checkout) == _parse(
        checkout, {}
    )


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"cache-on"'])
def test_a_bad_buildkite_plugin_configuration_names_the_variable(text: str) -> None:
    with pytest.raises(ConfigError, match="BUILDKITE_PLUGIN_CONFIGURATION"):
        from_env({"BUILDKITE_PLUGIN_CONFIGURATION": text})


PIPELINE = """
steps:
  - label: lint
    command: make lint
  - group: tests
    steps:
      - command: npm test
        plugins:
          - docker-login#v2.0.0: {username: ci}
          - acme/ecr-cache#v1.0.0:
              cache-on: ['**/package.json', package-lock.json]
              target: deps
          - docker#v5.12.0: {volumes: [/workdir/node_modules]}
"""


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("opts.json", '{"target": "deps", "cache-on": "a"}'),
        ("opts.yml", "target: deps\ncache-on: a\n"),
        ("block.yml", "seek-oss/docker-ecr-cache#v2.2.0:\n  target: deps\n  cache-on: a\n"),
    ],
)
def test_a_config_file_may_hold_options_or_one_plugin_block(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert read_config_file(path) == {"target": "deps", "cache-on": "a"}


def test_a_pipeline_file_yields_its_one_plugin_block(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(PIPELINE)
    assert read_config_file(path) == {
        "cache-on": ["**/package.json", "package-lock.json"],
        "target": "deps",
    }


def test_a_pipeline_with_two_plugin_blocks_is_ambiguous(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(PIPELINE + "  - plugins: [ecr-cache#v1.0.0]\n")
    with pytest.raises(ConfigError, match="2 ecr-cache plugin blocks"):
        read_config_file(path)


def test_plugin_blocks_are_found_by_reference_name() -> None:
    document = {
        "steps": [
            {"plugins": ["ecr-cache#v1", {"docker#v5": {}}, {"x/docker-ecr-cache#v2": {"a": 1}}]},
            {"plugins": {"./plugins/ecr-cache-buildkite-plugin": None, "ecr#v2": {}}},
        ]
    }
    assert find_plugin_blocks(document) == [{}, {"a": 1}, {}]


@pytest.mark.parametrize(
    "call", [lambda p: read_config_file(p / "missing.yml"), lambda p: _bad_yaml(p)]
)
def test_an_unreadable_config_file_is_a_config_error(
    tmp_path: Path, call: Callable[[Path], object]
) -> None:
    with pytest.raises(ConfigError, match="--config-file"):
        call(tmp_path)


def _bad_yaml(tmp_path: Path) -> object:
    path = tmp_path / "bad.yml"
    path.write_text("cache-on: [unclosed\n")
    return read_config_file(path)


@pytest.mark.parametrize(
    "words",
    [
        "--file /etc/passwd",
        "-f ../Dockerfile",
        "-fDockerfile.other",
        "--file=x",
        "-t other:latest",
        "--tag=other:latest",
        "--target prod",
        "--platform linux/arm64",
        "--output type=local,dest=/tmp/x",
        "-o out",
        "--push",
        "--label dev.ecr-cache-tui.inputs={}",
        "--label=dev.ecr-cache-tui.inputs={}",
    ],
)
def test_additional_build_args_cannot_override_what_the_plugin_sets(
    checkout: Path, words: str
) -> None:
    # Appended after the plugin's own flags, these would win: another (unhashed, perhaps
    # outside the checkout) Dockerfile, another tag or stage, or a forged inputs label.
    with pytest.raises(ConfigError) as caught:
        _parse(checkout, {"additional-build-args": f"--network=host {words}"})
    assert caught.value.option == "additional-build-args"
    assert "is set by the plugin" in str(caught.value) and "\n" not in str(caught.value)


def test_additional_build_args_keep_every_other_flag(checkout: Path) -> None:
    raw = "--network=host --label team=web --ssh default -m 1g --build-arg A=1 --no-cache"
    config = _parse(checkout, {"additional-build-args": raw})
    assert config.additional_build_args[-2:] == ("A=1", "--no-cache")


@pytest.mark.parametrize(
    ("words", "stray"),
    [
        (".", "."),
        ("--network=host extra", "extra"),
        ("--no-cache ./other", "./other"),
        ("-", "-"),
        ("--label a=b c", "c"),
        ("-q context", "context"),
    ],
)
def test_additional_build_args_refuse_a_word_that_is_no_flag_nor_its_value(
    checkout: Path, words: str, stray: str
) -> None:
    # docker build would take it as a second context: a failed build after the repository was
    # made, or a build from stdin. Refused before anything happens.
    with pytest.raises(ConfigError) as caught:
        _parse(checkout, {"additional-build-args": words})
    assert caught.value.option == "additional-build-args"
    assert f'"{stray}" is not a flag' in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "words",
    [
        "--label a=b --network host --ssh default -m1g --shm-size 1g",
        "--no-cache --pull --build-arg A=1 -q",
        "--secret id=x,env=X --cache-to type=inline",
    ],
)
def test_flags_and_their_values_are_kept(checkout: Path, words: str) -> None:
    assert _parse(checkout, {"additional-build-args": words}).additional_build_args == tuple(
        words.split()
    )


def test_base_image_digests_are_off_and_checked_hourly_by_default(checkout: Path) -> None:
    config = _parse(checkout, {})
    assert (config.base_image_digests, config.base_image_check_minutes) == (False, 60)
    config = _parse(checkout, {"base-image-digests": True, "base-image-check-minutes": 0})
    assert (config.base_image_digests, config.base_image_check_minutes) == (True, 0)


@pytest.mark.parametrize("value", [-1, 10081, 1.5, "60", True, None, [60]])
def test_a_bad_base_image_check_minutes_names_option_value_and_range(
    checkout: Path, value: object
) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(checkout, {"base-image-check-minutes": value})
    message = str(caught.value)
    assert message.startswith("base-image-check-minutes: ")
    assert "whole number of minutes from 0 to 10080" in message
    assert "\n" not in message
