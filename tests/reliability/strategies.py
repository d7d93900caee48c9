"""Hypothesis strategies for plugin configurations: plausible, hostile and in between.

A configuration is drawn option by option: each option gets either a value of the shape the
plugin expects (often valid), a hostile string (NUL, control characters, U+0085, line and
paragraph separators, bidirectional overrides, lone surrogates, long paths, ``..``), or any JSON
value at all. Unknown keys and deep nesting are drawn too. The same draws feed the in-process
properties (``test_properties.py``) and the runs of the real hook (``test_shim_inputs.py``).

The strategies the composites draw from are made once (module constants, ``_value`` cached per
option), not on every draw: Hypothesis validates each new strategy object, and that was most of
each example's time. The examples drawn are the same. (The builders themselves stay uncached:
``st.one_of`` drops a branch that is the very object of an earlier one, so sharing, say, one
``hostile_text()`` between the two ``_plausible`` copies in ``_value`` would change the weights.)
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

from ecr_cache_tui.config.options import OPTIONS

__all__ = [
    "HOSTILE_CHARACTERS",
    "checkout_files",
    "configuration_text",
    "configurations",
    "flattened",
    "hostile_text",
    "json_values",
]

#: Characters the probe of issue 12 used, and their neighbours.
HOSTILE_CHARACTERS = (
    "\0",
    "\n",
    "\r",
    "\t",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",
    "\u2028",
    "\u2029",
    "\u202e",
    "\u2066",
    "\ud800",
    "\udc80",
    "\udfff",
    "\ufeff",
    "/",
    "..",
    "=",
    "#",
    "*",
    "$(",
    "'",
    '"',
    "\\",
    " ",
    "é",
    "日",
    "🐳",
)

#: What the test checkout holds (``checkout_files`` writes it).
FILES = ("Dockerfile", "docker/Dockerfile", "package.json", "a b/c.json", "src/x.py")

_any_char = st.characters(codec=None, exclude_categories=())
_nice_char = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


def hostile_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Short strings mixing hostile characters, any code point and plain ASCII."""
    pieces = st.one_of(
        st.sampled_from(HOSTILE_CHARACTERS),
        st.text(_any_char, min_size=1, max_size=4),
        st.text(_nice_char, min_size=1, max_size=8),
    )
    return st.lists(pieces, max_size=max_size // 4 + 1).map("".join)


def _long_path() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(200, 400).map(lambda n: "a" * n),
        st.integers(1000, 2200).map(lambda n: "d/" * n + "x"),
        st.integers(250, 300).map(lambda n: "é" * (n // 2)),
    )


def _path_like() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([*FILES, ".", "docker", "src", "lnk", "lnk/passwd", "inside/Dockerfile"]),
        st.sampled_from(["../x", "/etc/passwd", "a/../../b", "./docker/Dockerfile"]),
        hostile_text(),
        _long_path(),
    )


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(hostile_text(12), children, max_size=4)
    ),
    max_leaves=12,
)


def _strings_or_lists(item: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(item, st.lists(item, max_size=4))


def _build_arg() -> st.SearchStrategy[str]:
    name = st.sampled_from(["NODE_ENV", "A", "x.y-z", "1BAD", "", "A B"]) | hostile_text(8)
    value = st.sampled_from(["", "prod", "a=b"]) | hostile_text()
    return st.one_of(name, st.tuples(name, value).map(lambda nv: f"{nv[0]}={nv[1]}"))


def _plausible(option: str) -> st.SearchStrategy[Any]:
    """Values of the shape ``option`` takes (valid or nearly)."""
    if option in ("dockerfile", "context"):
        return _path_like()
    if option == "dockerfile-inline":
        return (
            st.sampled_from(["FROM scratch\n", "FROM local/busybox\nRUN true\n"]) | hostile_text()
        )
    if option == "cache-on":
        patterns = st.one_of(
            _path_like(),
            st.sampled_from(
                ["**/*.json", "*", "**", "package.json#.a.b", "x#[0]", "f#.a[", "[z-a]"]
            ),
        )
        return _strings_or_lists(patterns)
    if option in ("build-args", "unhashed-build-args"):
        return _strings_or_lists(_build_arg())
    if option == "secrets":
        secret = st.sampled_from(["NPM_TOKEN", "id=npm,src=/run/x", "id=a,env=B", "id=,x"])
        return _strings_or_lists(secret | hostile_text())
    if option == "additional-build-args":
        return st.sampled_from(["--network=host", "--label a='b c'", "'unclosed"]) | hostile_text()
    if option == "ecr-tags":
        return st.dictionaries(hostile_text(12), hostile_text(12) | st.integers(), max_size=3)
    if option == "max-age-days":
        return st.one_of(st.integers(-5, 400), st.floats(allow_nan=True), st.text(max_size=4))
    if option == "export-env-variable":
        return st.sampled_from(
            ["MY_IMAGE", "PATH", "LD_PRELOAD", "1X", "BUILDKITE_REPO"]
        ) | hostile_text(12)
    if option == "region":
        return st.sampled_from(["eu-west-1", "us-east-1", "mars-1", "eu-west-١"]) | hostile_text(12)
    if option == "registry-hostname":
        return st.sampled_from(
            ["127.0.0.1:5000", "ghcr.io", "x:99999", "[::1]:5000"]
        ) | hostile_text(12)
    if option == "registry-provider":
        return st.sampled_from(["ecr", "oci", "ECR", ""]) | hostile_text(6)
    if option == "platform":
        return st.sampled_from(["linux/amd64", "linux/arm64/v8", "linux"]) | hostile_text(12)
    if option == "account-id":
        return (
            st.sampled_from(["123456789012", "12345", "١" * 12]) | st.integers() | hostile_text(12)
        )
    if option in ("target", "ecr-name"):
        return st.sampled_from(["deps", "build-cache/acme/web", "Deps.2", "-x"]) | hostile_text(16)
    # The booleans (skip-pull-from-cache, cache-from, force-rebuild, push-latest, annotate),
    # and any option added later: what a boolean takes, and what it does not.
    return st.booleans() | st.sampled_from(["true", "false", 1, None]) | hostile_text(8)


@cache
def _value(option: str) -> st.SearchStrategy[Any]:
    # Two separate _plausible(option) objects: twice the weight of json_values, as drawn.
    return st.one_of(_plausible(option), _plausible(option), json_values)


_options = st.lists(st.sampled_from(OPTIONS), max_size=5, unique=True)
_unknown_key = hostile_text(16)
_not_json = hostile_text(60)


@st.composite
def configurations(draw: st.DrawFn) -> dict[Any, Any]:
    """A decoded plugin configuration: a few options, sometimes an unknown key."""
    chosen = draw(_options)
    raw: dict[Any, Any] = {option: draw(_value(option)) for option in chosen}
    if draw(st.integers(0, 9)) == 0:
        raw[draw(_unknown_key)] = draw(json_values)
    return raw


#: Numbers Python's JSON decoder turns into an exception or a non-number: more digits than
#: CPython converts (4,300), floats past the largest double, JavaScript's constants.
_hostile_numbers = st.one_of(
    st.integers(4000, 6000).map(lambda n: "9" * n),
    st.integers(4300, 5000).map(lambda n: "-" + "1" * n),
    st.integers(4300, 5000).map(lambda n: "0." + "1" * n),
    st.sampled_from(["1e400", "-1e999", "1E+309", "NaN", "Infinity", "-Infinity"]),
)
#: Where a number can sit in a configuration: an option, an ecr-tags value, a list item, an
#: unknown key's value (nested), a flattened-looking key.
_number_places = st.sampled_from(
    [
        '{"max-age-days": %s}',
        '{"ecr-tags": {"team": %s}}',
        '{"cache-on": ["package.json", %s]}',
        '{"build-args": [%s]}',
        '{"cache-on": "package.json", "zz": {"a": [%s]}}',
        '{"base-image-check-minutes": %s, "cache-from": true}',
        "[%s]",
        "%s",
    ]
)
_depths = st.integers(30, 100_000)
_openers = st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"a":', "}]")])
_huge_strings = st.integers((1 << 20) - 50, (1 << 20) + 50).map(
    lambda n: '{"dockerfile-inline": "' + "a" * n + '"}'
)


@st.composite
def configuration_text(draw: st.DrawFn) -> str:
    """``BUILDKITE_PLUGIN_CONFIGURATION``/``--config`` text: JSON of a configuration, deep
    nesting, numbers JSON cannot hold, text around the size limit, or not JSON at all."""
    kind = draw(st.integers(0, 8))
    if kind == 0:
        depth = draw(_depths)
        opener, closer = draw(_openers)
        return '{"cache-on": ' + opener * depth + "1" + closer * depth + "}"
    if kind == 1:
        return draw(_not_json)
    if kind == 6:
        return draw(_number_places) % draw(_hostile_numbers)
    if kind == 7:
        return draw(_huge_strings)
    raw = draw(configurations())
    return json.dumps(raw, ensure_ascii=draw(st.booleans()), default=str)


def _environment_safe(text: str) -> str:
    """What an environment variable can hold: no NUL; surrogates only for undecodable bytes
    (``os.environ`` decodes with ``surrogateescape``: U+DC80 to U+DCFF)."""
    return "".join(
        ch
        for ch in text
        if ch != "\0" and not (0xD800 <= ord(ch) <= 0xDFFF and not 0xDC80 <= ord(ch) <= 0xDCFF)
    )


def _env_key(option: str) -> str:
    return option.upper().replace("-", "_")


_env_text = hostile_text().map(_environment_safe)


@st.composite
def flattened(draw: st.DrawFn) -> dict[str, str]:
    """The agent's flattened ``BUILDKITE_PLUGIN_ECR_CACHE_*`` variables for a configuration.

    Values are what an environment can hold: no NUL, surrogates only for undecodable bytes.
    """
    env_text = _env_text
    env: dict[str, str] = {"BUILDKITE_PLUGIN_NAME": "ECR_CACHE"}
    prefix = "BUILDKITE_PLUGIN_ECR_CACHE_"
    for option in draw(_options):
        key = prefix + _env_key(option)
        shape = draw(st.integers(0, 3))
        if shape == 0 or option == "max-age-days":
            env[key] = draw(env_text | st.sampled_from(["true", "false", "14", "0"]))
        elif shape == 1:
            for i in draw(st.lists(st.integers(0, 12), max_size=4, unique=True)):
                env[f"{key}_{i}"] = draw(env_text | st.sampled_from(FILES))
        elif shape == 2:
            env[f"{key}_{draw(st.sampled_from(['TEAM', 'X_Y', '0', 'A-B']))}"] = draw(env_text)
        else:
            env[key] = draw(st.sampled_from([*FILES, "a" * 300, "d/" * 2100]))
    if draw(st.integers(0, 9)) == 0:
        env[prefix + draw(st.sampled_from(["UNKNOWN", "DOCKERFILEX", "CACHE_ON_X", "_"]))] = "x"
    return env


def checkout_files() -> tuple[str, ...]:
    """The relative paths of the files the test checkout holds."""
    return FILES
