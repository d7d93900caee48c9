"""The one rendering of a diff (CLI and TUI): each input old → new, in words a person reads."""

from __future__ import annotations

from ecr_cache_tui.cachekey.baseimages import BaseImage, base_image_entry
from ecr_cache_tui.cachekey.diffrows import ABSENT, DiffRow, diff_rows
from ecr_cache_tui.cachekey.inputs import (
    BUILD_ARG,
    CACHE_ON,
    DOCKERFILE,
    PLATFORM,
    Change,
    FileDigest,
    InputEntry,
    Manifest,
    diff,
)


def _m(*entries: InputEntry) -> Manifest:
    return Manifest(tag="t" * 32, entries=entries)


def _rows(old: Manifest, new: Manifest) -> dict[str, DiffRow]:
    return {row.label: row for row in diff_rows(diff(old, new))}


def test_a_literal_build_arg_shows_its_old_and_new_value() -> None:
    rows = _rows(
        _m(InputEntry(BUILD_ARG, "PYTHON_VERSION", "a" * 32, value="3.11")),
        _m(InputEntry(BUILD_ARG, "PYTHON_VERSION", "b" * 32, value="3.12")),
    )
    row = rows["build arg PYTHON_VERSION"]
    assert (row.mark, row.old, row.new) == ("~", "3.11", "3.12")


def test_a_build_arg_from_the_environment_shows_digests_only() -> None:
    rows = _rows(
        _m(InputEntry(BUILD_ARG, "TOKEN", "a" * 32, note="from environment")),
        _m(InputEntry(BUILD_ARG, "TOKEN", "b" * 32, note="unset in environment")),
    )
    row = rows["build arg TOKEN"]
    assert (row.old, row.new) == ("a" * 12, "b" * 12 + " · unset")


def test_an_empty_or_padded_literal_value_is_quoted() -> None:
    rows = _rows(
        _m(InputEntry(BUILD_ARG, "X", "a" * 32, value="")),
        _m(InputEntry(BUILD_ARG, "X", "b" * 32, value=" y")),
    )
    assert (rows["build arg X"].old, rows["build arg X"].new) == ('""', '" y"')


def test_a_pattern_shows_digest_and_file_count_then_each_changed_file() -> None:
    old = _m(
        InputEntry(
            CACHE_ON,
            "**/package.json",
            "1" * 32,
            files=(FileDigest("a/package.json", "a1" * 16), FileDigest("b/package.json", "b" * 32)),
            note="2 files",
        )
    )
    new = _m(
        InputEntry(
            CACHE_ON,
            "**/package.json",
            "2" * 32,
            files=(
                FileDigest("a/package.json", "a2" * 16),
                FileDigest("b/package.json", "b" * 32),
                FileDigest("c/package.json", "c" * 32),
            ),
            note="3 files",
        )
    )
    rows = diff_rows(diff(old, new))
    assert [(r.label, r.mark, r.old, r.new, r.is_file) for r in rows] == [
        ("**/package.json", "~", "1" * 12 + " · 2 files", "2" * 12 + " · 3 files", False),
        ("a/package.json", "~", "a1" * 6, "a2" * 6, True),
        ("c/package.json", "+", ABSENT, "c" * 12, True),
    ]


def test_a_lone_file_pattern_is_not_listed_again_under_itself() -> None:
    def lock(d: str) -> InputEntry:
        files = (FileDigest("package-lock.json", d),)
        return InputEntry(CACHE_ON, "package-lock.json", d, files=files, note="1 file")

    rows = diff_rows(diff(_m(lock("1" * 32)), _m(lock("2" * 32))))
    assert [(r.label, r.old, r.new) for r in rows] == [
        ("package-lock.json", "1" * 12 + " · 1 file", "2" * 12 + " · 1 file")
    ]


def test_a_changed_platform_is_one_change_from_the_old_value_to_the_new() -> None:
    def platform(p: str) -> InputEntry:
        return InputEntry(PLATFORM, p, p.replace("/", "") * 2)

    rows = diff_rows(diff(_m(platform("linux/amd64")), _m(platform("linux/arm64"))))
    assert [(r.status, r.label, r.name, r.old, r.new) for r in rows] == [
        ("changed", "platform", "", "linux/amd64", "linux/arm64")
    ]


def test_a_moved_dockerfile_says_from_where() -> None:
    rows = diff_rows(
        diff(
            _m(InputEntry(DOCKERFILE, "Dockerfile", "a" * 32)),
            _m(InputEntry(DOCKERFILE, "ci/Dockerfile", "b" * 32)),
        )
    )
    assert [(r.status, r.old, r.new) for r in rows] == [
        ("changed", "Dockerfile " + "a" * 12, "ci/Dockerfile " + "b" * 12)
    ]


def test_added_and_removed_inputs_have_one_absent_side() -> None:
    rows = _rows(
        _m(InputEntry(BUILD_ARG, "OLD", "a" * 32, value="1")),
        _m(InputEntry(BUILD_ARG, "NEW", "b" * 32, value="2")),
    )
    assert (rows["build arg NEW"].mark, rows["build arg NEW"].old) == ("+", ABSENT)
    assert (rows["build arg OLD"].mark, rows["build arg OLD"].new) == ("-", ABSENT)
    assert (rows["build arg OLD"].old, rows["build arg NEW"].new) == ("1", "2")


def test_unchanged_inputs_show_the_same_on_both_sides() -> None:
    entry = InputEntry(DOCKERFILE, "Dockerfile", "d" * 32)
    (row,) = diff_rows(diff(_m(entry), _m(entry)))
    assert (row.mark, row.old, row.new) == (" ", "d" * 12, "d" * 12)


def test_a_base_image_shows_the_digest_it_resolved_to_old_to_new() -> None:
    old = base_image_entry(BaseImage("node:20", "sha256:" + "a" * 64))
    new = base_image_entry(BaseImage("node:20", "sha256:" + "b" * 64))
    (row,) = diff_rows([Change("changed", old, new)])
    assert (row.label, row.old, row.new) == (
        "base image node:20",
        "sha256:" + "a" * 32 + "…",
        "sha256:" + "b" * 32 + "…",
    )
    unresolved = base_image_entry(BaseImage("node:20", None, "refused"))
    (row,) = diff_rows([Change("changed", old, unresolved)])
    assert row.new == "not resolved"
