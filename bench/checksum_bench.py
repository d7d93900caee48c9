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

Each contender runs once to warm the page cache and its code, then ``--runs`` times (median
reported). Peak memory is each process's maximum RSS (``wait4``). Linearity repeats the engine
and the floor at 1/4, 1/2 and 1x the tree.

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

# Runs in a fresh interpreter: imports once, then times compute() `runs + 1` times (the first
# is the warm-up) and reports the times and its own peak RSS.
IN_PROCESS = r"""
import json, resource, sys, time
from pathlib import Path
from ecr_cache_tui.checksum import compute
from ecr_cache_tui.config import parse
checkout, runs = Path(sys.argv[1]), int(sys.argv[2])
CACHE_ON, PLATFORM = json.loads(sys.argv[3]), sys.argv[4]
times = []
for _ in range(runs + 1):
    start = time.perf_counter()
    config = parse({"cache-on": CACHE_ON}, {}, checkout, repository_required=False)
    result = compute(config, checkout, platform=PLATFORM)
    times.append(time.perf_counter() - start)
files = sum(len(e.files) for e in result.manifest.entries if e.kind == "cache-on")
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"times": times[1:], "files": files, "rss_kb": rss, "tag": result.tag}))
"""


@dataclass(frozen=True)
class Timing:
    """One contender at one tree size."""

    name: str
    seconds: float
    runs: tuple[float, ...]
    peak_rss_mb: float
    files: int | None = None


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, bytes]:
    """Wall time, peak RSS (MB) and stdout of one subprocess."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024, out


def _timed(name: str, argv: list[str], runs: int) -> tuple[Timing, bytes]:
    _run(argv)  # warm-up
    results = [_run(argv) for _ in range(runs)]
    times = tuple(r[0] for r in results)
    return Timing(name, statistics.median(times), times, max(r[1] for r in results)), results[-1][2]


def engine_cli(tree: Path, runs: int) -> Timing:
    argv = [sys.executable, "-m", "ecr_cache_tui", "checksum", "--json", "--platform", PLATFORM]
    timing, out = _timed(
        "engine (ecr-cache checksum)",
        [*argv, "--config", CONFIG, "--checkout", str(tree)],
        runs,
    )
    data = json.loads(out)
    files = sum(len(i.get("files", ())) for i in data["inputs"] if i["kind"] == "cache-on")
    return Timing(timing.name, timing.seconds, timing.runs, timing.peak_rss_mb, files)


def engine_in_process(tree: Path, runs: int) -> Timing:
    argv = [sys.executable, "-c", IN_PROCESS, str(tree), str(runs), json.dumps(CACHE_ON), PLATFORM]
    _, rss, out = _run(argv)
    data = json.loads(out)
    times = tuple(data["times"])
    return Timing("engine (in-process)", statistics.median(times), times, rss, int(data["files"]))


def reference(tree: Path, runs: int) -> Timing:
    timing, _ = _timed(
        "reference (bash globstar + sha1sum)", ["bash", "-c", REFERENCE, "bash", str(tree)], runs
    )
    return timing


def floor(tree: Path, runs: int) -> Timing:
    timing, _ = _timed("floor (find + cat)", ["bash", "-c", FLOOR, "bash", str(tree)], runs)
    return timing


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
    timings = [
        engine_cli(full, args.runs),
        engine_in_process(full, args.runs),
        reference(full, args.reference_runs),
        floor(full, args.runs),
    ]
    ref = timings[2].seconds
    flo = timings[3].seconds
    expected_files = count_reference_files(full)
    say("| contender | median s | runs (s) | reference ÷ this | this ÷ floor | peak RSS MB |")
    say("|---|---:|---|---:|---:|---:|")
    for t in timings:
        runs = ", ".join(f"{r:.2f}" for r in t.runs)
        say(
            f"| {t.name} | {t.seconds:.3f} | {runs} | {ref / t.seconds:.1f}x | "
            f"{t.seconds / flo:.2f}x | {t.peak_rss_mb:.0f} |"
        )
    say()
    for t in timings[:2]:
        same = "same" if t.files == expected_files else f"DIFFERENT ({t.files})"
        say(f"{t.name}: {t.files} files hashed; bash globstar matches {expected_files}: {same}")
    say()
    say("Linearity (median seconds; per-file cost relative to the largest tree):")
    say()
    say("| tree | files | engine (ecr-cache checksum) | engine (in-process) | floor (find + cat) |")
    say("|---|---:|---:|---:|---:|")
    rows = []
    for scale in scales:
        tree = trees[scale]
        n = _count_files(tree)
        row = (
            scale,
            n,
            engine_cli(tree, args.runs),
            engine_in_process(tree, args.runs),
            floor(tree, args.runs),
        )
        rows.append(row)
    base = rows[-1]
    for scale, n, *contenders in rows:
        cells = [
            f"{t.seconds:.3f} s ({(t.seconds / n) / (b.seconds / base[1]):.2f})"
            for t, b in zip(contenders, base[2:], strict=True)
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
