"""Who may write the cache: ``push``, branch patterns, forks (``ecr_cache_tui.config.push``).

Bad values through the real command line (exit 2, one line) are in
``tests/commands/test_checksum.py``'s ``BAD``; here the decision and the parsing of good values.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.config import parse
from ecr_cache_tui.config.push import (
    branch_allowed,
    glob_matches,
    is_fork,
    normalise_repository,
    write_decision,
)
from ecr_cache_tui.config.sources import from_env

SLUGS = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}
OWN = "git@github.com:acme/web.git"


@pytest.mark.parametrize(
    ("pattern", "branch", "expected"),
    [
        ("main", "main", True),
        ("main", "main2", False),
        ("main", "Main", False),
        ("release/*", "release/1.2", True),
        ("release/*", "release/1/hotfix", True),  # Buildkite's * crosses /
        ("release/*", "release", False),
        ("release/*", "release/", True),
        ("*", "", True),
        ("*-fix", "a/b-fix", True),
        ("*-fix", "a/b-fix2", False),
        ("a*b*c", "abc", True),
        ("a*b*c", "acb", False),
        ("a*a", "a", False),
        ("a*a", "aa", True),
        ("feat?", "feat?", True),  # only * is special
        ("feat?", "feat1", False),
        ("[ab]", "a", False),
    ],
)
def test_branch_globs_match_like_buildkite_branch_filters(
    pattern: str, branch: str, expected: bool
) -> None:
    assert glob_matches(pattern, branch) is expected


def test_matching_many_stars_against_a_long_branch_is_linear() -> None:
    start = time.perf_counter()
    assert not glob_matches("*a" * 40 + "*b", "a" * 255)
    assert time.perf_counter() - start < 0.05


@pytest.mark.parametrize(
    ("patterns", "branch", "expected"),
    [
        (("main", "release/*"), "release/2", True),
        (("main", "release/*"), "feature/x", False),
        (("!gh-pages",), "feature/x", True),
        (("!gh-pages",), "gh-pages", False),
        (("release/*", "!release/old*"), "release/old-1", False),
        (("release/*", "!release/old*"), "release/new", True),
    ],
)
def test_a_leading_bang_excludes(patterns: tuple[str, ...], branch: str, expected: bool) -> None:
    assert branch_allowed(patterns, branch) is expected


@pytest.mark.parametrize(
    "url",
    [
        "git@github.com:acme/web.git",
        "git@github.com:acme/web",
        "https://github.com/acme/web.git",
        "https://github.com/acme/web",
        "https://github.com/acme/web/",
        "https://GitHub.COM/acme/web.git",
        "ssh://git@github.com/acme/web.git",
        "ssh://git@github.com:22/acme/web.git",
        "https://x-token:abc@github.com/acme/web.git",
        "  git@github.com:acme/web.git\n",
    ],
)
def test_every_form_of_one_remote_normalises_alike(url: str) -> None:
    assert normalise_repository(url) == "github.com/acme/web"


@pytest.mark.parametrize(
    ("pull_request_repo", "fork"),
    [
        ("", False),
        ("false", False),
        ("https://github.com/acme/web.git", False),
        ("git://github.com/acme/web.git", False),
        ("https://github.com/mallory/web.git", True),
        ("git@github.com:acme/web-fork.git", True),
        ("https://gitlab.com/acme/web.git", True),
        ("https://github.com/ACME/web.git", True),  # paths may be case-sensitive: not assumed equal
    ],
)
def test_a_fork_is_a_pull_request_from_another_repository(
    pull_request_repo: str, fork: bool
) -> None:
    env = {"BUILDKITE_REPO": OWN, "BUILDKITE_PULL_REQUEST_REPO": pull_request_repo}
    assert is_fork(env) is fork


def test_the_default_writes() -> None:
    decision = write_decision(True, False, {"BUILDKITE_BRANCH": "anything"})
    assert decision.allowed and decision.line() == ""


def test_push_false_says_so() -> None:
    decision = write_decision(False, True, {})
    assert not decision.allowed
    assert decision.line() == "this build does not write the cache: push is false"


def test_a_branch_outside_push_is_named_with_the_patterns() -> None:
    decision = write_decision(("main", "release/*"), False, {"BUILDKITE_BRANCH": "feat/\x1b]0;x"})
    assert not decision.allowed
    assert 'branch "feat/\\u001b]0;x" is not in push (["main", "release/*"])' in decision.line()
    assert "\x1b" not in decision.line()


def test_a_listed_branch_writes() -> None:
    assert write_decision(("main",), False, {"BUILDKITE_BRANCH": "main"}).allowed


def test_no_branch_with_branch_patterns_does_not_write() -> None:
    decision = write_decision(("main",), False, {})
    assert not decision.allowed and "BUILDKITE_BRANCH is not set" in decision.reason


def test_a_fork_never_writes_whatever_push_says() -> None:
    env = {
        "BUILDKITE_BRANCH": "main",
        "BUILDKITE_REPO": OWN,
        "BUILDKITE_PULL_REQUEST_REPO": "https://mallory:tok@github.com/mallory/web.git",
    }
    for push in (True, ("main",)):
        decision = write_decision(push, False, env)
        assert not decision.allowed
        assert "fork" in decision.reason and "push-from-forks is false" in decision.reason
        assert "tok" not in decision.reason  # the fork is named without its user or token


def test_push_from_forks_lets_a_fork_write_where_push_does() -> None:
    env = {"BUILDKITE_BRANCH": "main", "BUILDKITE_REPO": OWN, "BUILDKITE_PULL_REQUEST_REPO": "x"}
    assert write_decision(True, True, env).allowed
    assert not write_decision(("release/*",), True, env).allowed


@pytest.mark.parametrize(
    ("raw", "push"),
    [
        ({}, True),
        ({"push": False}, False),
        ({"push": "main"}, ("main",)),
        ({"push": ["main", "release/*", "!old"]}, ("main", "release/*", "!old")),
    ],
)
def test_push_parses_to_a_bool_or_patterns(
    tmp_path: Path, raw: dict[str, Any], push: object
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    config = parse(raw, SLUGS, tmp_path)
    assert config.push == push
    assert config.push_from_forks is False
    assert config.verify_label == "rebuild"


def test_the_flattened_variables_carry_push_and_its_friends() -> None:
    prefix = "BUILDKITE_PLUGIN_ECR_CACHE_"
    env = {
        f"{prefix}PUSH_0": "main",
        f"{prefix}PUSH_1": "release/*",
        f"{prefix}PUSH_FROM_FORKS": "true",
        f"{prefix}VERIFY_LABEL": "warn",
    }
    assert from_env(env) == {
        "push": ["main", "release/*"],
        "push-from-forks": True,
        "verify-label": "warn",
    }
    assert from_env({f"{prefix}PUSH": "false"}) == {"push": False}
