"""Hostile input, case by case: each either works or is one line naming the option (exit 2).

The cases are the ones issue 12's probe found (deep JSON, long paths, surrogates, NUL bytes,
control characters in messages, ``export-env-variable: PATH``, symlinks out of the checkout),
through every source the plugin reads: ``--config``, ``--config-file``,
``BUILDKITE_PLUGIN_CONFIGURATION`` and the flattened variables. The generated counterparts are
in ``test_properties.py``; the same refusals through the real hook, with zero AWS calls, in
``test_shim_inputs.py``.
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
from ecr_cache_tui.config import load, parse, protected, variables
from ecr_cache_tui.config.sources import from_cli, read_config_file
from ecr_cache_tui.errors import ConfigError, one_line

REPO = Path(__file__).resolve().parents[2]
ENV = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}
PRINTABLE_LINE = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]*")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "docker").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM scratch\n")
    (root / "docker" / "Dockerfile").write_text("FROM scratch\n")
    (root / "package.json").write_text("{}\n")
    return root


def refused(raw: Any, checkout: Path, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(raw, {**ENV, **(env or {})}, checkout)
    return info.value


def assert_one_line(error: ConfigError, option: str) -> str:
    text = str(error)
    assert PRINTABLE_LINE.fullmatch(text), text
    assert text.startswith(option), text
    return text


def deep(levels: int) -> str:
    return '{"cache-on": ' + "[" * levels + "]" * levels + "}"


# -- size and depth ------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [40, 5000, 100_000])
def test_deep_json_in_the_environment_is_one_line(checkout: Path, levels: int) -> None:
    with pytest.raises(ConfigError) as info:
        load({**ENV, "BUILDKITE_PLUGIN_CONFIGURATION": deep(levels)}, checkout)
    assert "nested more than 32 deep" in assert_one_line(
        info.value, "BUILDKITE_PLUGIN_CONFIGURATION"
    )


def test_deep_json_on_the_command_line_is_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        from_cli(deep(5000), None)
    assert "nested more than" in assert_one_line(info.value, "--config")


@pytest.mark.parametrize("suffix", [".json", ".yml"])
def test_deep_config_files_are_one_line(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"config{suffix}"
    path.write_text(deep(5000))
    with pytest.raises(ConfigError) as info:
        read_config_file(path)
    assert_one_line(info.value, "--config-file")


def test_a_yaml_bomb_of_aliases_is_refused_without_walking_it(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    lines.append("cache-on: *a8")
    path = tmp_path / "bomb.yml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as info:
        read_config_file(path)
    assert "more than 100000 values" in assert_one_line(info.value, "--config-file")


def test_configuration_text_over_a_mebibyte_is_refused(checkout: Path) -> None:
    text = json.dumps({"dockerfile-inline": "FROM scratch\n" + "#" * (1 << 20)})
    with pytest.raises(ConfigError) as info:
        load({**ENV, "BUILDKITE_PLUGIN_CONFIGURATION": text}, checkout)
    assert "expected at most 1048576" in assert_one_line(info.value, "BUILDKITE_PLUGIN")


HUGE = "1" * 5000  # more digits than CPython converts (4,300): json.loads raised ValueError
NUMBERS = {
    "max-age-days": '{"max-age-days": %s}',
    "an ecr-tags value": '{"ecr-tags": {"team": %s}}',
    "a list item": '{"cache-on": ["package.json", %s]}',
    "an unknown key's value": '{"cache-on": "package.json", "zz": {"a": [%s]}}',
}


@pytest.mark.parametrize("number", [HUGE, "-" + HUGE, "1e400", "NaN", "-Infinity"])
@pytest.mark.parametrize("where", list(NUMBERS))
@pytest.mark.parametrize("source", ["BUILDKITE_PLUGIN_CONFIGURATION", "BUILDKITE_PLUGINS"])
def test_a_number_json_cannot_hold_is_one_line_anywhere_in_the_configuration(
    checkout: Path, number: str, where: str, source: str
) -> None:
    text = NUMBERS[where] % number
    if source == "BUILDKITE_PLUGINS":
        text = '[{"github.com/acme/ecr-cache-buildkite-plugin#v1": ' + text + "}]"
    with pytest.raises(ConfigError) as info:
        load({**ENV, source: text, "BUILDKITE_PLUGIN_NAME": "ECR_CACHE"}, checkout)
    message = assert_one_line(info.value, source)
    assert HUGE not in message


@pytest.mark.parametrize("suffix", [".json", ".yml"])
def test_a_huge_number_in_a_config_file_is_one_line(tmp_path: Path, suffix: str) -> None:
    if suffix == ".yml":
        pytest.importorskip("yaml")
    path = tmp_path / f"config{suffix}"
    path.write_text(NUMBERS["max-age-days"] % HUGE)
    with pytest.raises(ConfigError) as info:
        read_config_file(path)
    assert HUGE not in assert_one_line(info.value, "--config-file")


def test_a_huge_number_on_the_command_line_is_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        from_cli(NUMBERS["max-age-days"] % HUGE, None)
    assert "digits" in assert_one_line(info.value, "--config")


# -- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["dockerfile", "context"])
def test_a_path_component_over_255_bytes_is_refused(checkout: Path, option: str) -> None:
    error = refused({option: "a" * 300}, checkout)
    assert "at most 255 bytes per component" in assert_one_line(error, option)


@pytest.mark.parametrize("option", ["DOCKERFILE", "CONTEXT", "CACHE_ON_0"])
def test_long_paths_through_the_flattened_variables(checkout: Path, option: str) -> None:
    env = {**ENV, "BUILDKITE_PLUGIN_NAME": "ECR_CACHE"}
    env[f"BUILDKITE_PLUGIN_ECR_CACHE_{option}"] = "d/" * 2100 + "x"
    with pytest.raises(ConfigError) as info:
        load(env, checkout)
    assert "bytes with the checkout in front" in assert_one_line(
        info.value, option.lower().replace("_0", "").replace("_", "-")
    )


def test_a_long_cache_on_component_is_refused(checkout: Path) -> None:
    assert_one_line(refused({"cache-on": ["x" * 256 + "/*.json"]}, checkout), "cache-on")


# -- characters ----------------------------------------------------------------------------

SINGLE_LINE = [
    "dockerfile",
    "context",
    "target",
    "ecr-name",
    "export-env-variable",
    "region",
    "registry-hostname",
    "platform",
    "account-id",
]
BAD = ["\0", "\n", "\x1b[31m", "\x85", "\u2028", "\ud800", "\udc80", "\u202e", "\x7f"]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("option", SINGLE_LINE)
def test_a_bad_character_in_a_string_option_is_one_line(
    checkout: Path, option: str, bad: str
) -> None:
    assert_one_line(refused({option: f"a{bad}b"}, checkout), option)


@pytest.mark.parametrize("bad", ["\0", "\x1b", "\ud800", "\x85"])
@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("build-args", "NODE_ENV=a{}b"),
        ("unhashed-build-args", "TOKEN=a{}b"),
        ("additional-build-args", "--label a{}b"),
        ("dockerfile-inline", "FROM scratch\nLABEL a=a{}b\n"),
        ("cache-on", "package{}.json"),
        ("secrets", "id=npm,src=/run/a{}b"),
        ("target", "deps{}"),
    ],
)
def test_nul_control_and_surrogates_are_refused_everywhere_they_would_reach(
    checkout: Path, option: str, value: str, bad: str
) -> None:
    raw: dict[str, Any] = {option: value.format(bad)}
    if option == "dockerfile-inline":
        raw = {option: value.format(bad)}
    assert_one_line(refused(raw, checkout), option)


def test_text_options_keep_tabs_and_newlines(checkout: Path) -> None:
    config = parse(
        {
            "dockerfile-inline": "FROM scratch\n\tLABEL a=b\r\n",
            "additional-build-args": "--label a=b\n--label\tc=d",
            "build-args": ["CERT=line one\nline two"],
        },
        ENV,
        checkout,
    )
    assert config.additional_build_args == ("--label", "a=b", "--label", "c=d")
    assert config.build_args[0].value == "line one\nline two"


def test_a_literal_build_arg_value_is_never_shown(checkout: Path) -> None:
    text = str(refused({"build-args": ["TOKEN=s3cr3t\0value"]}, checkout))
    assert "s3cr3t" not in text
    assert '"TOKEN=…"' in text


def test_the_target_must_be_a_stage_name(checkout: Path) -> None:
    assert parse({"target": "Deps-2.x_y"}, ENV, checkout).target == "Deps-2.x_y"
    assert "build stage name" in str(refused({"target": "--no-cache"}, checkout))


@pytest.mark.parametrize("key", ["team!", "a\nb", "a\x85", "<b>"])
def test_ecr_tags_follow_ecrs_own_character_rule(checkout: Path, key: str) -> None:
    assert_one_line(refused({"ecr-tags": {key: "x"}}, checkout), "ecr-tags")
    assert_one_line(refused({"ecr-tags": {"team": f"a{key}"}}, checkout), "ecr-tags")


def test_ecr_tags_of_any_script_stay_as_written(checkout: Path) -> None:
    tags = {"équipe": "données 1/2 +@:=_.-", "团队": "开发"}
    assert parse({"ecr-tags": tags}, ENV, checkout).ecr_tags == tags


@pytest.mark.parametrize("option", ["region", "account-id", "registry-hostname"])
def test_digits_are_ascii_digits(checkout: Path, option: str) -> None:
    value = {"region": "eu-west-١", "account-id": "١" * 12, "registry-hostname": "x:٥٠٠٠"}
    assert_one_line(refused({option: value[option]}, checkout), option)


# -- messages ------------------------------------------------------------------------------


def test_a_message_carrying_a_newline_or_escape_is_one_printable_line(checkout: Path) -> None:
    (checkout / "a\nb").mkdir()
    text = str(ConfigError(f"dockerfile: no such file {checkout}/a\nb\x1b[31m\x85\u2028\ud800"))
    assert PRINTABLE_LINE.fullmatch(text)
    assert "a b\\x1b[31m \\ud800" in text


def test_a_multi_line_error_text_is_folded_onto_one_line() -> None:
    text = "push failed:\n  denied\r\n\u2028by policy\n"
    assert one_line(text) == "push failed: denied by policy "


def test_one_line_keeps_printable_text_as_it_is() -> None:
    text = "ecr-cache: ⚠️ équipe 团队 tab-less"
    assert one_line(text) == text


# -- export-env-variable -------------------------------------------------------------------

REFUSED_EXPORTS = [
    "PATH",
    "HOME",
    "SHELL",
    "IFS",
    "PWD",
    "OLDPWD",
    "BASH_ENV",
    "ENV",
    "PS4",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "BASH_FUNC_x",
    "path",
    "BUILDKITE_AGENT_ACCESS_TOKEN",
    "BUILDKITE_BUILD_PATH",
    "BUILDKITE_HOOKS_PATH",
    "BUILDKITE_PLUGINS_PATH",
    "BUILDKITE_GIT_CLONE_FLAGS",
    "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_IMAGE",
    "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG",
    "BUILDKITE_PLUGIN_ECR_CACHE_EXPORT_TAG",
    "ECR_CACHE_FORCE_REBUILD",
]


@pytest.mark.parametrize("name", REFUSED_EXPORTS)
def test_export_env_variable_refuses_what_a_job_relies_on(checkout: Path, name: str) -> None:
    text = assert_one_line(refused({"export-env-variable": name}, checkout), "export-env-variable")
    assert name in text


@pytest.mark.parametrize("name", ["BUILDKITE_PLUGIN_DOCKER_IMAGE", "APP_IMAGE", "PATHS_IMAGE"])
def test_export_env_variable_accepts_variables_of_the_pipelines_own(
    checkout: Path, name: str
) -> None:
    assert parse({"export-env-variable": name}, ENV, checkout).export_env_variable == name


def test_the_shim_refuses_the_same_names_as_the_package() -> None:
    text = (REPO / "hooks" / "pre-command").read_text()
    listed = re.search(r"local -a __ecr_protected=\(\n(.*?)\n  \)", text, re.DOTALL)
    prefixes = re.search(r"local -a __ecr_prefixes=\((.*?)\)", text)
    assert listed is not None and prefixes is not None
    fixed = {variables.EXPORT_IMAGE, variables.EXPORT_TAG}
    expected = (protected.SHELL_NAMES | protected.AGENT_NAMES | protected.PLUGIN_NAMES) - fixed
    assert set(listed.group(1).split()) == expected
    assert tuple(prefixes.group(1).split()) == protected.PREFIXES


def test_the_shim_checks_names_with_the_packages_identifier_rule() -> None:
    # The shim spells its classes out letter by letter (ranges follow the locale): the first
    # character and the rest must accept exactly what config.variables.IDENTIFIER accepts.
    text = (REPO / "hooks" / "pre-command").read_text()
    rule = re.search(r"\$__ecr_name =~ \^\[([^\]]*)\]\[([^\]]*)\]\*\$", text)
    assert rule is not None
    first, rest = set(rule.group(1)), set(rule.group(2))
    candidates = [chr(c) for c in range(0x250)]
    assert first == {c for c in candidates if variables.is_identifier(c)}
    assert rest == {c for c in candidates if variables.is_identifier("_" + c)}


# -- containment ---------------------------------------------------------------------------


@pytest.fixture
def linked(checkout: Path, tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0\n")
    (outside / "Dockerfile").write_text("FROM scratch\n")
    (checkout / "lnk").symlink_to(outside)
    (checkout / "Dockerfile.out").symlink_to(outside / "Dockerfile")
    (checkout / "inside").symlink_to("docker")
    (checkout / "dangling").symlink_to("/nonexistent/x")
    return checkout


@pytest.mark.parametrize(
    ("raw", "option", "link"),
    [
        ({"dockerfile": "Dockerfile.out"}, "dockerfile", "Dockerfile.out ->"),
        ({"dockerfile": "lnk/Dockerfile"}, "dockerfile", "lnk ->"),
        ({"context": "lnk"}, "context", "lnk ->"),
    ],
)
def test_dockerfile_and_context_through_a_link_out_are_refused(
    linked: Path, raw: dict[str, str], option: str, link: str
) -> None:
    text = assert_one_line(refused(raw, linked), option)
    assert "resolves outside the checkout" in text and link in text


@pytest.mark.parametrize("pattern", ["lnk/passwd", "lnk/*", "*/passwd", "*", "**", "dangling"])
def test_cache_on_matches_through_a_link_out_are_refused(linked: Path, pattern: str) -> None:
    config = parse({"cache-on": [pattern]}, ENV, linked)
    with pytest.raises(ConfigError) as info:
        compute(config, linked, platform="linux/amd64")
    text = assert_one_line(info.value, "cache-on")
    assert re.search(r"through the symlink (lnk|Dockerfile\.out|dangling) -> ", text), text


def test_links_that_stay_inside_keep_working(linked: Path) -> None:
    config = parse(
        {"dockerfile": "inside/Dockerfile", "context": "inside", "cache-on": ["inside/*"]},
        ENV,
        linked,
    )
    result = compute(config, linked, platform="linux/amd64")
    assert [f.path for f in result.manifest.entries[-1].files] == ["inside/Dockerfile"]


# -- the command line, as a user runs it ---------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        deep(5000),
        json.dumps({"dockerfile": "a" * 300}),
        '{"cache-on": "\\ud800"}',
        '{"build-args": "A=\\ud800"}',
        '{"target": "a\\u0000b"}',
        '{"dockerfile": "a\\nb\\u001b[31m"}',
        '{"dockerfile": "a\\u0085b"}',
        '{"export-env-variable": "PATH"}',
    ],
)
def test_checksum_command_exits_2_with_one_line(checkout: Path, config: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ecr_cache_tui", "checksum", "--config", config],
        cwd=checkout,
        capture_output=True,
        env={**os.environ, "PYTHONSAFEPATH": "1"},
        check=False,
    )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert done.stdout == b""
    assert err.count("\n") == 1 and err.startswith("ecr-cache: "), err
    assert PRINTABLE_LINE.fullmatch(err.rstrip("\n")), err
