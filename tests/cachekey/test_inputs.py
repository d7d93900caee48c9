"""The inputs manifest: label round trip, size cap, and the "why did this miss" diff."""

from __future__ import annotations

import json

import pytest

from ecr_cache_tui.cachekey.inputs import (
    BUILD_ARG,
    CACHE_ON,
    DOCKERFILE,
    FileDigest,
    InputEntry,
    LabelError,
    Manifest,
    describe_changes,
    diff,
)


def _manifest(tag: str = "a" * 32, **digests: str) -> Manifest:
    base = {"dockerfile": "d1", "lock": "l1", "node_env": "n1"}
    base.update(digests)
    return Manifest(
        tag=tag,
        entries=(
            InputEntry(DOCKERFILE, "Dockerfile", base["dockerfile"]),
            InputEntry(BUILD_ARG, "NODE_ENV", base["node_env"]),
            InputEntry(
                CACHE_ON,
                "package-lock.json",
                base["lock"],
                files=(FileDigest("package-lock.json", base["lock"]),),
            ),
        ),
    )


def test_label_round_trips() -> None:
    original = _manifest()
    assert Manifest.from_label(original.to_label()) == original


def test_label_drops_per_file_digests_when_too_large_but_keeps_entries() -> None:
    files = tuple(FileDigest(f"pkg{i}/package.json", f"{i:032x}") for i in range(2000))
    big = Manifest(tag="b" * 32, entries=(InputEntry(CACHE_ON, "**/package.json", "f0", files),))
    label = big.to_label(max_bytes=10_000)
    assert len(label.encode()) <= 10_000
    back = Manifest.from_label(label)
    assert back.entries[0].digest == "f0"
    assert back.entries[0].files == ()


@pytest.mark.parametrize("text", ["", "nope", "[]", '{"tag": "x"}', '{"inputs": [{"kind": 1}]}'])
def test_from_label_rejects_what_is_not_a_manifest(text: str) -> None:
    with pytest.raises(ValueError, match="not an inputs manifest"):
        Manifest.from_label(text)


def test_diff_names_what_changed_in_words() -> None:
    changes = diff(_manifest(), _manifest(lock="l2", node_env="n2"))
    assert describe_changes(changes) == ("build arg NODE_ENV changed; package-lock.json changed")


def test_diff_of_equal_manifests_says_nothing_changed() -> None:
    changes = diff(_manifest(), _manifest())
    assert {c.status for c in changes} == {"same"}
    assert describe_changes(changes) == "no input changed"


def test_diff_reports_added_and_removed_inputs() -> None:
    old = _manifest()
    new = Manifest(tag="c" * 32, entries=(*old.entries[:1], InputEntry(BUILD_ARG, "CI", "x")))
    statuses = {(c.entry.name, c.status) for c in diff(old, new)}
    assert ("CI", "added") in statuses
    assert ("NODE_ENV", "removed") in statuses
    assert ("package-lock.json", "removed") in statuses


def test_diff_lists_changed_files_under_a_pattern() -> None:
    old = Manifest(
        "t1",
        (
            InputEntry(
                CACHE_ON,
                "**/package.json",
                "x",
                (FileDigest("a/package.json", "1"), FileDigest("b/package.json", "2")),
            ),
        ),
    )
    new = Manifest(
        "t2",
        (
            InputEntry(
                CACHE_ON,
                "**/package.json",
                "y",
                (FileDigest("a/package.json", "1"), FileDigest("c/package.json", "3")),
            ),
        ),
    )
    (change,) = diff(old, new)
    assert change.changed_files == ("b/package.json", "c/package.json")
    assert change.describe() == "**/package.json changed (b/package.json, c/package.json)"


def test_a_different_algorithm_version_makes_every_input_changed() -> None:
    old = _manifest()
    new = Manifest(tag=old.tag, entries=old.entries, version=2)
    assert {c.status for c in diff(old, new)} == {"changed"}


def test_to_dict_is_json_and_never_has_values_only_digests() -> None:
    data = _manifest().to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data["inputs"][1]) == {"kind", "name", "digest"}


def test_a_literal_build_arg_keeps_its_value_in_the_label() -> None:
    entry = InputEntry(BUILD_ARG, "NODE_ENV", "n1", value="production")
    back = Manifest.from_label(Manifest(tag="a" * 32, entries=(entry,)).to_label())
    assert back.entries[0].value == "production"
    assert "value" not in _manifest().to_dict()["inputs"][1]


# -- a label from a registry: total, bounded, strict ------------------------------------------

_GOOD = {
    "tag": "t",
    "version": 1,
    "algorithm": "xxh3-128",
    "inputs": [{"kind": "cache-on", "name": "a", "digest": "d", "files": []}],
}


def _with(**changes: object) -> str:
    return json.dumps({**_GOOD, **changes})


HOSTILE_LABELS = {
    "deep nesting": "[" * 100_000,
    "deep nesting in an object": '{"tag": "t", "inputs": ' + "[" * 5000 + "]" * 5000 + "}",
    "1e400": _with(version=None).replace("null", "1e400"),
    "a huge number": _with(version=None).replace("null", "9" * 5000),
    "NaN": _with(version=None).replace("null", "NaN"),
    "a key twice": '{"tag": "t", "tag": "u", "inputs": []}',
    "an input twice": _with(inputs=[{"kind": "k", "name": "n", "digest": "d"}] * 2),
    "a name of the wrong type": _with(inputs=[{"kind": "k", "name": 1, "digest": "d"}]),
    "files of the wrong type": _with(
        inputs=[{"kind": "k", "name": "n", "digest": "d", "files": 3}]
    ),
    "a version that is a boolean": _with(version=True),
    "inputs that are a map": _with(inputs={"a": 1}),
    "too many inputs": _with(
        inputs=[{"kind": "k", "name": str(i), "digest": "d"} for i in range(10_001)]
    ),
    "19 MB": _with(tag="x" * (19 << 20)),
    "not JSON": "{oops",
    "a list": "[]",
}


@pytest.mark.parametrize("case", list(HOSTILE_LABELS))
def test_a_malformed_label_is_one_label_error_never_another_exception(case: str) -> None:
    with pytest.raises(LabelError) as caught:
        Manifest.from_label(HOSTILE_LABELS[case])
    message = str(caught.value)
    assert len(message) < 200 and "\n" not in message, message


def test_a_well_formed_label_still_reads() -> None:
    manifest = Manifest.from_label(_with())
    assert manifest.tag == "t" and manifest.entries[0].name == "a"


def test_describing_thousands_of_changes_stays_one_short_line() -> None:
    entries = tuple(
        InputEntry("cache-on", "\x1b]0;PWNED\x1b\\" + "n" * 500 + str(i), "d") for i in range(5000)
    )
    line = describe_changes(diff(Manifest("a", ()), Manifest("b", entries)))
    assert len(line) < 3000 and "and 4990 more" in line
    assert "\x1b" not in line
