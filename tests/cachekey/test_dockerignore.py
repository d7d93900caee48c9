"""``.dockerignore`` reading and matching against Docker's documented examples (patternmatcher)."""

from __future__ import annotations

import time

import pytest

from ecr_cache_tui.cachekey.dockerignore import compile_ignore, ignore_file, read_ignore


def _excluded(lines: str, path: str) -> bool:
    patterns, _ = read_ignore(lines)
    return compile_ignore(patterns).excluded(path)


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("*/temp*", "somedir/temporary.txt", True),
        ("*/temp*", "somedir/temp", True),
        ("*/temp*", "temp.txt", False),
        ("*/*/temp*", "somedir/subdir/temporary.txt", True),
        ("*/*/temp*", "somedir/temporary.txt", False),
        ("temp?", "tempa", True),
        ("temp?", "tempab", False),
        ("**/*.go", "a/b/c.go", True),
        ("**/*.go", "c.go", True),
        ("**/*.go", "c.gox", False),
        ("node_modules", "node_modules/a/b.js", True),
        ("node_modules", "src/node_modules/a.js", False),
        ("**/node_modules", "src/node_modules/a.js", True),
        ("/leading", "leading", True),
        ("./dotslash/", "dotslash/x", True),
        ("a//b/../c", "a/c", True),
        ("logs/**", "logs/x/y.log", True),
        ("logs/**", "logs", False),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**/b", "a/xb", False),
        ("[a-c]at", "bat", True),
        ("[^a-c]at", "bat", False),
        ("[^a-c]at", "rat", True),
        ("\\*.txt", "*.txt", True),
        ("\\*.txt", "a.txt", False),
        ("*", ".hidden", True),
        ("**", "anything/at/all", True),
        ("[z-a]x", "bx", False),  # a reversed range holds nothing (Go refuses it: no crash here)
        ("[^z-a]x", "bx", True),
        ("**/[z-a]*", "a/b", False),
    ],
)
def test_documented_patterns(pattern: str, path: str, excluded: bool) -> None:
    assert _excluded(pattern, path) is excluded


def test_exceptions_and_the_last_matching_line_wins() -> None:
    lines = "*.md\n!README*.md\nREADME-secret.md\n"
    assert not _excluded(lines, "README.md")
    assert _excluded(lines, "README-secret.md")
    assert _excluded(lines, "notes.md")
    lines = "*.md\nREADME-secret.md\n!README*.md\n"
    assert not _excluded(lines, "README-secret.md")


def test_an_exception_below_an_excluded_directory_reincludes_it() -> None:
    lines = "docs\n!docs/keep.md\n"
    assert _excluded(lines, "docs/other.md")
    assert not _excluded(lines, "docs/keep.md")
    assert compile_ignore(read_ignore(lines)[0]).exclusions


def test_comments_blank_lines_and_a_byte_order_mark() -> None:
    patterns, warnings = read_ignore("\ufeff# comment\n\n  spaced  \n #not a comment\n! neg \n")
    assert patterns == ["spaced", "#not a comment", "!neg"]
    assert warnings == []


def test_ignore_file_prefers_the_one_beside_the_dockerfile() -> None:
    present = {"docker/app.Dockerfile.dockerignore", "ctx/.dockerignore"}
    assert ignore_file("docker/app.Dockerfile", "ctx", present.__contains__) == (
        "docker/app.Dockerfile.dockerignore"
    )
    assert ignore_file("docker/other.Dockerfile", "ctx", present.__contains__) == (
        "ctx/.dockerignore"
    )
    assert ignore_file(None, ".", present.__contains__) is None


def test_hostile_patterns_match_in_linear_time() -> None:
    patterns = ["*a*a*a*a*a*a*a*a*a*a*b", "**/**/**/**/**/**/x*y*z", "[a-z]*?*?*?*c"]
    ignore = compile_ignore(patterns)
    name = "a" * 4000
    deep = "/".join(["a"] * 1000)
    started = time.process_time()
    assert not ignore.excluded(name)
    assert not ignore.excluded(deep)
    assert time.process_time() - started < 5  # a bound on hostile input, not a speed claim
