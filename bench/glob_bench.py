"""Benchmark ``cache-on`` wildcard matching: the linear matcher against the regex it replaced.

The baseline is ``ecr_cache_tui/cachekey/globbing.py`` as it was at ``--baseline`` (default
``74629ca``, before issue 19), read from git and loaded beside this tree's module in the same
interpreter. Each case matches one pattern component against names, both implementations
round-robin ``--runs`` times, medians reported as a ratio (this tree's time / the baseline's):

* worst cases (issue 19): many stars against a long name of the repeated letter. A
  backtracking regex of ``.*`` is exponential in the stars, so the baseline runs each of these
  in a child process killed after ``--timeout`` seconds (reported as "> timeout");
* common cases: ``*.json``-like components against 100,000 ordinary names, to show the
  linear matcher costs the everyday pattern nothing that matters.

    python bench/glob_bench.py [--runs 5] [--timeout 30] [--baseline REV]
                               [--write bench/RESULTS-glob.md]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecr_cache_tui.cachekey import globbing as current  # noqa: E402

WORST = [
    ("*a*a*a*a*b", "a" * 200),
    ("*a*a*a*a*a*b", "a" * 200),
    ("*a" * 20 + "*b", "a" * 255),
]
COMMON = ["*.json", "package*.json", "*-lock.*", "[a-z]*_?.lock", "*.[jt]s"]
NAMES = [
    f"{stem}{i}{ext}"
    for i in range(20_000)
    for stem, ext in (
        ("package-", ".json"),
        ("index_", ".ts"),
        ("yarn-", ".lock"),
        ("README", ".md"),
        ("x_", "a.lock"),
    )
]


def load_baseline(rev: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:ecr_cache_tui/cachekey/globbing.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "globbing_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("globbing_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["globbing_baseline"] = module
    spec.loader.exec_module(module)
    return module


def matcher(module: types.ModuleType, component: str) -> Callable[[str], bool]:
    part = module.compile_pattern(component).parts[-1]
    if hasattr(part, "glob"):
        return part.glob.matches  # type: ignore[no-any-return]
    regex = part.regex
    return lambda name: regex.fullmatch(name) is not None


def timed(match: Callable[[str], bool], names: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    hits = sum(1 for name in names if match(name))
    return time.perf_counter() - start, hits


def baseline_in_child(rev: str, component: str, name: str, timeout: float) -> float | None:
    """The baseline's time for one worst case, in a child killed after ``timeout``."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); import glob_bench as b; "
        "m = b.matcher(b.load_baseline(sys.argv[2]), sys.argv[3]); t = time.perf_counter(); "
        "m(sys.argv[4]); print(time.perf_counter() - t)"
    )
    argv = [sys.executable, "-c", code, str(Path(__file__).parent), rev, component, name]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--baseline", default="74629ca")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    baseline = load_baseline(args.baseline)
    lines = [
        f"baseline {args.baseline}, {args.runs} interleaved runs, load {os.getloadavg()[0]:.1f}",
        "",
        "| case | names | baseline (median) | this tree (median) | ratio |",
        "|---|---|---|---|---|",
    ]
    for component, name in WORST:
        ours = [timed(matcher(current, component), [name])[0] for _ in range(args.runs)]
        theirs = baseline_in_child(args.baseline, component, name, args.timeout)
        now = statistics.median(ours)
        shown = f"> {args.timeout:.0f} s (killed)" if theirs is None else f"{theirs:.3f} s"
        ratio = f"< 1/{args.timeout / now:,.0f}" if theirs is None else f"1/{theirs / now:,.0f}"
        lines.append(
            f"| `{component}` vs {len(name)}×`{name[0]}` | 1 | {shown} | {now * 1e6:.0f} µs | "
            f"{ratio} |"
        )
    for component in COMMON:
        old_m, new_m = matcher(baseline, component), matcher(current, component)
        old_t, new_t = [], []
        for _ in range(args.runs):
            t, old_hits = timed(old_m, NAMES)
            old_t.append(t)
            t, new_hits = timed(new_m, NAMES)
            new_t.append(t)
            assert old_hits == new_hits, (component, old_hits, new_hits)
        o, n = statistics.median(old_t), statistics.median(new_t)
        lines.append(
            f"| `{component}` ({new_hits:,} hits) | {len(NAMES):,} | {o * 1e3:.1f} ms | "
            f"{n * 1e3:.1f} ms | {n / o:.2f}x |"
        )
    text = "\n".join(lines)
    print(text)
    if args.write:
        args.write.write_text(
            "# cache-on wildcard matching (issue 19)\n\n"
            "```\n.venv/bin/python bench/glob_bench.py "
            f"--runs {args.runs} --timeout {args.timeout:.0f} --write {args.write}\n```\n\n"
            f"{text}\n"
        )


if __name__ == "__main__":
    main()
