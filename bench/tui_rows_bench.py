"""The tags screen's row building, two trees side by side: 10,000 ``TagInfo`` → ``tag_row``.

    .venv/bin/python bench/tui_rows_bench.py /tmp/wt-before .    # before, after (interleaved)

Each tree runs in its own interpreter (its ``ecr_cache_tui`` first on ``sys.path``), two
rounds interleaved; each prints the best of 7 builds and the rows' memory (tracemalloc).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHILD = """
import sys, time, tracemalloc
from datetime import datetime, timedelta, timezone
sys.path.insert(0, sys.argv[1])
from ecr_cache_tui.model import TagInfo
from ecr_cache_tui.tui.screens.tags import tag_row
now = datetime(2026, 3, 2, tzinfo=timezone.utc)
tags = [TagInfo(tag=f"{i:032x}", digest=f"sha256:{i:064x}", pushed_at=now - timedelta(minutes=i),
                size_bytes=10**8 + i, last_pulled=None if i % 3 else now - timedelta(hours=i),
                expires_at=now + timedelta(hours=i), is_latest=i == 0, other_tags=(), uri="x")
        for i in range(10_000)]
best = float("inf")
for _ in range(7):
    t = time.perf_counter()
    rows = [tag_row(info, now) for info in tags]
    best = min(best, time.perf_counter() - t)
del rows
tracemalloc.start()
rows = [tag_row(info, now) for info in tags]
print(f"{best * 1000:.0f} ms, {tracemalloc.get_traced_memory()[0] / 1e6:.1f} MB")
"""


def main() -> None:
    trees = [str(Path(t).resolve()) for t in sys.argv[1:]] or ["."]
    for round_ in (1, 2):
        for tree in trees:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, tree], capture_output=True, text=True, check=True
            )
            print(f"round {round_}  {tree}: 10,000 rows in {out.stdout.strip()}")


if __name__ == "__main__":
    main()
