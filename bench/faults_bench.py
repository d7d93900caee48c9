"""Faults benchmark: a token throttled forever, this checkout against a baseline checkout.

Run it with the services that ``scripts/test`` starts, giving the baseline as a checkout of an
earlier commit (``git worktree add --detach /tmp/base 3d9fd6a``, the commit before issue 12's
retry budgets)::

    scripts/test --with-services .venv/bin/python bench/faults_bench.py --baseline /tmp/base

Both checkouts' ``hooks/pre-command`` are sourced by bash at once (side by side, the same
machine and load), each against moto behind its own fault proxy (``tests/faultproxy.py``) that
answers every ``GetAuthorizationToken`` with ECR's ThrottlingException, and the registry. It
prints, for each: the exit status, the wall time, the number of ``GetAuthorizationToken`` calls
the proxy saw, and the hook's last line on stderr. The retry budget is the default (60 s a
step) unless ``ECR_CACHE_RETRY_SECONDS`` is set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.faultproxy import FaultProxy  # noqa: E402
from tests.services import Services, write_context  # noqa: E402


def run(label: str, checkout_dir: Path, services: Services, results: dict[str, str]) -> None:
    with FaultProxy(services.moto_url) as proxy:
        proxy.throttle("GetAuthorizationToken", times=None)
        tmp = Path(tempfile.mkdtemp(prefix=f"faults-bench-{label}-"))
        checkout = write_context(tmp / "co", "FROM local/busybox\nCOPY p /p\n", {"p": label})
        base = {"PATH": os.environ["PATH"], "HOME": str(tmp), "LANG": "C.UTF-8"}
        env = services.env(moto=True, base=base)
        env.pop("AWS_REGION", None)
        env.update(
            {
                "BUILDKITE": "true",
                "BUILDKITE_ORGANIZATION_SLUG": "acme",
                "BUILDKITE_PIPELINE_SLUG": f"bench-{label}",
                "BUILDKITE_JOB_ID": "job",
                "BUILDKITE_PLUGIN_CONFIGURATION": json.dumps(
                    {"registry-hostname": services.auth_registry}
                ),
                "ECR_CACHE_PYTHON": sys.executable,
                "PYTHONPATH": str(checkout_dir),
                "AWS_ENDPOINT_URL_ECR": proxy.url,
                "ECR_CACHE_DOCKER_CLI": services.legacy_cli,
                "DOCKER_BUILDKIT": "0",
            }
        )
        if os.environ.get("ECR_CACHE_RETRY_SECONDS"):
            env["ECR_CACHE_RETRY_SECONDS"] = os.environ["ECR_CACHE_RETRY_SECONDS"]
        start = time.monotonic()
        done = subprocess.run(
            ["bash", "-c", f'source "{checkout_dir}/hooks/pre-command"'],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.monotonic() - start
        calls = proxy.count(r" GetAuthorizationToken$")
        last = (done.stderr.strip().splitlines() or [""])[-1][:160]
        results[label] = (
            f"exit {done.returncode} after {seconds:.1f} s, {calls} GetAuthorizationToken calls; "
            f"{last}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout to compare with")
    args = parser.parse_args()
    services = Services.from_environ(os.environ)
    services.reset_moto()
    results: dict[str, str] = {}
    threads = [
        threading.Thread(target=run, args=(label, path, services, results))
        for label, path in (("baseline", args.baseline.resolve()), ("current", REPO))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for label in ("baseline", "current"):
        print(f"{label}: {results.get(label, 'no result')}")


if __name__ == "__main__":
    main()
