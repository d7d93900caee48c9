"""JSON selectors of ``cache-on`` entries: splitting, parsing, selecting, canonical bytes."""

from __future__ import annotations

from typing import Any

import pytest

from ecr_cache_tui.cachekey.jsonselect import (
    SelectorError,
    canonical_json,
    parse_selector,
    split_entry,
)

DOC: dict[str, Any] = {
    "a": {"b": 1, "list": [{"x": "first"}, {"x": "second"}]},
    "key.with.dots": {"v": True},
    "dependencies": {"react": "^18.2.0"},
    'quote"d': 3,
}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("package.json#.version", ("package.json", ".version")),
        ("a/b.json#[0]", ("a/b.json", "[0]")),
        ("**/package.json#.name", ("**/package.json", ".name")),
        ("notes#1.txt", ("notes#1.txt", None)),
        ("plain.json", ("plain.json", None)),
        ('f.json#."a#.b"', ("f.json", '."a#.b"')),
    ],
)
def test_an_entry_splits_at_the_first_hash_before_a_dot_or_bracket(
    entry: str, expected: tuple[str, str | None]
) -> None:
    assert split_entry(entry) == expected


@pytest.mark.parametrize(
    ("selector", "value"),
    [
        (".a.b", 1),
        (".a.list[1].x", "second"),
        (".a.list.[0].x", "first"),
        ('."key.with.dots".v', True),
        ('["key.with.dots"]["v"]', True),
        ('."quote\\"d"', 3),
        (".dependencies.react", "^18.2.0"),
        (".", DOC),
    ],
)
def test_selectors_reach_the_value(selector: str, value: Any) -> None:
    assert parse_selector(selector).select(DOC) == value


@pytest.mark.parametrize(
    "selector", [".missing", ".a.b.c", ".a.list[5]", ".a[0]", "[0]", ".dependencies.vue"]
)
def test_a_missing_path_selects_null(selector: str) -> None:
    assert parse_selector(selector).select(DOC) is None


@pytest.mark.parametrize("selector", ["..a", ".a[", ".a[x]", '."open', ".a]", "[-1]", "a", ""])
def test_malformed_selectors_are_refused(selector: str) -> None:
    with pytest.raises(SelectorError):
        parse_selector(selector)


def test_canonical_json_ignores_key_order_and_formatting() -> None:
    assert canonical_json({"b": 1, "a": [1, 2]}) == canonical_json({"a": [1, 2], "b": 1})
    assert canonical_json({"a": "é"}) == '{"a":"é"}'.encode()
    assert canonical_json(None) == b"null"
