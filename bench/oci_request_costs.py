"""What each kind of request ``ecr-cache ls`` makes costs the registry itself, by ``curl``.

    scripts/test --with-services .venv/bin/python bench/oci_request_costs.py [--repos 500]
        [--runs 2]

Fills ``--repos`` repositories as ``bench/oci_bench.py`` does (one image tagged twice each),
then, per kind of request, gives one ``curl`` (one keep-alive connection, serially) one such
request per repository and reads the wall time and the registry process's CPU (``/proc``) over
it: the tag list (what the baseline makes), the manifest by tag (``GET``, with the Accept types
the client sends, and ``HEAD``), and the image config blob (``GET``, and ``HEAD`` for scale).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from oci_bench import cpu_seconds, fill, registry_pid  # noqa: E402

from ecr_cache_tui.adapters.registry import MANIFEST_ACCEPT  # noqa: E402


def config_file(entries: list[str], head: bool, accept: bool) -> str:
    lines = []
    for url in entries:
        lines += [f'url = "{url}"', 'output = "/dev/null"']
        lines += ["head"] if head else []
        lines += [f'header = "Accept: {MANIFEST_ACCEPT}"'] if accept else []
        lines.append("next")  # options per URL (a header would pile up otherwise)
    return "\n".join(lines[:-1]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    opts = parser.parse_args()
    host = os.environ["ECR_CACHE_TEST_REGISTRY"]
    prefix = f"costs{int(time.time())}/"
    fill(host, prefix, opts.repos)
    names = [f"{prefix}org{i % 10}/pipe{i:05d}" for i in range(opts.repos)]
    session = requests.Session()
    configs = [
        session.get(
            f"http://{host}/v2/{n}/manifests/latest", headers={"Accept": MANIFEST_ACCEPT}
        ).json()["config"]["digest"]
        for n in names
    ]
    base = f"http://{host}/v2"
    blobs = [f"{base}/{n}/blobs/{d}" for n, d in zip(names, configs, strict=True)]
    kinds = {
        "tag list GET": ([f"{base}/{n}/tags/list" for n in names], False, False),
        "manifest GET": ([f"{base}/{n}/manifests/latest" for n in names], False, True),
        "manifest HEAD": ([f"{base}/{n}/manifests/latest" for n in names], True, True),
        "config blob GET": (blobs, False, False),
        "config blob HEAD": (blobs, True, False),
    }  # fmt: skip
    server = registry_pid()
    if server is None:
        sys.exit("the registry's process was not found (run under scripts/test --with-services)")
    spent: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(opts.runs):
            for kind, (urls, head, accept) in kinds.items():
                config = Path(tmp) / "urls.curl"
                config.write_text(config_file(urls, head, accept))
                cpu0, t0 = cpu_seconds(server), time.perf_counter()
                subprocess.run(["curl", "-sf", "-K", str(config)], check=True)
                wall, cpu = time.perf_counter() - t0, cpu_seconds(server) - cpu0
                spent[kind].append((wall, cpu))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\none curl, {opts.repos} requests of each kind, {opts.runs} rounds (load {load})")
    print("| request | wall ms each (median) | registry CPU ms each (median) |")
    print("|---|---|---|")
    for kind, values in spent.items():
        wall = statistics.median(w for w, _ in values) * 1000 / opts.repos
        cpu = statistics.median(c for _, c in values) * 1000 / opts.repos
        print(f"| {kind} | {wall:.2f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
