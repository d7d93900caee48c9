"""The Dockerfile reader against what the real daemon copies into a built image.

Every context file holds ``ctx:<its path>``, so the files of a built ``FROM scratch`` image,
read back with ``docker create`` + ``docker export``, name the context files Docker copied,
wherever the Dockerfile put them. Each case is built by the legacy builder (``docker`` 20.10
with ``DOCKER_BUILDKIT=0``, and ``docker`` 28's classic builder when installed) and BuildKit
(dockerd 20.10's), and the reader's list must equal each builder's.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest

from ecr_cache_tui.cachekey.copied import copied_sources
from ecr_cache_tui.cachekey.dockerfile import read_dockerfile
from ecr_cache_tui.cachekey.dockerignore import compile_ignore, ignore_file, read_ignore
from tests.services import Services

MARK = b"ctx:"
DOCKER_28 = "/usr/local/bin/docker"

BUILDERS = ["legacy", "buildkit"] + (["legacy-28"] if Path(DOCKER_28).exists() else [])

CONTEXT = [
    "package.json",
    "package-lock.json",
    "README.md",
    "CHANGES.md",
    "docs/guide.md",
    "docs/keep.txt",
    "docs/drop.txt",
    "src/app.py",
    "src/util/helpers.py",
    "src/util/cache.tmp",
    "src/.hidden",
    "lib/lib.py",
    "a1.json",
    "b2.json",
    "c3.yaml",
    "with space/file.txt",
    "assets/logo.svg",
    "unused/only.txt",
    "build/app.Dockerfile",
]

CASES: dict[str, dict[str, object]] = {
    "multi-stage with a target and COPY --from": {
        "dockerfile": (
            "FROM scratch AS deps\nCOPY package.json package-lock.json /deps/\n"
            "FROM scratch AS unused\nCOPY unused /unused/\n"
            "FROM scratch AS app\nCOPY --from=deps /deps /deps\nCOPY src /app/src\n"
            "FROM scratch AS last\nCOPY assets /assets\n"
        ),
        "target": "app",
    },
    "escape directive and continuations": {
        "dockerfile": (
            "# escape=`\nFROM scratch\nCOPY package.json `\n  # a comment inside\n"
            "  src/app.py `\n  /out/\n"
        ),
    },
    "ARG and ENV in sources, build args given": {
        "dockerfile": (
            "ARG BASE=scratch\nFROM $BASE\nARG DIR=src\nARG NAME\nENV DOCS=docs\n"
            "COPY ${DIR}/ /code/\nCOPY ${DOCS}/keep.txt ${NAME:-README}.md /out/\n"
        ),
        "build_args": {"DIR": "lib", "NAME": "CHANGES"},
    },
    ".dockerignore with exceptions": {
        "dockerfile": "FROM scratch\nCOPY . /all/\n",
        "ignore": "# comment\n*.md\n!README.md\ndocs\n!docs/keep.txt\n**/*.tmp\n/unused\nbuild\n",
    },
    "wildcards, JSON form and a directory's dot-files": {
        "dockerfile": (
            'FROM scratch\nCOPY *.json [c]?.yaml /w/\nCOPY ["with space/file.txt", "/s/"]\n'
            "COPY src/ /src/\n"
        ),
    },
}


def _context(root: Path) -> None:
    for rel in CONTEXT:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(MARK + rel.encode())


def _write(root: Path, rel: str, text: str) -> None:
    """A Dockerfile or ignore file that names itself on a line of its own (a comment)."""
    (root / rel).write_bytes(text.encode() + b"# " + MARK + rel.encode() + b"\n")


def _cli(services: Services, builder: str) -> tuple[list[str], dict[str, str]]:
    if builder == "legacy-28":
        return [DOCKER_28], services.docker_cli("legacy")[1]
    return services.docker_cli("buildkit" if builder == "buildkit" else "legacy")


def _built_files(
    services: Services,
    builder: str,
    context: Path,
    dockerfile: str,
    *,
    target: str | None,
    build_args: dict[str, str],
) -> set[str]:
    argv, env = _cli(services, builder)
    tag = f"local/copied-{uuid.uuid4().hex[:12]}"
    command = [*argv, "build", "-q", "-t", tag, "-f", str(context / dockerfile)]
    if target:
        command += ["--target", target]
    for name, value in build_args.items():
        command += ["--build-arg", f"{name}={value}"]
    done = subprocess.run(
        [*command, str(context)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    try:
        created = subprocess.run(
            [*argv, "create", tag, "/none"], env=env, capture_output=True, text=True, check=True
        )
        container = created.stdout.strip()
        exported = subprocess.run(
            [*argv, "export", container], env=env, capture_output=True, check=True
        )
        subprocess.run([*argv, "rm", container], env=env, capture_output=True, check=True)
    finally:
        subprocess.run([*argv, "rmi", "-f", tag], env=env, capture_output=True, check=False)
    found: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(exported.stdout)) as tar:
        for member in tar:
            if not member.isfile():
                continue
            data = tar.extractfile(member)
            assert data is not None
            for line in data.read(1 << 16).splitlines():
                line = line.removeprefix(b"# ")
                if line.startswith(MARK):
                    found.add(line[len(MARK) :].decode())
    return found


def _read_files(
    context: Path, dockerfile: str, *, target: str | None, build_args: dict[str, str]
) -> set[str]:
    reading = read_dockerfile(
        (context / dockerfile).read_text(), build_args=build_args, target=target
    )
    assert reading.warnings == ()
    chosen = ignore_file(dockerfile, ".", lambda rel: (context / rel).is_file())
    patterns = read_ignore((context / chosen).read_text())[0] if chosen else []
    sources, problems = copied_sources(os.fsencode(context), reading, compile_ignore(patterns))
    assert problems == ()
    return {f.path for s in sources for f in s.files}


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_reader_lists_what_docker_copies(
    services: Services, tmp_path: Path, case: str, builder: str
) -> None:
    spec = CASES[case]
    _context(tmp_path)
    _write(tmp_path, "Dockerfile", str(spec["dockerfile"]))
    if "ignore" in spec:
        _write(tmp_path, ".dockerignore", str(spec["ignore"]))
    target = spec.get("target")
    assert target is None or isinstance(target, str)
    build_args = spec.get("build_args", {})
    assert isinstance(build_args, dict)
    copied = _built_files(
        services, builder, tmp_path, "Dockerfile", target=target, build_args=build_args
    )
    assert copied  # the case copies something: an empty set would prove nothing
    assert _read_files(tmp_path, "Dockerfile", target=target, build_args=build_args) == copied


def test_a_dockerfile_specific_ignore_file_wins_with_buildkit(
    services: Services, tmp_path: Path
) -> None:
    """BuildKit's rule (the legacy builders here, 20.10 and 28, read only ``.dockerignore``)."""
    _context(tmp_path)
    _write(tmp_path, ".dockerignore", "src\n")
    _write(tmp_path, "build/app.Dockerfile", "FROM scratch\nCOPY . /all/\n")
    _write(tmp_path, "build/app.Dockerfile.dockerignore", "docs\nassets\n")
    dockerfile = "build/app.Dockerfile"
    copied = _built_files(services, "buildkit", tmp_path, dockerfile, target=None, build_args={})
    read = _read_files(tmp_path, dockerfile, target=None, build_args={})
    assert read == copied
    assert "docs/keep.txt" not in read


def _checksum(checkout: Path, config: Mapping[str, object]) -> str:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "BUILDKITE_ORGANIZATION_SLUG": "acme",
        "BUILDKITE_PIPELINE_SLUG": "web",
    }
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ecr_cache_tui", "checksum", "--platform", "linux/amd64"),
            *("--config", json.dumps(config), "--checkout", str(checkout)),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[0]


@pytest.mark.parametrize("builder", ["legacy", "buildkit"])
def test_the_key_changes_exactly_when_docker_would_copy_a_change(
    services: Services, tmp_path: Path, builder: str
) -> None:
    _context(tmp_path)
    spec = CASES[".dockerignore with exceptions"]
    _write(tmp_path, "Dockerfile", str(spec["dockerfile"]))
    _write(tmp_path, ".dockerignore", str(spec["ignore"]))
    config = {"cache-on-copied": True}
    copied = _built_files(services, builder, tmp_path, "Dockerfile", target=None, build_args={})
    tag = _checksum(tmp_path, config)
    for rel in sorted(CONTEXT):
        path = tmp_path / rel
        before = path.read_bytes()
        path.write_bytes(before + b" changed")
        try:
            changed = _checksum(tmp_path, config) != tag
        finally:
            path.write_bytes(before)
        assert changed is (rel in copied), rel
