"""``CacheService.list_pipelines`` on an OCI registry: ``EnvOnceSession`` against a plain
``requests.Session`` (which reads proxies, the CA bundle and ``.netrc`` from the environment on
every request), side by side in one process, rounds interleaved.

    scripts/test --with-services .venv/bin/python bench/oci_session_bench.py --repos 300 --runs 3

The registry is the real ``docker-registry`` ``scripts/test`` starts, filled as
``bench/oci_bench.py`` fills it (each repository one image tagged twice: 4 requests each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import requests  # noqa: E402
from oci_bench import fill  # noqa: E402

from ecr_cache_tui.wiring import open_oci_service  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    host = os.environ["ECR_CACHE_TEST_REGISTRY"]
    prefix = f"session{int(time.time())}/"
    fill(host, prefix, opts.repos)
    times: dict[str, list[tuple[float, float]]] = {"requests.Session": [], "EnvOnceSession": []}
    for _ in range(opts.runs):
        for name, values in times.items():
            service = open_oci_service(host, prefix=prefix, env={})
            if name == "requests.Session":
                service.ecr.client._session = requests.Session()  # type: ignore[attr-defined]
            cpu, wall = time.process_time(), time.perf_counter()
            assert len(service.list_pipelines(with_stats=True)) == opts.repos
            values.append((time.perf_counter() - wall, time.process_time() - cpu))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"list_pipelines over {opts.repos} repositories, {opts.runs} rounds (load {load})")
    print("| session | median wall s | median CPU s | CPU / plain |")
    print("|---|---|---|---|")
    base = statistics.median(c for _, c in times["requests.Session"])
    for name, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {cpu / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
