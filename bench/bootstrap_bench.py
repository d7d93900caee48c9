"""Bootstrap benchmark: the hook's first run on a host, before and after the lean lock.

A job's first ``hooks/pre-command`` on a fresh host builds the hook's virtualenv. This times that
first run (wall and CPU of the sourced hook and its children) and measures the virtualenv's size
on disk, for:

* ``before``: the shim and ``requirements.lock`` as of ``--before`` (default: the commit before
  the lean lock: the runtime lock held textual, rich, boto3 ...; pip inside the virtualenv);
* ``after, pip``: this checkout's shim and lock, pip run from beside the interpreter
  (``pip --python``);
* ``after, ensurepip``: the same with an interpreter that has no pip beside it (pip installed
  into the virtualenv for the install, then removed);
* ``after, uv``: the same with ``uv`` on PATH (skipped when there is no ``uv``).

Each run gets a fresh HOME and, unless ``--warm``, a fresh empty pip (and uv) cache: every wheel
comes from the index. The variants alternate within each round so they share the network's
moods; the figures are medians over ``--runs`` rounds. The configuration is bad input on purpose
(``max-age-days: 0``): once the virtualenv is built the package runs and exits 2, before Docker.

    .venv/bin/python bench/bootstrap_bench.py [--runs 3] [--warm] [--before REV]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.checkout import copy_checkout  # noqa: E402  (the suite's plugin-checkout copy, reused)

# The last commit whose requirements.lock was the whole runtime (textual, boto3 ...).
BEFORE = "39344f8"
BAD_CONFIG = '{"max-age-days": 0}'


@dataclass(frozen=True)
class Result:
    wall: float
    cpu: float
    megabytes: float


def real_python() -> str:
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def checkout_at(rev: str | None, dest: Path) -> Path:
    """The plugin as an agent checks it out: the files of ``rev`` (None: this working tree)."""
    dest.mkdir(parents=True)
    if rev is None:
        return copy_checkout(dest)
    archive = dest.parent / f"{dest.name}.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", rev], cwd=REPO, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()
    return dest


def du(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                total += os.lstat(full).st_blocks * 512
    return total / 1e6


def first_job(plugin: Path, python: str, work: Path, *, uv: str | None, warm: bool) -> Result:
    """Source the hook once on a fresh host; its wall and CPU time and the virtualenv's size."""
    home, bin_dir, checkout = work / "home", work / "bin", work / "checkout"
    for d in (home, bin_dir, checkout):
        d.mkdir(parents=True)
    (checkout / "Dockerfile").write_text("FROM scratch\n")
    minor = sys.version_info.minor
    (bin_dir / f"python3.{minor}").symlink_to(python)
    (bin_dir / "python3").symlink_to(python)
    if uv:
        (bin_dir / "uv").symlink_to(uv)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "BUILDKITE_PLUGIN_CONFIGURATION": BAD_CONFIG,
        "BUILDKITE_ORGANIZATION_SLUG": "acme",
        "BUILDKITE_PIPELINE_SLUG": "web",
    }
    # What reaches the index (certificates, proxies, mirrors), as an agent's environment has it.
    for name, value in os.environ.items():
        if name.startswith(("PIP_", "UV_", "SSL_CERT_")) or name.lower().endswith("_proxy"):
            env[name] = value
    if warm:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or str(base / "pip")
        env["UV_CACHE_DIR"] = os.environ.get("UV_CACHE_DIR") or str(base / "uv")
    else:
        env["PIP_CACHE_DIR"] = str(work / "pip-cache")
        env["UV_CACHE_DIR"] = str(work / "uv-cache")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        ["bash", "-c", '. "$1"', "bash", str(plugin / "hooks" / "pre-command")],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 2 or "max-age-days" not in done.stderr or "trying pip" in done.stdout:
        sys.exit(f"{plugin}: the first job did not end in the package's exit 2:\n{done}")
    venvs = [p for p in plugin.glob(".venv-*") if p.is_dir() and ".tmp." not in p.name]
    shared = home / ".cache" / "ecr-cache-tui" / "venvs"
    if shared.is_dir():
        venvs += [p for p in shared.iterdir() if p.is_dir() and "." not in p.name]
    if len(venvs) != 1:
        sys.exit(f"{plugin}: expected one virtualenv, found {venvs}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Result(wall, cpu, du(venvs[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds (each runs every variant)")
    parser.add_argument("--warm", action="store_true", help="the machine's pip cache for all")
    parser.add_argument("--before", default=BEFORE, help=f"baseline commit (default {BEFORE})")
    args = parser.parse_args(argv)

    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    results: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory(prefix="ect-bootstrap-") as tmp:
        root = Path(tmp)
        nopip = root / "nopip"
        subprocess.run([real_python(), "-m", "venv", "--without-pip", str(nopip)], check=True)
        variants: dict[str, tuple[str | None, str, str | None]] = {
            "before (pip in the venv)": (args.before, real_python(), None),
            "after, pip --python": (None, real_python(), None),
            "after, ensurepip": (None, str(nopip / "bin" / "python"), None),
        }
        if uv:
            variants["after, uv"] = (None, real_python(), uv)
        for round_ in range(args.runs):
            for i, (name, (rev, python, with_uv)) in enumerate(variants.items()):
                work = root / f"r{round_}-{i}"
                plugin = checkout_at(rev, work / "plugin")
                result = first_job(plugin, python, work, uv=with_uv, warm=args.warm)
                results.setdefault(name, []).append(result)
                print(
                    f"  round {round_ + 1} {name}: {result.wall:.1f} s wall, "
                    f"{result.cpu:.1f} s CPU, {result.megabytes:.0f} MB",
                    file=sys.stderr,
                )
                shutil.rmtree(work)

    cache = "warm pip cache (the machine's)" if args.warm else "cold: empty pip/uv cache per run"
    print(f"First hook run on a fresh host, {cache}; median of {args.runs} round(s)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end: {load} on {os.cpu_count()} CPUs")
    print(f"before = {args.before}; python {sys.version.split()[0]}; uv: {uv or 'none'}")
    print()
    ratio = "ratio"
    print(f"{'variant':28} {'wall':>8} {ratio:>6} {'CPU':>7} {ratio:>6} {'disk':>7} {ratio:>6}")
    base = results["before (pip in the venv)"]
    b_wall = statistics.median(r.wall for r in base)
    b_cpu = statistics.median(r.cpu for r in base)
    b_mb = statistics.median(r.megabytes for r in base)
    for name, rs in results.items():
        wall = statistics.median(r.wall for r in rs)
        cpu = statistics.median(r.cpu for r in rs)
        mb = statistics.median(r.megabytes for r in rs)
        print(
            f"{name:28} {wall:7.1f}s {wall / b_wall:6.2f} {cpu:6.1f}s {cpu / b_cpu:6.2f} "
            f"{mb:5.0f}MB {mb / b_mb:6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
