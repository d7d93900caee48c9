"""``cache-on`` globbing matches real bash (globstar on, dotglob off, nullglob on).

The expected answer is not written down: each test runs ``bash -O globstar -O nullglob`` over
the same fixture tree and compares. Order is not compared (bash sorts by locale collation, we
by UTF-8 bytes; a separate test pins ours).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecr_cache_tui.cachekey import globbing
from ecr_cache_tui.cachekey.globbing import PatternError, compile_pattern, expand

BASH = shutil.which("bash")

# Expand "$1" with no word splitting, keep only what exists (bash leaves a pattern without
# wildcards as it is, existing or not), print NUL-separated.
_BASH_EXPAND = r"""
shopt -s globskipdots 2>/dev/null || true
IFS=
words=( $1 )
for w in "${words[@]}"; do
  if [[ -e $w || -L $w ]]; then printf '%s\0' "$w"; fi
done
"""

FILES = [
    "package.json",
    "package-lock.json",
    ".hidden.json",
    ".config/settings.json",
    ".config/nested/deep.json",
    "apps/web/package.json",
    "apps/web/src/index.ts",
    "apps/web/src/util.js",
    "apps/web/.env",
    "apps/api/package.json",
    "apps/api/node_modules/left-pad/package.json",
    "apps/api/.cache/package.json",
    "libs/[weird]/package.json",
    "libs/sp ace/package.json",
    "libs/sp ace/file with spaces.txt",
    "libs/ünïcödé/package.json",
    "libs/日本/データ.json",
    "libs/a?b/x.json",
    "libs/star*/x.json",
    "libs/-dash/x.json",
    "libs/UPPER/X.json",
    "docs/README.md",
    "docs/.hidden-dir/x.md",
    "deep/a/b/c/d/e/f.json",
    "real/f.json",
    "real/sub/f.json",
]

PATTERNS = [
    "**/package.json",
    "package.json",
    "*.json",
    ".*",
    ".*.json",
    "**/*.json",
    "**",
    "**/",
    "*/",
    "apps/**",
    "apps/**/",
    "apps/**/package.json",
    "apps/*/package.json",
    "*/web/*",
    "apps/web/.*",
    "**/.env",
    "**/.*",
    ".config/**",
    ".config/**/*.json",
    "libs/*/package.json",
    "libs/[[]weird]/*",
    "libs/sp ace/*",
    "libs/sp ace/file with spaces.txt",
    "libs/ü*/*",
    "libs/*/*.json",
    "libs/??/*",
    "libs/a[?]b/*",
    "libs/star[*]/*",
    "libs/[!a-z]*/*",
    "libs/[^a-z]*/*",
    "libs/[a-z]*/x.json",
    "libs/[[:upper:]]*/*",
    "libs/*[[:digit:][:alpha:]]*/*.json",
    "libs/*/[!.]*",
    "docs/*",
    "docs/**",
    "docs/**/*.md",
    "linked/*",
    "linked/**",
    "**/linked",
    "*/f.json",
    "*/api/*/*",
    "deep/**/f.json",
    "deep/**/e/*",
    "**/e/f.json",
    "**/f.json",
    "**/**/f.json",
    "missing.json",
    "missing/**",
    "empty-dir/*",
    "empty-dir/**",
    "dangling",
    "*ling*",
    "file-link.json",
    "./apps/*/package.json",
    "**/*.[jt]s",
    "**/src/*.?s",
    "apps/api/loop/*/package.json",
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("glob tree")  # a space in the root path, on purpose
    for name in FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    (root / "empty-dir").mkdir()
    (root / "linked").symlink_to("real", target_is_directory=True)
    (root / "apps/api/loop").symlink_to("..", target_is_directory=True)
    (root / "dangling").symlink_to("nowhere")
    (root / "file-link.json").symlink_to("package.json")
    return root


def _bash(root: Path, pattern: str) -> list[str]:
    assert BASH is not None
    out = subprocess.run(
        [BASH, "-O", "globstar", "-O", "nullglob", "-c", _BASH_EXPAND, "bash", pattern],
        cwd=root,
        capture_output=True,
        check=True,
        env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
    ).stdout
    paths = set()
    for raw in out.split(b"\0")[:-1]:
        text = raw.decode("utf-8", "surrogateescape").rstrip("/")
        paths.add(text.removeprefix("./"))
    return sorted(paths)


def _ours(root: Path, pattern: str) -> list[str]:
    return sorted(m.path for m in expand(root, compile_pattern(pattern)))


@pytest.mark.skipif(BASH is None, reason="needs bash")
@pytest.mark.parametrize("pattern", PATTERNS)
def test_matches_are_those_of_bash_globstar(tree: Path, pattern: str) -> None:
    assert _ours(tree, pattern) == _bash(tree, pattern)


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_the_comparison_is_not_vacuous(tree: Path) -> None:
    non_empty = [p for p in PATTERNS if _bash(tree, p)]
    assert len(PATTERNS) >= 40
    assert len(non_empty) >= 35


def test_globstar_does_not_descend_into_symlinked_directories(tree: Path) -> None:
    paths = _ours(tree, "**/f.json")
    assert "real/f.json" in paths
    assert not [p for p in paths if p.startswith(("linked/", "apps/api/loop/"))]


def test_a_named_symlinked_directory_is_followed(tree: Path) -> None:
    assert _ours(tree, "linked/*.json") == ["linked/f.json"]


def test_hidden_files_need_a_leading_dot_in_the_pattern(tree: Path) -> None:
    assert ".hidden.json" not in _ours(tree, "*.json")
    assert ".hidden.json" in _ours(tree, ".*.json")
    assert "apps/api/.cache/package.json" not in _ours(tree, "**/package.json")


def test_matches_are_sorted_by_utf8_bytes(tree: Path) -> None:
    paths = [m.path for m in expand(tree, compile_pattern("libs/*/*.json"))]
    assert paths == sorted(paths, key=lambda p: p.encode())
    assert paths.index("libs/[weird]/package.json") < paths.index("libs/ünïcödé/package.json")


def test_trailing_slash_matches_directories_only(tree: Path) -> None:
    matches = expand(tree, compile_pattern("apps/*/"))
    assert {m.path for m in matches} == {"apps/api", "apps/web"}
    assert all(m.is_dir for m in matches)


@pytest.mark.parametrize(
    "pattern",
    ["/etc/passwd", "../outside.json", "a/../../b", "sub/..", "", ".", "./", "//"],
)
def test_patterns_outside_the_checkout_or_empty_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


# -- matching time and bounds --------------------------------------------------------------

# A backtracking matcher (a regular expression of `.*`) takes seconds on the first and longer
# than any test timeout on the others; ours answers each in well under a millisecond
# (bench/glob_bench.py measures both).
PATHOLOGICAL = [
    ("*a*a*a*a*b", "a" * 200),
    ("*a" * 20 + "*b", "a" * 255),
    ("*?" * 20 + "*b", "a" * 255),
    ("*" + "[[:alpha:][:alnum:][:word:]]" * 12 + "b*", "a" * 255),
]


@pytest.mark.parametrize(("pattern", "name"), PATHOLOGICAL)
def test_many_stars_against_a_long_name_answer_like_bash(
    tmp_path: Path, pattern: str, name: str
) -> None:
    (tmp_path / name).write_text("x")
    (tmp_path / (name[:-1] + "b")).write_text("x")
    assert _ours(tmp_path, pattern) == [name[:-1] + "b"]
    if BASH is not None and pattern.count("*") <= 5:
        assert _bash(tmp_path, pattern) == [name[:-1] + "b"]


def _reference(component: str, name: str) -> bool:
    """What a backtracking regular expression says (fine for the short names drawn here)."""
    regex = ".*".join("".join(segment) for segment in globbing._segments(component))
    return re.fullmatch(regex, name, re.DOTALL) is not None


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(
    component=st.lists(
        st.sampled_from(["*", "?", "a", "b", ".", "[ab]", "[!a]", "[[:alpha:]]", "\\*"]),
        min_size=1,
        max_size=7,
    ).map("".join),
    name=st.text(alphabet="ab.*", max_size=9),
)
def test_the_linear_matcher_agrees_with_a_regular_expression(component: str, name: str) -> None:
    assert globbing._Glob.compile(component).matches(name) == _reference(component, name)


def test_a_pattern_over_the_match_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(30):
        (tmp_path / f"f{i}").write_text("x")
    monkeypatch.setattr(globbing, "MAX_MATCHES", 29)
    with pytest.raises(globbing.TooManyMatches, match="more than 29 paths"):
        expand(tmp_path, compile_pattern("**"))
    monkeypatch.setattr(globbing, "MAX_MATCHES", 30)
    assert len(expand(tmp_path, compile_pattern("**"))) == 30


@pytest.mark.parametrize("pattern", ["**/x.json", "**/*.json", "**", "*/*"])
def test_a_walk_over_the_entry_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str
) -> None:
    for i in range(30):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "other").write_text("x")
    monkeypatch.setattr(globbing, "MAX_WALKED", 50)
    with pytest.raises(globbing.TooManyMatches, match="more than 50 directory entries"):
        expand(tmp_path, compile_pattern(pattern))
