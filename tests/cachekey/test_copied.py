"""Which context files each COPY/ADD source reads (the daemon's view is in test_copied_docker)."""

from __future__ import annotations

import os
from pathlib import Path

from ecr_cache_tui.cachekey.copied import copied_sources, go_match
from ecr_cache_tui.cachekey.dockerfile import read_dockerfile
from ecr_cache_tui.cachekey.dockerignore import compile_ignore, read_ignore


def _tree(root: Path, files: list[str]) -> None:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)


def _copied(root: Path, dockerfile: str, ignore: str = "") -> dict[str, list[str]]:
    reading = read_dockerfile(dockerfile)
    sources, _ = copied_sources(os.fsencode(root), reading, compile_ignore(read_ignore(ignore)[0]))
    return {s.key: [f.path for f in s.files] for s in sources}


def test_whole_context_less_what_is_ignored(tmp_path: Path) -> None:
    _tree(tmp_path, ["a.txt", "src/b.py", "node_modules/x/y.js", "docs/keep.md", "docs/drop.md"])
    ignore = "node_modules\ndocs\n!docs/keep.md\n"
    assert _copied(tmp_path, "FROM scratch\nCOPY . /app\n", ignore) == {
        ".": ["a.txt", "docs/keep.md", "src/b.py"]
    }


def test_a_directory_a_file_and_a_missing_source(tmp_path: Path) -> None:
    _tree(tmp_path, ["src/a.py", "src/sub/b.py", "package.json", "other"])
    reading = read_dockerfile("FROM scratch\nCOPY package.json ./src/ missing /app/\n")
    sources, _ = copied_sources(os.fsencode(tmp_path), reading, compile_ignore([]))
    assert [(s.key, [f.path for f in s.files], s.found) for s in sources] == [
        ("package.json", ["package.json"], True),
        ("src", ["src/a.py", "src/sub/b.py"], True),
        ("missing", [], False),
    ]


def test_an_ignored_source_is_not_found(tmp_path: Path) -> None:
    _tree(tmp_path, ["secret.env", "dir/x"])
    reading = read_dockerfile("FROM scratch\nCOPY secret.env dir/x /app/\n")
    ignore = compile_ignore(["*.env", "dir"])
    sources, _ = copied_sources(os.fsencode(tmp_path), reading, ignore)
    assert [(s.files, s.found) for s in sources] == [((), False), ((), False)]


def test_wildcards_follow_go_filepath_match(tmp_path: Path) -> None:
    _tree(tmp_path, ["a.txt", ".hidden.txt", "sub/b.txt", "sub/deep/c.txt", "x1", "x2", "y1"])
    assert _copied(tmp_path, "FROM scratch\nCOPY *.txt [xy]1 sub/*/*.txt /d/\n") == {
        "*.txt": [".hidden.txt", "a.txt"],
        "[xy]1": ["x1", "y1"],
        "sub/*/*.txt": ["sub/deep/c.txt"],
    }
    assert _copied(tmp_path, "FROM scratch\nCOPY ** /d/\n")["**"] == [
        ".hidden.txt",
        "a.txt",
        "sub/b.txt",
        "sub/deep/c.txt",
        "x1",
        "x2",
        "y1",
    ]


def test_go_match() -> None:
    assert go_match("*.txt", ".a.txt")
    assert go_match("a*b*c", "aXbYc")
    assert not go_match("a*b*c", "aXbY")
    assert go_match("[^a-c]?", "dz")
    assert not go_match("[^a-c]?", "bz")
    assert go_match("\\*", "*")
    assert not go_match("*a*a*a*a*a*a*a*a*b", "a" * 255)


def test_sources_of_unneeded_stages_and_from_copies_are_not_read(tmp_path: Path) -> None:
    _tree(tmp_path, ["used", "unused"])
    text = (
        "FROM scratch AS other\nCOPY unused /\n"
        "FROM scratch AS b\nCOPY used /\n"
        "FROM scratch\nCOPY --from=b /used /\n"
    )
    assert _copied(tmp_path, text) == {"used": ["used"]}


def test_links_are_listed_not_followed(tmp_path: Path) -> None:
    _tree(tmp_path, ["dir/real.txt", "target/t.txt"])
    (tmp_path / "dir" / "out").symlink_to("/etc")
    (tmp_path / "dir" / "to-target").symlink_to("../target")
    (tmp_path / "link").symlink_to("target")
    reading = read_dockerfile("FROM scratch\nCOPY dir link /d/\n")
    sources, _ = copied_sources(os.fsencode(tmp_path), reading, compile_ignore([]))
    listed = {s.key: [(f.path, f.link) for f in s.files] for s in sources}
    assert listed == {
        "dir": [("dir/out", True), ("dir/real.txt", False), ("dir/to-target", True)],
        "link": [("target/t.txt", False)],
    }


def test_exclude_and_parents_flags(tmp_path: Path) -> None:
    _tree(tmp_path, ["src/a.py", "src/a.md", "src/x/b.md", "pkg/one/package.json", "pkg/two/x"])
    text = (
        "FROM scratch\n"
        "COPY --exclude=*.md --exclude=x src /d/\n"
        "COPY --parents pkg/**/package.json /d/\n"
        "COPY --parents ./pkg/./two /d/\n"
    )
    assert _copied(tmp_path, text) == {
        "src --exclude=*.md --exclude=x": ["src/a.py"],
        "pkg/**/package.json --parents": ["pkg/one/package.json"],
        "pkg/two --parents": ["pkg/two/x"],
    }
