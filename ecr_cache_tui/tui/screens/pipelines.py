"""The first screen: every cache repository as a pipeline, grouped by organisation.

The listing is one paginated call; each repository's figures (tags, size, newest push,
max age, cost: two calls each) load lazily afterwards: only those of the rows on screen (and a
page ahead), as they come into view. Sorting or filtering by a figure loads them all. A registry
with thousands of repositories is browsable at once, and opening the TUI does not make two
calls per repository.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.messages import (
    BackendFailed,
    CacheChanged,
    CopyUri,
    EvictRequested,
    MaxAgeRequested,
    OpenPipeline,
    PipelinesLoaded,
    StatsLoaded,
    call_backend,
)
from ecr_cache_tui.tui.screens.base import ServiceScreen
from ecr_cache_tui.tui.widgets.footer import KeysFooter
from ecr_cache_tui.tui.widgets.rows import Column, TableRow, parse_filter
from ecr_cache_tui.tui.widgets.table import FilterTable

if TYPE_CHECKING:
    from ecr_cache_tui.model import PipelineStats, PipelineSummary

__all__ = ["COLUMNS", "PipelinesScreen", "pipeline_row"]

COLUMNS = (
    Column("org", "Organisation", 14),
    Column("pipeline", "Pipeline", 26),
    Column("tags", "Tags", 6, "right"),
    Column("size", "Size", 9, "right"),
    Column("pushed", "Newest push", 11),
    Column("max_age", "Max age", 8, "right"),
    Column("cost", "Cost/month", 10, "right"),
)

#: How often loaded figures are pushed to the screen while loading.
STATS_BATCH_SECONDS = 0.3
#: Rows past the last one on screen whose figures load with it (a page of scrolling ahead).
LOOKAHEAD = 40
#: How often the screen looks for rows in view whose figures are missing.
VIEW_CHECK_SECONDS = 0.25
#: Columns whose values are figures: sorting or filtering by one needs every row's.
FIGURE_COLUMNS = frozenset(range(2, 7))


def pipeline_row(p: PipelineSummary) -> TableRow:
    """The row of one pipeline (figures ``…`` until loaded)."""
    s = p.stats
    if s is None:
        cells = [p.organisation, p.pipeline, "…", "…", "…", "…", "…"]
        values: list[int | float | str | None] = [
            p.organisation,
            p.pipeline,
            None,
            None,
            None,
            None,
            None,
        ]
    else:
        cells = [
            p.organisation,
            p.pipeline,
            str(s.tag_count),
            fmt.size(s.total_bytes),
            fmt.date(s.newest_push),
            fmt.max_age(s.max_age_days, s.has_policy),
            fmt.cost(s.monthly_cost_usd),
        ]
        values = [
            p.organisation,
            p.pipeline,
            s.tag_count,
            s.total_bytes,
            s.newest_push.timestamp() if s.newest_push else None,
            s.max_age_days,
            s.monthly_cost_usd,
        ]
    row = TableRow.build(p.repository, cells, values, data=p)
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
        Binding("c", "copy_uri", "Copy URI"),
        Binding("D", "evict_all", "Rebuild (evict all)", key_display="D"),
        Binding("m", "max_age", "Max age"),
    ]

    def __init__(self) -> None:
        super().__init__(id="pipelines")
        self.pipelines: dict[str, PipelineSummary] = {}
        #: Repositories whose figures are missing or out of date.
        self._stale: set[str] = set()
        #: Repositories whose figures a worker is loading now.
        self._loading: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading repositories…", id="summary")
        yield Static("", id="error", classes="error")
        yield FilterTable(COLUMNS, sort_column=None, id="pipelines-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_error("")
        self.title = "ecr-cache"
        self.sub_title = self.context.source
        self.query_one(FilterTable).table.focus()
        self.load()
        self.set_interval(VIEW_CHECK_SECONDS, self.request_figures)

    @property
    def table(self) -> FilterTable:
        """The pipelines table."""
        return self.query_one(FilterTable)

    # -- loading --------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Reload everything; cursor, sort and filter stay."""
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="list")
    def load(self) -> None:
        """List the repositories (one paginated call), then load figures."""
        call_backend(self, "list repositories", self.service.list_pipelines, PipelinesLoaded)

    @on(PipelinesLoaded)
    def _loaded(self, event: PipelinesLoaded) -> None:
        self.set_error("")
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

    def request_figures(self) -> None:
        """Load the figures of the rows in view (all rows when sorted or filtered by one)."""
        if self._loading or not self._stale or not self.is_mounted:
            return
        table = self.table
        rows = table.shown_rows
        if table.sort_column in FIGURE_COLUMNS or any(
            t.column in FIGURE_COLUMNS for t in parse_filter(table.filter_text, COLUMNS)
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
        updated = []
        for repository, stats in event.stats.items():
            if repository in self.pipelines:
                p = replace(self.pipelines[repository], stats=stats)
                self.pipelines[repository] = p
                updated.append(pipeline_row(p))
        self.table.update_rows(updated)
        self._summary()

    @on(CacheChanged)
    def _changed(self, event: CacheChanged) -> None:
        if event.repository in self.pipelines:
            self._stale.add(event.repository)
            self.request_figures()

    def _rows(self) -> list[TableRow]:
        # Grouped by organisation: that is the order rows come in until sorted otherwise.
        ordered = sorted(self.pipelines.values(), key=lambda p: (p.organisation, p.pipeline))
        return [pipeline_row(p) for p in ordered]

    def _summary(self) -> None:
        pipelines = list(self.pipelines.values())
        orgs = len({p.organisation for p in pipelines})
        loaded = [p.stats for p in pipelines if p.stats is not None]
        total = sum(s.total_bytes for s in loaded)
        tags = sum(s.tag_count for s in loaded)
        monthly = sum(s.monthly_cost_usd for s in loaded)
        text = (
            f"{orgs} organisations · {len(pipelines)} pipelines · {tags} tags · "
            f"{fmt.size(total)} · {fmt.cost(monthly)}/month"
        )
        if len(loaded) < len(pipelines):
            text += f"  (figures {len(loaded)}/{len(pipelines)} loaded)"
        if self.read_only:
            text += "  [read-only]"
        self.query_one("#summary", Static).update(Text(text))

    # -- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: hidden from the footer and disabled.
        return not (action in ("evict_all", "max_age") and self.read_only)

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

    def action_max_age(self) -> None:
        p = self._current()
        if p is not None:
            self.app.post_message(MaxAgeRequested(p.repository))

    def select(self, repository: str) -> None:
        """Put the cursor on ``repository`` (clearing a filter that hides it)."""
        table = self.table
        keys = [r.key for r in table.shown_rows]
        if repository not in keys and table.filter_text:
            table.action_clear_filter()
            keys = [r.key for r in table.shown_rows]
        if repository in keys:
            table.table.move_cursor(row=keys.index(repository))
