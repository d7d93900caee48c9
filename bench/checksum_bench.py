"""Benchmark the checksum engine against the reference plugin's method and the floor (issue 3).

The monorepo (bench/checksum_tree.py: 200,000 files in 20,000 directories, 2,000 package.json,
a 50 MB package-lock.json) is hashed with ``cache-on: ['**/package.json', 'package-lock.json']``
by, side by side in one run:

* ``engine (ecr-cache checksum)``: ``python -m ecr_cache_tui checksum`` as a subprocess, as
  a user or the hook pays for it (interpreter start and imports included);
* ``engine (in-process)``: ``config.parse`` + ``checksum.compute`` in a warm interpreter;
* ``reference (bash globstar + sha1sum)``: seek-oss/docker-ecr-cache-buildkite-plugin's
  ``compute_tag`` loop: ``shopt -s globstar; for file in ${glob}; do sums+="$(sha1sum
  "${file}")"; done``;
* ``floor (find + cat)``: ``find`` for the same files and ``cat`` of them to /dev/null: what
  reading the inputs costs at the least.

Each contender runs once to warm the page cache and its code, then the contenders run
round-robin ``--runs`` times (the reference only ``--reference-runs`` times: it is slow), so a
busy machine slows them all alike; medians are reported. Peak memory is each process's maximum
RSS (``wait4``; the in-process engine reports its own). Linearity repeats the engine and the
floor at 1/4, 1/2 and 1x the tree.

    python bench/checksum_bench.py [--runs 5] [--scales 0.25,0.5,1]
                                   [--write bench/RESULTS-checksum.md]
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checksum_tree import ensure_tree

CACHE_ON = ["**/package.json", "package-lock.json"]
CONFIG = json.dumps({"cache-on": CACHE_ON})
PLATFORM = "linux/amd64"

REFERENCE = r"""
set -euo pipefail
cd "$1"
shopt -s globstar
sums=""
for glob in '**/package.json' 'package-lock.json'; do
  echo "${glob}" >&2
  for file in ${glob}; do
    echo "+ ${file}" >&2
    sums+="$(sha1sum "${file}")"
  done
done
echo "${sums}" | sha1sum | cut -c-7
"""

FLOOR = r"""
set -euo pipefail
cd "$1"
{ find . -name package.json -type f -print0; printf 'package-lock.json\0'; } |
  xargs -0 cat >/dev/null
"""

# A warm interpreter serving timing requests: one line in ("run"), one JSON line out. Imports
# happen once, before the first request, as in a long-lived process.
IN_PROCESS = r"""
import json, resource, sys, time
from pathlib import Path
from ecr_cache_tui.cachekey.checksum import compute
from ecr_cache_tui.config import parse
checkout, cache_on, platform = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
for _ in sys.stdin:
    start, cpu_start = time.perf_counter(), cpu()
    config = parse({"cache-on": cache_on}, {}, checkout, repository_required=False)
    result = compute(config, checkout, platform=platform)
    elapsed, cpu_used = time.perf_counter() - start, cpu() - cpu_start
    files = sum(len(e.files) for e in result.manifest.entries if e.kind == "cache-on")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "cpu": cpu_used, "files": files, "rss_kb": rss}),
          flush=True)
"""


@dataclass(frozen=True)
class Timing:
    """One contender at one tree size: median and every run, peak RSS, files hashed."""

    name: str
    seconds: float
    runs: tuple[float, ...]
    peak_rss_mb: float
    files: int | None = None
    cpu_seconds: float = 0.0


class Contender:
    """Something timed: a command run afresh each time (wall time and peak RSS by wait4)."""

    def __init__(self, name: str, argv: list[str], *, counts_files: bool = False) -> None:
        self.name = name
        self.argv = argv
        self.counts_files = counts_files
        self.times: list[float] = []
        self.cpu: list[float] = []
        self.last_cpu = 0.0
        self.rss_mb = 0.0
        self.files: int | None = None

    def once(self) -> float:
        start = time.perf_counter()
        proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{self.name} failed with exit code {proc.returncode}")
        self.rss_mb = max(self.rss_mb, usage.ru_maxrss / 1024)
        self.last_cpu = usage.ru_utime + usage.ru_stime
        if self.counts_files:
            data = json.loads(out)
            self.files = sum(
                len(i.get("files", ())) for i in data["inputs"] if i["kind"] == "cache-on"
            )
        return elapsed

    def close(self) -> None:
        """Release what the contender holds (nothing for a command)."""

    def timing(self) -> Timing:
        runs = tuple(self.times)
        cpu = statistics.median(self.cpu)
        return Timing(self.name, statistics.median(runs), runs, self.rss_mb, self.files, cpu)


class InProcess(Contender):
    """The engine in a warm interpreter, asked over a pipe (its own clock, its own RSS)."""

    def __init__(self, tree: Path) -> None:
        super().__init__("engine (in-process)", [])
        argv = [sys.executable, "-c", IN_PROCESS, str(tree), json.dumps(CACHE_ON), PLATFORM]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def once(self) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        data = json.loads(self.proc.stdout.readline())
        self.rss_mb = max(self.rss_mb, data["rss_kb"] / 1024)
        self.last_cpu = float(data["cpu"])
        self.files = int(data["files"])
        return float(data["seconds"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def contenders(tree: Path, *, with_reference: bool) -> list[Contender]:
    """The contenders for ``tree``, in table order."""
    cli = [sys.executable, "-m", "ecr_cache_tui", "checksum", "--json", "--platform", PLATFORM]
    found = [
        Contender(
            "engine (ecr-cache checksum)",
            [*cli, "--config", CONFIG, "--checkout", str(tree)],
            counts_files=True,
        ),
        InProcess(tree),
    ]
    if with_reference:
        reference = ["bash", "-c", REFERENCE, "bash", str(tree)]
        found.append(Contender("reference (bash globstar + sha1sum)", reference))
    found.append(Contender("floor (find + cat)", ["bash", "-c", FLOOR, "bash", str(tree)]))
    return found


def measure(items: list[Contender], runs: int, reference_runs: int) -> list[Timing]:
    """Warm each contender up once, then run them round-robin so load hits all alike."""
    for item in items:
        item.once()
    for r in range(runs):
        for item in items:
            if item.name.startswith("reference") and r >= reference_runs:
                continue
            item.times.append(item.once())
            item.cpu.append(item.last_cpu)
    for item in items:
        item.close()
    return [item.timing() for item in items]


def count_reference_files(tree: Path) -> int:
    script = (
        'cd "$1"; shopt -s globstar nullglob; n=0; '
        "for f in **/package.json package-lock.json; do n=$((n+1)); done; echo $n"
    )
    return int(
        subprocess.run(
            ["bash", "-c", script, "bash", str(tree)], capture_output=True, text=True, check=True
        ).stdout
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/ecr-cache-bench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference-runs", type=int, default=3)
    parser.add_argument("--scales", default="0.25,0.5,1")
    parser.add_argument("--write", type=Path, help="also write the results as markdown here")
    args = parser.parse_args()
    args.reference_runs = max(1, min(args.reference_runs, args.runs))
    scales = [float(s) for s in args.scales.split(",")]
    trees = {scale: ensure_tree(args.root, scale) for scale in scales}
    full = trees[max(scales)]

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"tree: {full} ({_describe(full)})")
    say(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at start"
    )
    say()
    timings = measure(contenders(full, with_reference=True), args.runs, args.reference_runs)
    ref = timings[2].seconds
    flo = timings[3].seconds
    expected_files = count_reference_files(full)
    say(
        "| contender | median wall s | runs (s) | reference ÷ this | this ÷ floor "
        "| median CPU s | peak RSS MB |"
    )
    say("|---|---:|---|---:|---:|---:|---:|")
    for t in timings:
        runs = ", ".join(f"{r:.2f}" for r in t.runs)
        say(
            f"| {t.name} | {t.seconds:.3f} | {runs} | {ref / t.seconds:.1f}x | "
            f"{t.seconds / flo:.2f}x | {t.cpu_seconds:.3f} | {t.peak_rss_mb:.0f} |"
        )
    say()
    for t in timings[:2]:
        same = "same" if t.files == expected_files else f"DIFFERENT ({t.files})"
        say(f"{t.name}: {t.files} files hashed; bash globstar matches {expected_files}: {same}")
    say()
    say(
        "Linearity (median CPU seconds, user + system, which a busy machine disturbs less than "
        "wall time; in brackets the CPU per file relative to the largest tree, 1.00 = linear):"
    )
    say()
    say("| tree | files | engine (ecr-cache checksum) | engine (in-process) | floor (find + cat) |")
    say("|---|---:|---:|---:|---:|")
    rows = []
    for scale in scales:
        tree = trees[scale]
        measured = measure(contenders(tree, with_reference=False), args.runs, 0)
        rows.append((scale, _count_files(tree), measured))
    _, base_n, base = rows[-1]
    for scale, n, measured in rows:
        cells = [
            f"{t.cpu_seconds:.3f} s ({(t.cpu_seconds / n) / (b.cpu_seconds / base_n):.2f})"
            for t, b in zip(measured, base, strict=True)
        ]
        say(f"| x{scale:g} | {n} | {' | '.join(cells)} |")
    if args.write:
        command = "python bench/checksum_bench.py " + " ".join(sys.argv[1:])
        args.write.write_text(_markdown(command.strip(), lines))
        print(f"\nwrote {args.write}")


def _describe(tree: Path) -> str:
    lock = (tree / "package-lock.json").stat().st_size / 1e6
    return (
        f"{_count_files(tree)} files, {_count_dirs(tree)} directories, "
        f"package-lock.json {lock:.0f} MB"
    )


def _count_files(tree: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(tree))


def _count_dirs(tree: Path) -> int:
    return sum(1 for _ in os.walk(tree))


def _markdown(command: str, lines: list[str]) -> str:
    body = "\n".join(lines)
    return (
        "# Checksum benchmark\n\nCommand (from the repository root, with .venv's python):\n\n"
        f"```\n{command}\n```\n\n{body}\n"
    )


if __name__ == "__main__":
    main()
