"""Benchmark ``cache-on-copied`` against the floor, and the Dockerfile reader (issue 21, item 7).

1. The 200,000-file monorepo of bench/checksum_tree.py (its own copy under ``--root``), with a
   Dockerfile that does ``COPY . /app`` and a ``.dockerignore`` excluding half of the packages
   (``packages/group-0*``: 10 of 20 groups), is hashed side by side in one run by:

   * ``engine (ecr-cache checksum)``: ``python -m ecr_cache_tui checksum`` with
     ``cache-on-copied: true``, a subprocess as a user or the hook pays for it (interpreter
     start, imports, the Dockerfile and ignore file read, the walk, every copied file hashed);
   * ``floor (find + cat)``: ``find`` pruning the same directories and ``cat`` of every file
     it lists to /dev/null: what reading the copied files costs at the least.

   Each runs once to warm the page cache, then round-robin ``--runs`` times; medians reported.
   The number of files each read is checked to be the same.

2. Reading a 300-line Dockerfile with 40 ``COPY`` lines and a 200-line ``.dockerignore``
   (:func:`read_dockerfile`, :func:`read_ignore`, :func:`compile_ignore`, and the 200 patterns
   matched once against a path), in process, ``--reads`` times; the median and the slowest.

    python bench/copied_bench.py [--runs 5] [--reads 200] [--write bench/RESULTS-copied.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checksum_bench import Contender, measure
from checksum_tree import ensure_tree

from ecr_cache_tui.cachekey.dockerfile import read_dockerfile
from ecr_cache_tui.cachekey.dockerignore import compile_ignore, read_ignore

PLATFORM = "linux/amd64"
CONFIG = json.dumps({"cache-on-copied": True})
DOCKERFILE = "FROM node:20\nWORKDIR /app\nCOPY . /app\n"
IGNORE = "# half of the packages\npackages/group-0*\n"

FLOOR = r"""
set -euo pipefail
cd "$1"
find . -path './packages/group-0*' -prune -o -type f -print0 | xargs -0 cat >/dev/null
"""
FLOOR_COUNT = r"""
cd "$1"
find . -path './packages/group-0*' -prune -o -type f -print | wc -l
"""


class Engine(Contender):
    """``ecr-cache checksum`` with ``cache-on-copied``; counts the files it hashed."""

    def __init__(self, tree: Path) -> None:
        cli = [sys.executable, "-m", "ecr_cache_tui", "checksum", "--platform", PLATFORM]
        super().__init__(
            "engine (ecr-cache checksum, cache-on-copied)",
            [*cli, "--config", CONFIG, "--checkout", str(tree)],
        )

    def once(self) -> float:
        start = time.perf_counter()
        proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{self.name} failed")
        self.rss_mb = max(self.rss_mb, usage.ru_maxrss / 1024)
        self.last_cpu = usage.ru_utime + usage.ru_stime
        copied = [line for line in out.splitlines() if line.startswith("copied")]
        self.files = int(copied[0].rsplit(", ", 1)[1].split()[0])
        return elapsed


def prepare(root: Path) -> Path:
    tree = ensure_tree(root, 1.0)
    (tree / "Dockerfile").write_text(DOCKERFILE)
    (tree / ".dockerignore").write_text(IGNORE)
    return tree


def big_dockerfile() -> tuple[str, str]:
    """A 300-line Dockerfile with 40 COPY lines, and a 200-line .dockerignore."""
    lines = ["# syntax=docker/dockerfile:1", "ARG NODE=20", "ARG APP=/srv/app"]
    for stage in range(4):
        lines += [f"FROM node:${{NODE}} AS stage{stage}", "ARG APP", f"ENV STAGE={stage}"]
        for i in range(10):
            flag = f"--from=stage{stage - 1} " if stage and i == 0 else ""
            lines.append(f"COPY {flag}packages/group-{i:02d}/pkg-{stage}*/ ${{APP}}/{i}/")
            if i >= 7:
                continue
            lines += [
                "RUN set -eux; \\",
                "    npm ci --prefix ${APP} \\",
                "    # a comment inside the continuation",
                "      && npm run build --prefix ${APP}",
                "RUN <<EOF",
                "echo heredoc body",
                "EOF",
            ]
    while len(lines) < 300:
        lines.append(f"LABEL line{len(lines)}=value")
    ignore = []
    for i in range(200):
        kind = i % 5
        ignore.append(
            [
                f"packages/group-{i % 20:02d}/pkg-{i:05d}/docs",
                f"**/*.tmp{i}",
                f"!packages/group-{i % 20:02d}/keep{i}",
                f"assets/*/[a-f]{i}?.bin",
                f"build{i}/**",
            ][kind]
        )
    return "\n".join(lines) + "\n", "\n".join(ignore) + "\n"


def reading_times(reads: int) -> tuple[float, float, float, int, int]:
    """Median wall and CPU seconds, and the slowest wall, of reading both files ``reads`` times.

    Reading: the Dockerfile parsed for its last stage (stages, substitution, the 40 ``COPY``),
    the ignore file read and each of its 200 patterns compiled (a pattern compiles on first
    use: each is asked once about one path). Each read is of fresh copies of both texts.
    """
    dockerfile, ignore_text = big_dockerfile()
    assert len(dockerfile.splitlines()) == 300 and len(ignore_text.splitlines()) == 200
    walls, cpus = [], []
    copies = 0
    for n in range(reads):
        text, patterns_text = dockerfile + f"# {n}\n", ignore_text + f"# {n}\n"
        start, cpu_start = time.perf_counter(), time.process_time()
        reading = read_dockerfile(text, target="stage3", platform=PLATFORM)
        ignore = compile_ignore(read_ignore(patterns_text)[0])
        for pattern in ignore.patterns:
            pattern.match(f"packages/group-03/pkg-{n:05d}/docs")
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
        copies = len(reading.copies)
    return statistics.median(walls), statistics.median(cpus), max(walls), copies, 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/ecr-cache-bench-copied"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--write", type=Path, help="also write the results as markdown here")
    args = parser.parse_args()
    out: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        out.append(text)

    tree = prepare(args.root)
    floor_files = int(
        subprocess.run(
            ["bash", "-c", FLOOR_COUNT, "bash", str(tree)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    load = os.getloadavg()[0]
    say(f"tree: {tree} (COPY . /app, .dockerignore: packages/group-0*)")
    say(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {load:.1f} at start"
    )
    say()
    engine = Engine(tree)
    floor = Contender("floor (find + cat)", ["bash", "-c", FLOOR, "bash", str(tree)])
    timings = measure([engine, floor], args.runs, args.runs)
    floor_seconds = timings[-1].seconds
    say("| contender | median wall s | runs (s) | this ÷ floor | median CPU s | peak RSS MB |")
    say("|---|---:|---|---:|---:|---:|")
    for t in timings:
        runs = ", ".join(f"{r:.2f}" for r in t.runs)
        say(
            f"| {t.name} | {t.seconds:.3f} | {runs} | {t.seconds / floor_seconds:.2f}x | "
            f"{t.cpu_seconds:.3f} | {t.peak_rss_mb:.0f} |"
        )
    say()
    same = "same" if engine.files == floor_files else "DIFFERENT"
    say(f"files read: engine {engine.files}, floor {floor_files}: {same}")
    say()
    median, cpu, slowest, copies, copy_lines = reading_times(args.reads)
    say(
        f"reading a 300-line Dockerfile ({copy_lines} COPY lines, {copies} in the stages the "
        f"target needs) and a 200-line .dockerignore (patterns compiled), {args.reads} times "
        f"in process: median {median * 1000:.2f} ms wall, {cpu * 1000:.2f} ms CPU; slowest "
        f"{slowest * 1000:.2f} ms wall (target: under 20 ms)"
    )
    if args.write:
        command = "python bench/copied_bench.py " + " ".join(sys.argv[1:])
        text = "# cache-on-copied benchmark\n\nCommand (from the repository root, with .venv's "
        text += f"python):\n\n```\n{command}\n```\n\n" + "\n".join(out) + "\n"
        args.write.write_text(text)


if __name__ == "__main__":
    main()
