"""``ecr-cache ls`` on an OCI registry against the registry's own requests made by ``curl``.

    scripts/test --with-services .venv/bin/python bench/oci_bench.py [--repos 1000] [--runs 3]
        [--tags 10000 | --tags 0 (no memory measurement)] [--baseline TREE]

The registry is the real ``docker-registry`` (distribution 2.8) ``scripts/test`` starts
(``ECR_CACHE_TEST_REGISTRY``), filled over the distribution API (blobs and manifests pushed
straight, 8 at a time): ``--repos`` repositories under a prefix of their own, each with one
image tagged twice (a checksum tag and ``latest``). Rounds interleave, in one invocation:

* ``ecr-cache ls --json`` (``--registry-provider oci``): a child process, start-up included; it
  lists the catalog, every tag list, each tag's manifest and each image's config (4 requests a
  repository), at most 8 in flight at once (``adapters.oci.MAX_IN_FLIGHT``);
* the baseline: the registry's own catalog (pages of 1,000) and tag-list requests only, made
  serially by ``curl``: one ``curl`` process per request (a shell loop), and one ``curl``
  given every URL (one connection, kept alive: the fastest serial client there is).
* with ``--baseline TREE``, the same ``ls`` from that source tree (a ``git archive`` of another
  commit), run with this virtualenv through ``PYTHONPATH``.

Each contender's CPU is reported too: its processes' (``RUSAGE_CHILDREN``) and the registry
process's over the same time (``/proc``), so the wall time can be split into client and
registry.

Memory: one repository with ``--tags`` tags (on ``--tags``/100 images), listed by
``CacheService.list_tags`` in a child under ``tracemalloc``: the peak, against the same listing
of a repository with a tenth of the tags (bounded means linear in the tags, a few hundred bytes
each, no body kept), and the child's peak RSS against a child that only imports the same.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.ocipush import DOCKER_MANIFEST, Pusher  # noqa: E402


def fill(host: str, prefix: str, repos: int) -> None:
    push = Pusher(host)

    def one(i: int) -> None:
        repo = f"{prefix}org{i % 10}/pipe{i:05d}"
        push.image(repo, [f"{i:032x}", "latest"], seed=repo, layer_sizes=(512,))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(repos)))


def fill_tags(host: str, repo: str, tags: int) -> None:
    push = Pusher(host)
    images = [
        push.image(repo, [], seed=f"{repo}/{n}", layer_sizes=(256,))
        for n in range(max(1, tags // 100))
    ]

    def one(i: int) -> None:
        image = images[i % len(images)]
        push.put_manifest(repo, f"t{i:08d}", image.manifest, DOCKER_MANIFEST)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(tags)))


def run_ls(host: str, prefix: str, tree: str | None = None) -> tuple[float, int]:
    """``ecr-cache ls`` of this checkout, or of the source tree ``tree`` (same virtualenv)."""
    argv = [str(REPO / ".venv/bin/ecr-cache"), "ls", "--json", "--registry-provider", "oci",
            "--registry-hostname", host, "--prefix", prefix]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": tree} if tree else None
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    elapsed = time.perf_counter() - t0
    return elapsed, len(json.loads(done.stdout)["pipelines"])


def names(host: str, prefix: str) -> list[str]:
    import requests

    found: list[str] = []
    last = ""
    while True:
        page = requests.get(
            f"http://{host}/v2/_catalog", params={"n": 1000, "last": last}, timeout=30
        ).json()["repositories"]
        if not page:
            return [n for n in found if n.startswith(prefix)]
        found += page
        last = page[-1]


def catalog_urls(host: str, total: int) -> list[str]:
    """The catalog's pages as curl would walk them (the ``last`` of each page known here)."""
    import requests

    urls = []
    last = ""
    while True:
        url = f"http://{host}/v2/_catalog?n=1000" + (f"&last={last}" if last else "")
        urls.append(url)
        page = requests.get(url, timeout=30).json()["repositories"]
        if len(page) < 1000:
            return urls
        last = page[-1]


def registry_pid() -> int | None:
    """The plain registry's process (``scripts/test``'s run directory's ``registry.yml``)."""
    config = f"{os.environ.get('ECR_CACHE_TEST_RUN_DIR', '?')}/registry.yml"
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and config.encode() in argv:
            return int(entry.name)
    return None


def cpu_seconds(pid: int | None) -> float:
    """CPU (user + system) of ``pid`` so far, or of this process's finished children."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(
    cpu: dict[str, list[tuple[float, float]]], name: str, server: int | None, run: Any
) -> Any:
    """``run()``, and the CPU its children and the registry spent, kept under ``name``."""
    before = (cpu_seconds(None), cpu_seconds(server) if server else 0.0)
    result = run()
    after = (cpu_seconds(None), cpu_seconds(server) if server else 0.0)
    cpu.setdefault(name, []).append((after[0] - before[0], after[1] - before[1]))
    return result


def curl_loop(urls: list[str]) -> float:
    script = 'for u in "$@"; do curl -sf -o /dev/null "$u" || exit 1; done'
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", script, "curl-loop", *urls], check=True)
    return time.perf_counter() - t0


def curl_one(urls: list[str], workdir: Path) -> float:
    config = workdir / "urls.curl"
    config.write_text("".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls))
    t0 = time.perf_counter()
    subprocess.run(["curl", "-sf", "-K", str(config)], check=True)
    return time.perf_counter() - t0


MEMORY_CHILD = """
import json, resource, sys, time, tracemalloc
from ecr_cache_tui.wiring import open_oci_service
host, repo, listing = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
service = open_oci_service(host, prefix="", env={})
tracemalloc.start()
t0 = time.perf_counter()
tags = service.list_tags(repo) if listing else []
elapsed = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"tags": len(tags), "peak": peak, "rss_kib": rss, "s": elapsed}))
"""


def memory(host: str, repo: str, listing: bool) -> dict[str, float]:
    python = str(REPO / ".venv/bin/python")
    flag = "1" if listing else "0"
    done = subprocess.run(
        [python, "-c", MEMORY_CHILD, host, repo, flag], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=10_000, help="0: no memory measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--baseline", help="a source tree (git archive of a commit) whose ls runs interleaved too"
    )
    opts = parser.parse_args()
    host = os.environ["ECR_CACHE_TEST_REGISTRY"]
    stamp = f"{int(time.time())}"
    prefix = f"bench{stamp}/"
    t0 = time.perf_counter()
    fill(host, prefix, opts.repos)
    print(f"filled {opts.repos} repositories in {time.perf_counter() - t0:.1f} s", flush=True)
    repositories = names(host, prefix)
    assert len(repositories) == opts.repos, len(repositories)
    urls = catalog_urls(host, opts.repos)
    urls += [f"http://{host}/v2/{r}/tags/list" for r in repositories]
    print(f"baseline requests: {len(urls)} ({len(urls) - opts.repos} catalog pages)", flush=True)
    times: dict[str, list[float]] = {"ls": [], "curl loop": [], "curl one": []}
    if opts.baseline:
        times["ls (baseline)"] = []
    server = registry_pid()
    cpu: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(opts.runs):
            elapsed, listed = measured(cpu, "ls", server, lambda: run_ls(host, prefix))
            assert listed == opts.repos, listed
            times["ls"].append(elapsed)
            times["curl loop"].append(measured(cpu, "curl loop", server, lambda: curl_loop(urls)))
            one = measured(cpu, "curl one", server, lambda: curl_one(urls, Path(tmp)))
            times["curl one"].append(one)
            if opts.baseline:
                elapsed, listed = measured(
                    cpu, "ls (baseline)", server, lambda: run_ls(host, prefix, opts.baseline)
                )
                assert listed == opts.repos, listed
                times["ls (baseline)"].append(elapsed)
    load = os.getloadavg()
    loads = f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    print(f"\nls over {opts.repos} repositories, {opts.runs} interleaved rounds "
          f"(load {loads}); at most 8 requests in flight")  # fmt: skip
    print("| contender | median s | min s | ls / it (median) | ls / it (min) |")
    print("|---|---|---|---|---|")
    ls_med, ls_min = statistics.median(times["ls"]), min(times["ls"])
    for name, values in times.items():
        med, low = statistics.median(values), min(values)
        print(f"| {name} | {med:.2f} | {low:.2f} | {ls_med / med:.2f}x | {ls_min / low:.2f}x |")
    print("\nCPU seconds of each contender (median over rounds): its own processes, and the")
    print("registry's process over the same time (its access log on, as scripts/test starts it)")
    print("| contender | client CPU s | registry CPU s |")
    print("|---|---|---|")
    for name, spent in cpu.items():
        client = statistics.median(c for c, _ in spent)
        registry = statistics.median(r for _, r in spent)
        print(
            f"| {name} | {client:.2f} | {registry:.2f} |"
            if server
            else f"| {name} | {client:.2f} | ? |"
        )
    if opts.tags:
        measure_memory(host, prefix, opts.tags)
    return 0


def measure_memory(host: str, prefix: str, tags: int) -> None:
    small, big = f"{prefix}mem/small", f"{prefix}mem/big"
    fill_tags(host, small, tags // 10)
    fill_tags(host, big, tags)
    base = memory(host, big, listing=False)
    few = memory(host, small, listing=True)
    many = memory(host, big, listing=True)
    print(f"\nmemory: list_tags of {few['tags']:.0f} and {many['tags']:.0f} tags")
    print("| listing | tags | seconds | tracemalloc peak | bytes / tag | peak RSS | RSS / import |")
    print("|---|---|---|---|---|---|---|")
    for name, m in (("import only", base), ("a tenth", few), ("all", many)):
        per = m["peak"] / m["tags"] if m["tags"] else 0
        rss = f"{m['rss_kib'] / 1024:.0f} MiB | {m['rss_kib'] / base['rss_kib']:.2f}x"
        print(f"| {name} | {m['tags']:.0f} | {m['s']:.2f} | {m['peak'] / 2**20:.1f} MiB | "
              f"{per:.0f} | {rss} |")  # fmt: skip
    growth = many["peak"] / few["peak"]
    print(f"peak growth {few['tags']:.0f} -> {many['tags']:.0f} tags: "
          f"{growth:.1f}x for {many['tags'] / few['tags']:.0f}x the tags")  # fmt: skip


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    sys.exit(main())
