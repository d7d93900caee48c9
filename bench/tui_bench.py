"""TUI benchmark: the headless app on the demo backend scaled up, against ``ecr-cache ls --json``.

    .venv/bin/python bench/tui_bench.py [--pipelines 2000] [--tags 10000] [--keys 8]

The backend is the embedded demo ECR (moto in-process) with ``--pipelines`` repositories, one of
them holding ``--tags`` tags. Each measurement runs in its own subprocess (fresh interpreter,
its own demo fill, its own peak RSS); the parent prints one table with the TUI and the baseline
side by side:

* first screen: from ``App.run_test()`` starting to the first screen drawn (the listing
  loads in a worker; the worst event-loop stall meanwhile is shown), to every repository
  listed; then until the figures of the rows in view are in (the screen loads only
  those), and, after pressing ``4`` (sort by size, which needs them all), every figure.
* tags: from ``enter`` on the big pipeline to the first frame with all its tags on screen.
  The key is sent as the terminal driver sends it, not with ``pilot.press``: Pilot then waits
  for the process to go idle in a loop of ``sleep(0)``, which competes with the listing's
  worker thread for the GIL (measured: the listing took 2.1 s that way against 1.3 s).
* filter keystroke, two ways, median of ``--keys``: *key to frame*, from the key event sent to
  the first frame the screen renders after the table was rebuilt (the latency a user sees);
  and ``pilot.press`` of one character (and one backspace) in the filter, until Pilot finds
  the app idle again (this includes Pilot's own wait, shown by a key that changes nothing).
* peak memory: the process's peak RSS, moto's data included (``fill only`` shows that part).

Baseline: ``ecr-cache ls --json`` and ``ecr-cache ls PIPELINE --json`` run in-process (moto is
in-process, so a child ``ecr-cache`` could not see it) with stdout captured.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_demo(pipelines: int, tags: int) -> tuple[Any, float]:
    from ecr_cache_tui.demo import DemoEcr, DemoScale

    t0 = time.perf_counter()
    demo = DemoEcr(
        DemoScale(pipelines=pipelines, organisations=7, max_tags=6, big_pipeline_tags=tags)
    ).start()
    return demo, time.perf_counter() - t0


# -- the measurements (each in a child process) ---------------------------------------------


def measure_fill(opts: argparse.Namespace) -> dict[str, float]:
    _, fill = start_demo(opts.pipelines, opts.tags)
    return {"fill_s": fill, "rss_mb": rss_mb()}


def measure_tui(opts: argparse.Namespace) -> dict[str, float]:
    import asyncio

    t0 = time.perf_counter()
    from textual import events

    from ecr_cache_tui.tui.app import CacheApp
    from ecr_cache_tui.tui.screens.tags import TagsScreen
    from ecr_cache_tui.tui.widgets.table import FilterTable

    import_s = time.perf_counter() - t0
    demo, fill = start_demo(opts.pipelines, opts.tags)
    from ecr_cache_tui.demo import demo_service

    big = demo.repositories[0]
    out: dict[str, float] = {"import_s": import_s, "fill_s": fill}
    # The backend alone (moto in this process): what no screen can be faster than.
    service = demo_service(demo)
    t = time.perf_counter()
    service.list_pipelines()
    out["backend_pipelines_s"] = time.perf_counter() - t
    t = time.perf_counter()
    service.list_tags(big)
    out["backend_tags_s"] = time.perf_counter() - t

    def figures_missing(table: FilterTable, rows: int | None = None) -> bool:
        shown = table.shown_rows if rows is None else table.shown_rows[:rows]
        return any(r.values[2] is None for r in shown)

    async def run() -> None:
        app = CacheApp(demo_service(demo), source="bench", stats_workers=1)
        # Every frame the screen renders (headless: rendered, then not written anywhere).
        frames: list[float] = []
        display = app._display

        def spy(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                frames.append(time.perf_counter())
            display(screen, renderable)

        app._display = spy  # type: ignore[method-assign]
        start = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            # Up: the first screen is mounted and drawn; the listing loads in a worker.
            out["app_up_s"] = time.perf_counter() - start
            table = app.screen.query_one(FilterTable)
            # How long the event loop (keys, repaint) is held up at worst meanwhile.
            stall, last = 0.0, time.perf_counter()
            while len(table.rows) < opts.pipelines:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                stall, last = max(stall, now - last - 0.005), now
            out["loop_stall_s"] = stall
            await pilot.pause()
            out["first_screen_s"] = time.perf_counter() - start
            # Interactive: a key is answered while the figures in view load.
            t = time.perf_counter()
            await pilot.press("down")
            out["key_during_load_s"] = time.perf_counter() - t
            while figures_missing(table, rows=30):
                await asyncio.sleep(0.01)
            out["visible_figures_s"] = time.perf_counter() - start
            # Sorting by size needs every figure: that loads them all.
            t = time.perf_counter()
            await pilot.press("4")
            while figures_missing(table):
                await asyncio.sleep(0.02)
            out["all_figures_s"] = time.perf_counter() - t
            await pilot.press("1")  # back to organisation order

            keys = [r.key for r in table.shown_rows]
            table.table.move_cursor(row=keys.index(big))
            await pilot.pause()
            enter = events.Key("enter", "\r")
            enter.set_sender(app)
            t = time.perf_counter()
            app._driver.send_message(enter)  # type: ignore[union-attr]
            while (
                not isinstance(app.screen, TagsScreen)
                or len(app.screen.query_one(FilterTable).shown_rows) < opts.tags
            ):
                await asyncio.sleep(0.002)
            listed = time.perf_counter()
            while not frames or frames[-1] < listed:
                await asyncio.sleep(0.002)
            out["tags_s"] = next(f for f in frames if f > listed) - t
            await pilot.pause()

            tags = app.screen.query_one(FilterTable)
            rebuilt: list[float] = []
            rebuild = tags._rebuild

            def timed_rebuild() -> None:
                rebuild()
                rebuilt.append(time.perf_counter())

            tags._rebuild = timed_rebuild  # type: ignore[method-assign]

            def key_to_frame(sent: float) -> float:
                done = next(r for r in rebuilt if r > sent)
                return next(f for f in frames if f > done) - sent

            floor = []
            for _ in range(opts.keys):
                t = time.perf_counter()
                await pilot.press("left")  # a key that changes nothing: the harness's floor
                floor.append(time.perf_counter() - t)
            out["key_floor_s"] = statistics.median(floor)
            await pilot.press("slash")
            typed, erased, framed = [], [], []
            for ch in "abcdef0123456789"[: opts.keys]:
                t = time.perf_counter()
                await pilot.press(ch)
                typed.append(time.perf_counter() - t)
                framed.append(key_to_frame(t))
                out["rows_after_key"] = len(tags.shown_rows)
                t = time.perf_counter()
                await pilot.press("backspace")
                erased.append(time.perf_counter() - t)
                framed.append(key_to_frame(t))
                assert len(tags.shown_rows) == opts.tags + 1
            out["key_filter_s"] = statistics.median(typed)
            out["key_unfilter_s"] = statistics.median(erased)
            out["key_filter_max_s"] = max(typed + erased)
            out["key_frame_s"] = statistics.median(framed)
            out["key_frame_max_s"] = max(framed)
            # The table rebuild alone (no key handling, no repaint), for reference: a full
            # one (filter and sort every row), not the narrowing shortcut of a typed key.
            t = time.perf_counter()
            for _ in range(5):
                tags._shown_terms = None
                tags._rebuild()
            out["rebuild_only_s"] = (time.perf_counter() - t) / 5

    asyncio.run(run())
    out["rss_mb"] = rss_mb()
    demo.stop()
    return out


def measure_ls(opts: argparse.Namespace) -> dict[str, float]:
    demo, fill = start_demo(opts.pipelines, opts.tags)
    from ecr_cache_tui import cli

    os.environ.setdefault("AWS_DEFAULT_REGION", demo.region)
    out: dict[str, float] = {"fill_s": fill}
    for name, argv in (
        ("ls_pipelines_s", ["ls", "--json", "--region", demo.region]),
        ("ls_tags_s", ["ls", demo.repositories[0], "--json", "--region", demo.region]),
    ):
        buffer = io.StringIO()
        t = time.perf_counter()
        with contextlib.redirect_stdout(buffer):
            code = cli.main(argv)
        out[name] = time.perf_counter() - t
        assert code == 0, f"{argv} exited {code}"
        doc = json.loads(buffer.getvalue())
        count = len(doc["pipelines"]) if "pipelines" in doc else len(doc["tags"])
        out[name.replace("_s", "_count")] = count
    out["rss_mb"] = rss_mb()
    return out


# -- the parent: run each child, print the table --------------------------------------------


def child(mode: str, opts: argparse.Namespace) -> dict[str, float]:
    argv = [sys.executable, __file__, "--mode", mode, "--pipelines", str(opts.pipelines)]
    argv += ["--tags", str(opts.tags), "--keys", str(opts.keys)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode != 0:
        sys.exit(f"{mode} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pipelines", type=int, default=2000)
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=8)
    parser.add_argument("--mode", choices=("fill", "tui", "ls"), help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.mode:
        fn = {"fill": measure_fill, "tui": measure_tui, "ls": measure_ls}[opts.mode]
        print(json.dumps(fn(opts)))
        return

    fill = child("fill", opts)
    tui = child("tui", opts)
    ls = child("ls", opts)
    n, k = opts.pipelines, opts.tags

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "-"

    def ms(value: float) -> str:
        return f"{value * 1000:.1f} ms" if value < 0.01 else f"{value * 1000:.0f} ms"

    def sec(value: float) -> str:
        return f"{value:.2f} s"

    rows = [
        ("demo fill (setup, not timed below)", sec(tui["fill_s"]), sec(ls["fill_s"]), ""),
        ("import the app (textual)", sec(tui["import_s"]), "-", ""),
        ("first screen up, drawn (target < 1 s)", sec(tui["app_up_s"]), "-", ""),
        ("  worst event-loop stall while it lists", ms(tui["loop_stall_s"]), "-", ""),
        (
            f"first screen: {n:,} pipelines listed",
            sec(tui["first_screen_s"]),
            f"{sec(ls['ls_pipelines_s'])} (ls --json, every figure)",
            ratio(tui["first_screen_s"], ls["ls_pipelines_s"]),
        ),
        ("  the backend's listing alone (moto)", sec(tui["backend_pipelines_s"]), "-", ""),
        ("  a key answered while figures in view load", ms(tui["key_during_load_s"]), "-", ""),
        ("  figures of the rows in view loaded", sec(tui["visible_figures_s"]), "-", ""),
        (
            f"  every figure of {n:,} (sort by size)",
            sec(tui["all_figures_s"]),
            sec(ls["ls_pipelines_s"]),
            ratio(tui["all_figures_s"], ls["ls_pipelines_s"]),
        ),
        (
            f"{k:,} tags listed (target < 1.5 s)",
            sec(tui["tags_s"]),
            f"{sec(ls['ls_tags_s'])} (ls PIPELINE --json)",
            ratio(tui["tags_s"], ls["ls_tags_s"]),
        ),
        ("  the backend's list_tags alone (moto)", sec(tui["backend_tags_s"]), "-", ""),
        (
            f"filter keystroke at {k:,} rows, key to frame, median (target < 100 ms)",
            ms(tui["key_frame_s"]),
            "-",
            "",
        ),
        ("  slowest key to frame (typing and backspace)", ms(tui["key_frame_max_s"]), "-", ""),
        ("  the same keys through pilot.press, typing, median", ms(tui["key_filter_s"]), "-", ""),
        ("  pilot.press, backspace back to every row, median", ms(tui["key_unfilter_s"]), "-", ""),
        ("  pilot.press, slowest", ms(tui["key_filter_max_s"]), "-", ""),
        ("  a key that changes nothing (Pilot's floor)", ms(tui["key_floor_s"]), "-", ""),
        (f"  a full table rebuild alone ({k:,} rows)", ms(tui["rebuild_only_s"]), "-", ""),
        (
            "peak RSS (target < 300 MB)",
            f"{tui['rss_mb']:.0f} MB",
            f"{ls['rss_mb']:.0f} MB",
            ratio(tui["rss_mb"], ls["rss_mb"]),
        ),
        ("  of which the demo's moto data (fill only)", f"{fill['rss_mb']:.0f} MB", "", ""),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("measure", "TUI", "baseline", "TUI/baseline")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*head))
    print(line.format(*("-" * w for w in widths)))
    for r in rows:
        print(line.format(*r))
    print(
        f"\nrows after one filter key: {tui['rows_after_key']:.0f}; "
        f"ls listed {ls['ls_pipelines_count']:.0f} pipelines, {ls['ls_tags_count']:.0f} tags"
    )


if __name__ == "__main__":
    main()
