"""Generate the checksum benchmark's monorepo (issue 3), once; reused while its marker matches.

At scale 1: 2,000 packages of 10 directories and 100 files each (200,000 files in 20,000
directories, plus the top levels), one ``package.json`` per package, and a 50 MB
``package-lock.json`` at the root. Scale 0.25 and 0.5 shrink all of it proportionally (for the
linearity check). Content is deterministic, so two generations hash the same.

    python bench/checksum_tree.py [--scale 1] [--root /tmp/ecr-cache-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

PACKAGES = 2000
SUBDIRS = (
    "src",
    "src/lib",
    "src/lib/util",
    "src/components",
    "test",
    "test/fixtures",
    "docs",
    "scripts",
    "assets",
)
FILES_PER_DIR = 10  # the package root holds package.json + 9 more
LOCK_BYTES = 50 * 1024 * 1024
GROUPS = 20
VERSION = "1"  # bump when the layout changes: old trees are regenerated


def tree_path(root: Path, scale: float) -> Path:
    """Where the tree of ``scale`` lives under ``root``."""
    return root / f"monorepo-x{scale:g}"


def ensure_tree(root: Path, scale: float) -> Path:
    """The tree of ``scale``, generated if missing or stale."""
    path = tree_path(root, scale)
    marker = path / ".bench-complete"
    expected = f"{VERSION} {scale:g}"
    if marker.is_file() and marker.read_text() == expected:
        return path
    if path.exists():
        shutil.rmtree(path)
    packages = max(1, round(PACKAGES * scale))
    for p in range(packages):
        package = path / "packages" / f"group-{p % GROUPS:02d}" / f"pkg-{p:05d}"
        _write_package(package, p)
    (path / "Dockerfile").write_text("FROM node:20\nCOPY package.json package-lock.json ./\n")
    _write_lock(path / "package-lock.json", round(LOCK_BYTES * scale), packages)
    (path / "package.json").write_text(json.dumps({"name": "monorepo", "private": True}))
    marker.write_text(expected)
    return path


def _write_package(package: Path, p: int) -> None:
    package.mkdir(parents=True)
    manifest = {"name": f"@acme/pkg-{p:05d}", "version": f"1.{p % 50}.0", "dependencies": {}}
    (package / "package.json").write_text(json.dumps(manifest, indent=2))
    for i in range(FILES_PER_DIR - 1):
        _write_file(package / f"file-{i}.js", p, i)
    for d, sub in enumerate(SUBDIRS):
        directory = package / sub
        directory.mkdir(parents=True, exist_ok=True)
        for i in range(FILES_PER_DIR):
            _write_file(directory / f"module-{i}.ts", p, d * 100 + i)


def _write_file(path: Path, p: int, i: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, f"// package {p} file {i}\nexport const value = {p * 1000 + i};\n".encode())
    finally:
        os.close(fd)


def _write_lock(path: Path, size: int, packages: int) -> None:
    with path.open("w") as f:
        f.write('{\n  "name": "monorepo",\n  "lockfileVersion": 3,\n  "packages": {\n')
        written, n = 0, 0
        while written < size:
            entry = (
                f'    "node_modules/dep-{n:07d}": {{"version": "{n % 9}.{n % 97}.{n % 13}", '
                f'"resolved": "https://registry.npmjs.org/dep-{n:07d}/-/dep-{n:07d}.tgz", '
                f'"integrity": "sha512-{n:0>86d}"}},\n'
            )
            f.write(entry)
            written += len(entry)
            n += 1
        f.write(f'    "": {{"workspaces": {packages}}}\n  }}\n}}\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--root", type=Path, default=Path("/tmp/ecr-cache-bench"))
    args = parser.parse_args()
    print(ensure_tree(args.root, args.scale))


if __name__ == "__main__":
    main()
