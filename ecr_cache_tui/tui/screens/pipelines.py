"""The first screen: every cache repository as a pipeline, grouped by organisation.

The listing is one paginated call; each repository's figures (images, size, newest push,
max age, cost: two calls each) load lazily afterwards: only those of the rows on screen (and a
page ahead), as they come into view, once there are more than :data:`EAGER_FIGURES` (up to
that, all at once, so the totals are whole). Sorting or filtering by a figure loads them all. A
registry with thousands of repositories is browsable at once, and opening the TUI does not make
two calls per repository.

What needs attention stands out (:mod:`ecr_cache_tui.health`), in a theme colour and in words
or a ``!`` (so it survives ``NO_COLOR``): no policy, stale, each pipeline's share of the cost;
the line above the table sums it up. ``o`` orders the rows by the presets of :data:`PRESETS`.
``space`` marks pipelines; ``m`` then sets one max age over all of them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from ecr_cache_tui import health
from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.messages import (
    AccountFound,
    BackendFailed,
    CacheChanged,
    CopyUri,
    EvictRequested,
    MaxAgeRequested,
    MaxAgeSet,
    OpenPipeline,
    PipelinesLoaded,
    StatsLoaded,
    call_backend,
)
from ecr_cache_tui.tui.screens.base import ServiceScreen
from ecr_cache_tui.tui.widgets.footer import KeysFooter
from ecr_cache_tui.tui.widgets.rows import Column, SortValue, TableRow, parse_filter, short_time
from ecr_cache_tui.tui.widgets.summary import Summary
from ecr_cache_tui.tui.widgets.table import FilterTable

if TYPE_CHECKING:
    from ecr_cache_tui.model import PipelineStats, PipelineSummary

__all__ = ["COLUMNS", "PRESETS", "PipelinesScreen", "pipeline_row"]

#: When narrow, lower priorities shrink and go first; Max age and Cost/month always stay.
COLUMNS = (
    Column("org", "Organisation", 14, min_width=6, priority=3, grow=1, max_width=24),
    Column("pipeline", "Pipeline", 26, min_width=12, priority=9, keep=True, grow=3, max_width=56),
    Column("images", "Images", 6, "right", priority=2, descending=True),
    Column("size", "Size", 10, "right", priority=5, descending=True),
    Column(
        "pushed", "Newest push", 12, min_width=7, priority=4, shorten=short_time, descending=True
    ),
    # Wide enough for the title and a sort arrow: never cut.
    Column("max_age", "Max age", 9, "right", priority=8, keep=True),
    Column("cost", "Cost/month", 12, "right", priority=7, keep=True, descending=True),
    Column("share", "Share", 11, priority=1, descending=True),
)
COLUMN = {c.key: i for i, c in enumerate(COLUMNS)}

#: ``o`` cycles through these: (name, column, descending).
PRESETS: tuple[tuple[str, str, bool], ...] = (
    ("most expensive", "cost", True),
    ("stalest", "pushed", False),
    ("without a policy", "max_age", False),
)

#: How often loaded figures are pushed to the screen while loading.
STATS_BATCH_SECONDS = 0.3
#: Rows past the last one on screen whose figures load with it (a page of scrolling ahead).
LOOKAHEAD = 40
#: Up to this many repositories, every figure loads at once (the totals are whole); more, and
#: only those in view (and a page ahead) load.
EAGER_FIGURES = 200
#: How often the screen looks for rows in view whose figures are missing.
VIEW_CHECK_SECONDS = 0.25
#: Columns whose values are figures: sorting or filtering by one needs every row's.
FIGURE_COLUMNS = frozenset(range(2, len(COLUMNS)))
#: A cost share at least this large is drawn hot.
HOT_SHARE = 0.2
#: The share bar's width in cells (eighths of a cell drawn).
BAR_CELLS = 6
_BLOCKS = " ▏▎▍▌▋▊▉█"
#: The account in an ECR repository URI.
_ACCOUNT = re.compile(r"^(\d{12})\.dkr\.ecr\.")


def share_bar(share: float, largest: float) -> str:
    """``███▌   12%``: a pipeline's part of the total cost; the bar is drawn against the
    ``largest`` share (the most expensive pipeline's bar is full)."""
    part = share / largest if largest > 0 else 0.0
    eighths = round(max(0.0, min(part, 1.0)) * BAR_CELLS * 8)
    bar = "█" * (eighths // 8) + (_BLOCKS[eighths % 8] if eighths % 8 else "")
    return f"{bar:<{BAR_CELLS}}{share * 100:4.0f}%"


def pipeline_row(
    p: PipelineSummary, now: datetime, total_cost: float, largest_cost: float = 0.0
) -> TableRow:
    """The row of one pipeline (figures ``…`` until loaded); ``total_cost`` for its share,
    ``largest_cost`` (the most expensive pipeline's) for the length of its bar."""
    s = p.stats
    if s is None:
        cells = [p.organisation, p.pipeline, *[fmt.LOADING] * 6]
        values: list[SortValue] = [p.organisation, p.pipeline, *[None] * 6]
        tones = None
    else:
        stale = health.is_stale(s, now)
        share = health.cost_share(s.monthly_cost_usd, total_cost)
        max_age = fmt.max_age(s.max_age_days, s.has_policy, known=s.policies_known)
        no_policy = s.policies_known and not s.has_policy
        cells = [
            p.organisation,
            p.pipeline,
            str(s.image_count),
            fmt.size(s.total_bytes),
            ("! " if stale else "") + fmt.date(s.newest_push),
            "! none" if no_policy else max_age,
            fmt.cost(s.monthly_cost_usd),
            share_bar(share, health.cost_share(largest_cost, total_cost)),
        ]
        values = [
            p.organisation,
            p.pipeline,
            s.image_count,
            s.total_bytes,
            s.newest_push.timestamp() if s.newest_push else None,
            # Ascending: no policy first, then one not ecr-cache's, then the shortest.
            s.max_age_days if s.max_age_days is not None else (0 if s.has_policy else -1),
            s.monthly_cost_usd,
            share,
        ]
        hot = share >= HOT_SHARE
        tones = [
            "",
            "",
            "",
            "",
            "warning" if stale else "",
            "error" if no_policy else "",
            "warning" if hot else "",
            "warning" if hot else "accent",
        ]
    row = TableRow.build(p.repository, cells, values, data=p, tones=tones)
    # ``org:acme`` and ``acme/web`` both find it: the repository name is searchable too.
    texts_ = (*row.texts[:1], f"{p.repository.lower()} {row.texts[1]}", *row.texts[2:])
    return replace(row, texts=texts_, haystack="")


class PipelinesScreen(ServiceScreen):
    """Cache repositories under the prefix, one row per pipeline."""

    #: The table has focus from the start (not the hidden filter line, Textual's first pick:
    #: its bindings would draw a footer of three keys, redrawn in full a moment later).
    AUTO_FOCUS = "RowsView"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("c", "copy_uri", "Copy"),
        Binding("o", "preset", "Order"),
        Binding("D", "evict_all", "Evict all", key_display="D"),
        Binding("m", "max_age", "Max age"),
        # Last: on a narrow footer, Max age matters more than the key that marks for it.
        Binding("space", "mark", "Mark"),
    ]
    MUTATING: ClassVar[frozenset[str]] = frozenset({"evict_all", "max_age", "mark"})

    def __init__(self) -> None:
        super().__init__(id="pipelines")
        self.pipelines: dict[str, PipelineSummary] = {}
        #: Repositories whose figures are missing or out of date.
        self._stale: set[str] = set()
        #: Repositories whose figures a worker is loading now.
        self._loading: set[str] = set()
        #: The sort preset ``o`` chose last (an index into PRESETS).
        self.preset: int | None = None
        self._listed = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Summary("Loading repositories…", id="summary")
        yield Summary(id="attention", classes="attention")
        yield Static("", id="error", classes="error")
        yield FilterTable(COLUMNS, sort_column=None, markable=True, id="pipelines-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_error("")
        self.query_one("#attention", Summary).display = False
        self.table.loading = True
        self.table.table.focus()
        self.load()
        self.set_interval(VIEW_CHECK_SECONDS, self.request_figures)
        self.set_interval(1, self.tick_updated)

    @property
    def table(self) -> FilterTable:
        """The pipelines table."""
        return self.query_one(FilterTable)

    def loading_done(self) -> None:
        self.table.loading = False
        if not self._listed:
            self.query_one("#summary", Summary).set_parts(["Could not list the repositories"])

    # -- loading --------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Reload everything; cursor, sort and filter stay."""
        self.load()

    def start_over(self) -> None:
        """Forget every pipeline listed and list again (the app now browses another registry)."""
        self.pipelines = {}
        self._stale = set()
        self._loading = set()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="list")
    def load(self) -> None:
        """List the repositories (one paginated call), then load figures."""
        call_backend(self, "list repositories", self.service.list_pipelines, PipelinesLoaded)

    @on(PipelinesLoaded)
    def _loaded(self, event: PipelinesLoaded) -> None:
        self.set_error("")
        self.table.loading = False
        self._listed = True
        self.updated_at = self.now()
        previous = self.pipelines
        # Figures already known stay on screen until reloaded: no flash of "…" on refresh.
        self.pipelines = {
            p.repository: replace(p, stats=previous[p.repository].stats)
            if p.repository in previous
            else p
            for p in event.pipelines
        }
        self._stale = set(self.pipelines)
        self._loading = set()
        self.table.set_rows(self._rows())
        self._summary()
        self.request_figures()
        for p in event.pipelines[:1]:
            found = _ACCOUNT.match(p.uri)
            if found:
                self.app.post_message(AccountFound(found.group(1)))

    def request_figures(self) -> None:
        """Load the figures of the rows in view (all rows when sorted or filtered by one)."""
        if self._loading or not self._stale or not self.is_mounted:
            return
        table = self.table
        rows = table.shown_rows
        if (
            len(self.pipelines) <= EAGER_FIGURES
            or table.sort_column in FIGURE_COLUMNS
            or any(t.column in FIGURE_COLUMNS for t in parse_filter(table.filter_text, COLUMNS))
        ):
            wanted = rows
        else:
            top = int(table.table.scroll_y)
            wanted = rows[top : top + table.table.size.height + LOOKAHEAD]
        missing = [r.key for r in wanted if r.key in self._stale]
        if missing:
            self._loading = set(missing)
            self.load_stats(missing)

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats")
    def load_stats(self, order: Sequence[str]) -> None:
        """Figures of every repository in ``order``, posted in batches."""
        worker = get_current_worker()
        batch: dict[str, PipelineStats] = {}
        last = time.monotonic()
        failed: BaseException | None = None
        stats = self.service.iter_pipeline_stats(order, workers=self.context.stats_workers)
        with closing(stats):  # leaving early cancels the calls not started yet
            for repository, result in stats:
                if worker.is_cancelled:
                    return
                if isinstance(result, Exception):  # one failing does not stop the rest
                    failed = result
                else:
                    batch[repository] = result
                if batch and time.monotonic() - last >= STATS_BATCH_SECONDS:
                    self.post_message(StatsLoaded(batch))
                    batch = {}
                    last = time.monotonic()
        if failed is not None:
            self.post_message(BackendFailed("load repository figures", failed))
        self.post_message(StatsLoaded(batch, done=True))

    @on(StatsLoaded)
    def _stats_loaded(self, event: StatsLoaded) -> None:
        self._stale -= set(event.stats)
        if event.done:
            # What failed is not retried until a refresh: no loop of failing calls.
            self._stale -= self._loading
            self._loading = set()
        for repository, stats in event.stats.items():
            if repository in self.pipelines:
                self.pipelines[repository] = replace(self.pipelines[repository], stats=stats)
        if event.stats:
            # Each row's share of the cost changes with the total: every loaded row is redrawn.
            self.table.update_rows(self._rows(loaded_only=True))
        self._summary()

    @on(CacheChanged)
    def _changed(self, event: CacheChanged) -> None:
        if event.repository in self.pipelines:
            self._stale.add(event.repository)
            self.request_figures()

    def _rows(self, *, loaded_only: bool = False) -> list[TableRow]:
        now = self.now()
        costs = [p.stats.monthly_cost_usd for p in self.pipelines.values() if p.stats]
        total, largest = sum(costs), max(costs, default=0.0)
        if loaded_only:
            return [
                pipeline_row(p, now, total, largest) for p in self.pipelines.values() if p.stats
            ]
        # Grouped by organisation: that is the order rows come in until sorted otherwise.
        ordered = sorted(self.pipelines.values(), key=lambda p: (p.organisation, p.pipeline))
        return [pipeline_row(p, now, total, largest) for p in ordered]

    def _summary(self) -> None:
        if not self._listed:
            return
        pipelines = list(self.pipelines.values())
        if not pipelines:
            self.query_one("#summary", Summary).set_parts(
                [f"No cache repositories under {self.service.prefix}", self.updated_text()]
            )
            return
        orgs = len({p.organisation for p in pipelines})
        loaded = [p.stats for p in pipelines if p.stats is not None]
        parts = [
            fmt.plural(orgs, "organisation"),
            fmt.plural(len(pipelines), "pipeline"),
            fmt.plural(sum(s.image_count for s in loaded), "image"),
            fmt.size(sum(s.total_bytes for s in loaded)),
            f"{fmt.cost(sum(s.monthly_cost_usd for s in loaded))}/month",
        ]
        if len(loaded) < len(pipelines):
            parts.append(f"figures {len(loaded)}/{len(pipelines)} loaded")
        parts.append(self.updated_text())
        self.query_one("#summary", Summary).set_parts(parts)
        attention = health.pipeline_attention(loaded, self.now())
        self.query_one("#attention", Summary).set_parts(
            ["! " + attention[0], *attention[1:]] if attention else []
        )

    # -- actions --------------------------------------------------------------------------

    def _current(self) -> PipelineSummary | None:
        row = self.table.current
        return self.pipelines.get(row.key) if row is not None else None

    @on(FilterTable.Chosen)
    def _chosen(self, event: FilterTable.Chosen) -> None:
        event.stop()
        self.app.post_message(OpenPipeline(event.row.key))

    def action_copy_uri(self) -> None:
        p = self._current()
        if p is not None:
            self.app.post_message(CopyUri(p.uri, "repository URI"))

    def action_evict_all(self) -> None:
        p = self._current()
        if p is not None:
            self.app.post_message(EvictRequested(p.repository, None))

    def action_mark(self) -> None:
        self.table.toggle_mark()
        self.table.table.action_cursor_down()

    def action_max_age(self) -> None:
        """The max age of the marked pipelines (one change, one preview), else the cursor's."""
        marked = [r.key for r in self.table.marked_rows()]
        if marked:
            self.app.post_message(MaxAgeRequested(*marked))
            return
        p = self._current()
        if p is not None:
            self.app.post_message(MaxAgeRequested(p.repository))

    @on(MaxAgeSet)
    def _policy_applied(self) -> None:
        self.table.clear_marks()  # spent on the change they were for

    def action_preset(self) -> None:
        """Order by the next preset: most expensive, stalest, without a policy."""
        self.apply_preset(0 if self.preset is None else (self.preset + 1) % len(PRESETS))

    def apply_preset(self, index: int) -> None:
        """Order the rows by ``PRESETS[index]`` and say which."""
        name, column, descending = PRESETS[index]
        self.preset = index
        self.table.sort(COLUMN[column], reverse=descending)
        self.notify(f"Ordered by {name} (o: next)", timeout=3)
        self.request_figures()

    def select(self, repository: str) -> None:
        """Put the cursor on ``repository`` (clearing a filter that hides it)."""
        table = self.table
        keys = [r.key for r in table.shown_rows]
        if repository not in keys and table.filter_text:
            table.action_clear_filter()
            keys = [r.key for r in table.shown_rows]
        if repository in keys:
            table.table.move_cursor(row=keys.index(repository))
