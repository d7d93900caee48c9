"""The label check of every hit (``ecr_cache_tui.cachekey.verify``)."""

from __future__ import annotations

import json

from ecr_cache_tui.cachekey.inputs import InputEntry, Manifest
from ecr_cache_tui.cachekey.verify import check_label

TAG = "a" * 32
COMPUTED = Manifest(
    TAG,
    (
        InputEntry("dockerfile", "Dockerfile", "1" * 32),
        InputEntry("build-arg", "NODE_ENV", "2" * 32, value="production"),
        InputEntry("cache-on", "package.json", "3" * 32),
    ),
)


def _with(**changes: InputEntry) -> Manifest:
    entries = tuple(changes.get(e.name, e) for e in COMPUTED.entries)
    return Manifest(TAG, entries)


def test_the_computed_manifest_matches_itself() -> None:
    check = check_label(COMPUTED.to_label(), COMPUTED)
    assert check.verdict == "match" and check.usable


def test_no_label_is_absent_and_usable() -> None:
    assert check_label(None, COMPUTED).verdict == "absent"
    assert check_label("", COMPUTED).usable


def test_the_first_differing_input_is_named_old_to_new() -> None:
    planted = _with(**{"package.json": InputEntry("cache-on", "package.json", "9" * 32)})
    check = check_label(planted.to_label(), COMPUTED)
    assert check.verdict == "other" and not check.usable
    assert check.first == f"package.json: {'9' * 16} -> {'3' * 16}"


def test_a_literal_build_arg_shows_its_values() -> None:
    planted = _with(NODE_ENV=InputEntry("build-arg", "NODE_ENV", "8" * 32, value="dev"))
    assert check_label(planted.to_label(), COMPUTED).first == (
        "build arg NODE_ENV: 'dev' -> 'production'"
    )


def test_an_input_only_one_side_has_is_absent_on_the_other() -> None:
    planted = Manifest(TAG, COMPUTED.entries[:2])
    assert check_label(planted.to_label(), COMPUTED).first == (
        f"package.json: (absent) -> {'3' * 16}"
    )


def test_same_inputs_under_another_tag_differ_by_tag() -> None:
    planted = Manifest("b" * 32, COMPUTED.entries)
    assert check_label(planted.to_label(), COMPUTED).first == f"tag: {'b' * 32} -> {TAG}"


def test_names_from_a_label_are_escaped_and_bounded() -> None:
    hostile = "\x1b]0;PWNED\x1b\\" + "x" * 500
    planted = Manifest(TAG, (*COMPUTED.entries, InputEntry("cache-on", hostile, "4" * 32)))
    first = check_label(planted.to_label(), COMPUTED).first
    assert "\x1b" not in first and "\\x1b]0;PWNED" in first
    assert len(first) < 250


def test_a_malformed_label_is_unreadable_never_usable() -> None:
    for text in (
        "[" * 100000,
        '{"tag":"x","version":1e400,"inputs":[]}',
        "{",
        '"x"',
        "[]",
        json.dumps({"tag": TAG, "inputs": [{"kind": 1}]}),
        "x" * (2 << 20),
    ):
        check = check_label(text, COMPUTED)
        assert check.verdict == "unreadable", text[:40]
        assert not check.usable
