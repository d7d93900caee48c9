"""``plugin.yml``: its schema, the README's examples, and agreement with the configuration model.

Buildkite's plugin linter validates each example pipeline's plugin block against the schema in
``plugin.yml``; these tests do the same with jsonschema, and check that the schema and
:mod:`ecr_cache_tui.config` accept and refuse the same things. With plugin validation on, the agent
checks the schema with a Go library whose regular expressions are RE2: every pattern must compile
with RE2 (the ``google-re2`` package), and the examples and refusals are checked a second time with
a draft-07 validator that matches patterns with RE2.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.validators
import pytest
import re2
import yaml

from ecr_cache_tui.config import OPTIONS, PluginConfig, parse
from ecr_cache_tui.config.sources import find_plugin_blocks, is_plugin_reference
from ecr_cache_tui.errors import ConfigError
from tests.config.bad_configs import BAD

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = yaml.safe_load((ROOT / "plugin.yml").read_text())
SCHEMA = PLUGIN["configuration"]
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def _re2_pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    """Draft 7's ``pattern`` (an unanchored search), matched by RE2 as the agent's Go code does."""
    if validator.is_type(instance, "string") and not re2.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r} (RE2)")


RE2_VALIDATOR = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _re2_pattern})(
    SCHEMA
)
VALIDATORS = pytest.mark.parametrize("validator", [VALIDATOR, RE2_VALIDATOR], ids=["re", "re2"])

# Examples of our own, so the example test never passes on zero examples.
OWN_EXAMPLES = """
```yaml
steps:
  - command: npm test
    plugins:
      - acme/ecr-cache#v1.0.0:
          cache-on:
            - '**/package.json'
            - package-lock.json
          build-args: [NODE_ENV, REGISTRY=internal]
          target: deps
          max-age-days: 14
      - docker#v5.12.0:
          volumes: [/workdir/node_modules]
```

```yaml
steps:
  - plugins:
      - acme/ecr-cache#v1.0.0
      - docker#v5.12.0
```

```yml
steps:
  - label: inline
    plugins:
      - acme/ecr-cache#v1.0.0:
          dockerfile-inline: |
            FROM node:20
            RUN npm ci
          cache-on: package.json#.dependencies
          secrets: [NPM_TOKEN, "id=npmrc,src=.npmrc"]
          unhashed-build-args: BUILD_NUMBER
          additional-build-args: '--label "team=web platform" --network=host'
```

```yaml
steps:
  - group: arm
    steps:
      - command: make
        plugins:
          - acme/ecr-cache#v1.0.0:
              dockerfile: docker/ci.Dockerfile
              context: .
              platform: linux/arm64
              account-id: "123456789012"
              region: ap-southeast-2
              ecr-name: shared/ci-images
              ecr-tags: {Team: Web, "cost:centre": "42"}
              export-env-variable: CI_IMAGE
              cache-from: false
              push-latest: false
              force-rebuild: true
              skip-pull-from-cache: true
```

```yaml
steps:
  - command: make
    plugins:
      - acme/ecr-cache#v1.0.0:
          registry-provider: oci
          registry-hostname: 127.0.0.1:5000
          cache-on: ['config/*.json#."key.with.dots"[0]']
```
"""

_FENCE = re.compile(r"^```(?:yaml|yml)[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples(markdown: str) -> list[dict[str, Any]]:
    """Every configuration of this plugin in the markdown's fenced YAML blocks."""
    found: list[dict[str, Any]] = []
    for block in _FENCE.findall(markdown):
        try:
            document = yaml.safe_load(block)
        except yaml.YAMLError:
            continue  # a fragment that is not a document (e.g. a lone option list)
        found.extend(find_plugin_blocks(document))
    return found


def test_the_plugin_metadata_is_complete() -> None:
    assert PLUGIN["name"] == "ecr-cache"
    assert PLUGIN["description"]
    assert PLUGIN["author"]
    assert "docker" in PLUGIN["requirements"]
    assert SCHEMA["additionalProperties"] is False
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_the_schema_declares_exactly_the_models_options() -> None:
    assert set(SCHEMA["properties"]) == set(OPTIONS)


def test_every_option_has_a_type_and_a_description() -> None:
    for name, spec in SCHEMA["properties"].items():
        assert "type" in spec or "oneOf" in spec, name
        assert spec.get("description"), name


def test_schema_defaults_are_the_models_defaults() -> None:
    defaults = PluginConfig()
    for name, spec in SCHEMA["properties"].items():
        if "default" in spec:
            assert getattr(defaults, name.replace("-", "_")) == spec["default"], name


def patterns(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every regular expression in a schema: ``pattern`` values and ``patternProperties`` keys."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield where, value
            elif key == "patternProperties" and isinstance(value, dict):
                yield from ((f"{where}.patternProperties", regex) for regex in value)
            yield from patterns(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from patterns(value, f"{where}[{i}]")


def test_every_pattern_compiles_with_re2() -> None:
    found = list(patterns(PLUGIN))
    assert len(found) >= 15
    for where, regex in found:
        try:
            re2.compile(regex)
        except re2.error as error:
            pytest.fail(f"{where}: {regex!r} is not RE2: {error}")


def test_re2_refuses_lookahead_so_the_pattern_test_can_fail() -> None:
    with pytest.raises(re2.error):
        re2.compile("^(?!/)")


# What plugin.yml said before it was RE2 (lookahead): the RE2 patterns must decide the same way.
LOOKAHEAD = {
    "dockerfile": (r"^(?!/)(?!(.*/)?\.\.(/|$))", "./a#"),
    "context": (r"^(?!/)(?!(.*/)?\.\.(/|$))", "./a#"),
    "cache-on": (r"^(?!/)(?!(.*/)?\.\.(/|#|$))", "./a#"),
    "ecr-tags": (r"^(?![aA][wW][sS]:)", "aAwWsS:x"),
}


def _pattern_of(option: str) -> str:
    spec = SCHEMA["properties"][option]
    if option == "ecr-tags":
        return str(spec["propertyNames"]["pattern"])
    return str(spec.get("pattern") or spec["oneOf"][0]["pattern"])


@pytest.mark.parametrize("option", list(LOOKAHEAD))
def test_the_re2_patterns_decide_as_the_lookahead_ones_did(option: str) -> None:
    old, alphabet = LOOKAHEAD[option]
    new = _pattern_of(option)
    length = 7 if len(alphabet) <= 4 else 5
    checked = 0
    for size in range(1, length + 1):
        for chars in itertools.product(alphabet, repeat=size):
            text = "".join(chars)
            expected = bool(re.search(old, text))
            assert bool(re2.search(new, text)) is expected, (option, text)
            assert bool(re.search(new, text)) is expected, (option, text)
            checked += 1
    assert checked > 3000


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("dockerfile", "/etc/Dockerfile"),
        ("dockerfile", "../Dockerfile"),
        ("dockerfile", "a/../../Dockerfile"),
        ("dockerfile", "a/.."),
        ("context", ".."),
        ("context", "/"),
        ("cache-on", "../secrets/*"),
        ("cache-on", "a/..#.x"),
        ("cache-on", "/etc/passwd"),
    ],
)
def test_re2_refuses_absolute_paths_and_dot_dot_segments(option: str, value: str) -> None:
    assert not RE2_VALIDATOR.is_valid({option: value})
    assert not VALIDATOR.is_valid({option: value})


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("dockerfile", "docker/ci.Dockerfile"),
        ("dockerfile", "..foo/.bar/x..y/Dockerfile"),
        ("context", "."),
        ("context", "./a/"),
        ("cache-on", "**/package.json"),
        ("cache-on", "a.json#.x..y"),
        ("cache-on", ".#x"),
    ],
)
def test_re2_accepts_relative_paths(option: str, value: str) -> None:
    assert RE2_VALIDATOR.is_valid({option: value})
    assert VALIDATOR.is_valid({option: value})


def test_re2_refuses_aws_tag_keys_in_any_case() -> None:
    assert not RE2_VALIDATOR.is_valid({"ecr-tags": {"AwS:x": "v"}})
    assert RE2_VALIDATOR.is_valid({"ecr-tags": {"aws-x": "v", "team": "web"}})


@VALIDATORS
def test_our_examples_are_found_and_valid(validator: Any) -> None:
    found = examples(OWN_EXAMPLES)
    assert len(found) == 5
    for config in found:
        validator.validate(config)


@VALIDATORS
def test_every_readme_example_validates_against_the_schema(validator: Any) -> None:
    readme = (ROOT / "README.md").read_text()
    found = examples(readme)
    mentions = [ref for ref in re.findall(r"[\w./-]+#v[\w.]+", readme) if is_plugin_reference(ref)]
    if mentions:
        # The README shows this plugin in a pipeline: its examples must be found, not skipped.
        assert found, "README mentions the plugin but no yaml example was found"
    for config in found:
        errors = sorted(validator.iter_errors(config), key=str)
        assert not errors, f"{config}: {errors[0].message}"


def test_what_the_schema_accepts_the_configuration_accepts(checkout: Path) -> None:
    env = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}
    for config in examples(OWN_EXAMPLES):
        parse(config, env, checkout)


# Refused by the configuration but not expressible in JSON schema (they need the checkout, the
# environment, or a parser), so the schema accepts them.
NOT_EXPRESSIBLE = {
    "missing dockerfile",
    "selector missing file",
    "selector invalid json",
    "cache-on bad selector",
    "unbalanced quote",
    "bad port",
    "region env",
    "force env",
    "not an object",
}


@VALIDATORS
@pytest.mark.parametrize(
    ("name", "config"),
    [(b[0], b[1]) for b in BAD if b[0] not in NOT_EXPRESSIBLE],
    ids=[b[0] for b in BAD if b[0] not in NOT_EXPRESSIBLE],
)
def test_the_schema_refuses_what_the_configuration_refuses(
    checkout: Path, name: str, config: dict[str, Any], validator: Any
) -> None:
    assert not validator.is_valid(config), name
    with pytest.raises(ConfigError):
        parse(
            config, {"BUILDKITE_ORGANIZATION_SLUG": "a", "BUILDKITE_PIPELINE_SLUG": "b"}, checkout
        )


def test_the_not_expressible_list_names_real_cases() -> None:
    assert {b[0] for b in BAD} >= NOT_EXPRESSIBLE
