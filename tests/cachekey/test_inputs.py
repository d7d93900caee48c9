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
