"""The local hit's cost with the label check, against the tree without it, side by side.

Run it with the services that ``scripts/test`` starts::

    scripts/test --with-services .venv/bin/python bench/label_check_bench.py \
        [--baseline REF] [--runs 15]

One invocation, rounds interleaved so drift hits every scenario alike:

* ``floor``: ``python3 -c pass`` then ``docker image inspect`` of the image (the same
  interpreter and the first ``docker`` on PATH), in one bash;
* ``baseline``: the real ``hooks/pre-command`` of ``REF`` (default ``main``; a ``git archive``
  of it in a temporary directory), sourced by bash with ``ECR_CACHE_PYTHON``, a local hit with
  the repository ensured by this host within the hour (no AWS call, no registry request);
* ``this tree``: the same through this tree's hook, which reads the image's inputs label from
  the daemon's inspect and compares it with the computed manifest on every hit.

The setup (not timed) makes the image with this tree's hook (a miss, built and pushed). Each
scenario's AWS calls and registry requests are counted outside the product (a counting proxy in
front of moto, a counting relay in front of the registry): a local hit must make none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.hook_bench import (  # noqa: E402  (its proxy, relay, timing and setup, reused)
    ECR_NAME,
    PYTHON,
    CallLog,
    Sample,
    bench_env,
    plugin_config,
    setup,
    start_proxy,
    timed,
)
from tests.relay import CountingRelay  # noqa: E402


def hook_argv(hook: Path) -> list[str]:
    return [
        "bash",
        "-c",
        '. "$1" || exit $?; printf "exported %s\\n" "$BUILDKITE_PLUGIN_DOCKER_IMAGE"',
        "bash",
        str(hook),
    ]


def baseline_tree(ref: str, where: Path) -> Path:
    """``ref``'s files (``git archive``) in ``where``: its hook and its package."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref],
        capture_output=True,
        check=True,
    )
    where.mkdir()
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    return where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="main", help="the tree to compare with")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per scenario")
    args = parser.parse_args(argv)
    for var in ("DOCKER_HOST", "ECR_CACHE_TEST_AUTH_REGISTRY", "ECR_CACHE_TEST_MOTO_URL"):
        if not os.environ.get(var):
            sys.exit(f"{var} is not set: run under `scripts/test --with-services`")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", args.baseline],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    calls = CallLog()
    server, proxy = start_proxy(os.environ["ECR_CACHE_TEST_MOTO_URL"], calls)
    relay = CountingRelay(os.environ["ECR_CACHE_TEST_AUTH_REGISTRY"])
    work = Path(tempfile.mkdtemp(prefix="label-bench."))
    base = baseline_tree(args.baseline, work / "baseline")
    checkout = work / "checkout"
    checkout.mkdir()
    config = plugin_config(relay.address)
    interpreter = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    env = {
        **bench_env(config, proxy, work, pipeline="labels", docker_config=work / "docker-config"),
        "ECR_CACHE_PYTHON": PYTHON,
    }
    (work / "docker-config").mkdir()
    tag = setup(env, checkout)  # this tree's hook: a miss, built and pushed; the host ensured it
    image = f"{relay.address}/{ECR_NAME}:{tag}"

    def hook(tree: Path) -> Callable[[], Sample]:
        return lambda: timed(hook_argv(tree / "hooks" / "pre-command"), env, checkout, calls, relay)

    def floor() -> Sample:
        script = '"$1" -c pass && docker image inspect "$2" >/dev/null'
        return timed(
            ["bash", "-c", script, "bash", interpreter, image], env, checkout, calls, relay
        )

    scenarios: dict[str, Callable[[], Sample]] = {
        "floor: python3 + image inspect": floor,
        f"baseline ({commit}), hit (local)": hook(base),
        "this tree, hit (local)": hook(REPO),
    }
    for run in scenarios.values():  # warm-up: page cache, the first imports
        run()
    samples: dict[str, list[Sample]] = {name: [] for name in scenarios}
    for _ in range(args.runs):
        for name, run in scenarios.items():
            samples[name].append(run())
    server.shutdown()
    relay.close()
    for name, values in samples.items():
        if name.startswith(("baseline", "this tree")):
            assert all("ecr-cache: hit (local)" in s.output for s in values), values[-1].output

    med = {name: statistics.median(s.seconds for s in v) for name, v in samples.items()}
    low = {name: min(s.seconds for s in v) for name, v in samples.items()}
    floor_name = "floor: python3 + image inspect"
    print(f"\nlabel check benchmark: {args.runs} runs per scenario, interleaved")
    print(f"{'scenario':34} {'median':>8} {'min':>8} {'vs floor':>9} {'min/min':>8} AWS reg")
    for name, values in samples.items():
        print(
            f"{name:34} {med[name] * 1000:6.1f}ms {low[name] * 1000:6.1f}ms "
            f"{med[name] / med[floor_name]:8.2f}x {low[name] / low[floor_name]:7.2f}x "
            f"{sum(values[-1].calls.values()):>3} {values[-1].registry_requests:>3}"
        )
    this, before = med["this tree, hit (local)"], med[f"baseline ({commit}), hit (local)"]
    print(f"\nthis tree / baseline (medians): {this / before:.2f}x")
    print("'vs floor': median over the floor's median (a local hit's budget: at most 2.5x)")
    print("'min/min': the fastest run over the floor's fastest (least disturbed by load)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
