"""How long a refused connection takes to be reported: the TUI's client against the CLI's.

    .venv/bin/python bench/refused_bench.py

Both list the cache repositories from an endpoint nothing listens on (``127.0.0.1:9``),
interleaved twice; the TUI's client (``open_service(interactive=True)``: 3 attempts, a 3 s
connect timeout) against the one the CLI and the hook use (9 attempts, 10 s).
"""

from __future__ import annotations

import os
import time

os.environ["AWS_ENDPOINT_URL_ECR"] = "http://127.0.0.1:9"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

from ecr_cache_tui.wiring import open_service


def main() -> None:
    for interactive in (False, True, False, True):
        service = open_service(region="eu-west-1", interactive=interactive)
        t = time.perf_counter()
        try:
            service.list_pipelines()
            outcome = "listed (something answered?)"
        except Exception as exc:  # the point is how long until it fails
            outcome = type(exc).__name__
        who = "TUI (interactive)" if interactive else "CLI"
        print(f"{who:<18} {time.perf_counter() - t:5.1f} s to {outcome}")


if __name__ == "__main__":
    main()
