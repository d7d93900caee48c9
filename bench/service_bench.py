"""Maintainer service benchmark: listing many cache repositories, serial against parallel.

Run it with the services that ``scripts/test`` starts (moto plays ECR's control plane)::

    scripts/test --with-services .venv/bin/python bench/service_bench.py [--repos 300] [--runs 5]

``ecr-cache ls`` (and the TUI's pipelines screen) needs, per repository, its images
(``DescribeImages``) and its lifecycle policy (``GetLifecyclePolicy``): 1 + 2N calls for N
repositories. The baseline loads them one repository after another (``workers=1``, what a naive
loop does); the product loads them ``workers=8`` at a time. The cheap listing (names only, what
the TUI paints first) is shown too. Each scenario is run with moto's own latency (microseconds,
loopback) and with a simulated round trip (``--rtt-ms``, default 40: a sleep before each call,
roughly what an agent sees to a regional ECR endpoint), rounds interleaved so drift hits every
scenario alike. Last, the whole ``ecr-cache ls --json`` process end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from ecr_cache_tui.adapters.ecr import Ecr  # noqa: E402
from ecr_cache_tui.service import CacheService  # noqa: E402

MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def client(rtt_ms: float) -> Any:
    ecr: Any = boto3.client("ecr")
    if rtt_ms > 0:

        def delay(**_: Any) -> None:
            time.sleep(rtt_ms / 1000)

        ecr.meta.events.register("before-send.ecr", delay)
    return ecr


def seed(repos: int, images: int) -> None:
    moto = os.environ["AWS_ENDPOINT_URL_ECR"]
    urllib.request.urlopen(urllib.request.Request(f"{moto}/moto-api/reset", method="POST"))
    ecr = client(0)
    for r in range(repos):
        name = f"build-cache/org{r % 10}/pipeline{r:04}"
        ecr.create_repository(repositoryName=name)
        for i in range(images):
            layer = f"sha256:{r:032x}{i:032x}"
            manifest = {
                "schemaVersion": 2,
                "mediaType": MEDIA_TYPE,
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": 1000 + i,
                    "digest": layer,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": 1000,
                        "digest": layer,
                    }
                ],
            }
            ecr.put_image(
                repositoryName=name,
                imageManifest=json.dumps(manifest),
                imageManifestMediaType=MEDIA_TYPE,
                imageTag=f"t{i}",
            )


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=300)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rtt-ms", type=float, default=40.0)
    args = parser.parse_args()
    moto = os.environ.get("ECR_CACHE_TEST_MOTO_URL")
    if not moto:
        print("run under: scripts/test --with-services ... (needs moto)", file=sys.stderr)
        return 2
    # The benchmark's own process (and the `ecr-cache` it starts) talk to moto as ECR.
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_ECR": moto,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)

    t = timed(lambda: seed(args.repos, args.images))
    print(f"seeded {args.repos} repositories x {args.images} images in moto in {t:.1f}s")

    scenarios: dict[str, Callable[[], object]] = {}
    for rtt in (0.0, args.rtt_ms):
        service = CacheService(Ecr(client(rtt)), lambda repository, tag: None)
        label = f"rtt {rtt:g} ms"
        scenarios[f"{label}: names only (TUI first paint)"] = service.list_pipelines
        scenarios[f"{label}: stats, serial (baseline)"] = lambda s=service: s.list_pipelines(
            with_stats=True, workers=1
        )
        scenarios[f"{label}: stats, 8 workers (product)"] = lambda s=service: s.list_pipelines(
            with_stats=True, workers=8
        )
    # Check once that both ways agree before timing them.
    first = CacheService(Ecr(client(0)), lambda repository, tag: None)
    a = first.list_pipelines(with_stats=True, workers=1)
    b = first.list_pipelines(with_stats=True, workers=8)
    assert a == b and len(a) == args.repos, "serial and parallel listings differ"

    times: dict[str, list[float]] = {name: [] for name in scenarios}
    for _ in range(args.runs):
        for name, fn in scenarios.items():
            times[name].append(timed(fn))

    cli_times = []
    for _ in range(args.runs):
        cli_times.append(
            timed(
                lambda: subprocess.run(
                    [sys.executable, "-m", "ecr_cache_tui", "ls", "--json"],
                    check=True,
                    capture_output=True,
                )
            )
        )

    print()
    print(f"{args.repos} repositories, {args.images} images each, median of {args.runs} runs")
    width = max(len(n) for n in scenarios)
    print(f"{'scenario':<{width}}  {'median s':>9}  {'vs serial':>9}")
    for rtt in (0.0, args.rtt_ms):
        label = f"rtt {rtt:g} ms"
        base = statistics.median(times[f"{label}: stats, serial (baseline)"])
        for name in scenarios:
            if name.startswith(label + ":"):
                med = statistics.median(times[name])
                print(f"{name:<{width}}  {med:>9.3f}  {base / med:>8.1f}x")
    print(
        f"{'ecr-cache ls --json (process, rtt 0)':<{width}}  {statistics.median(cli_times):>9.3f}"
    )
    print(f"AWS calls for ls with stats: 1 + 2 x {args.repos} = {1 + 2 * args.repos}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
