"""The tags of one cache repository: pushed, size, last pulled, expiry, ``latest``.

``space`` marks tags; ``d`` evicts the marked ones (or the one under the cursor), ``D`` every tag
of the pipeline; both ask first (the app's confirmation modal) and the next build rebuilds.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static

from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.messages import (
    CacheChanged,
    CopyUri,
    Evicted,
    EvictRequested,
    MaxAgeRequested,
    OpenTag,
    TagsLoaded,
    call_backend,
)
from ecr_cache_tui.tui.screens.base import ServiceScreen
from ecr_cache_tui.tui.widgets.footer import KeysFooter
from ecr_cache_tui.tui.widgets.rows import Column, TableRow
from ecr_cache_tui.tui.widgets.table import FilterTable

if TYPE_CHECKING:
    from ecr_cache_tui.model import TagInfo

__all__ = ["COLUMNS", "TagsScreen", "tag_row"]

COLUMNS = (
    Column("tag", "Tag", 34),
    Column("pushed", "Pushed (UTC)", 16),
    Column("size", "Size", 9, "right"),
    Column("pulled", "Last pulled", 11, "right"),
    Column("expires", "Expires", 8, "right"),
    Column("latest", "Latest", 6, style="bold"),
)


def tag_row(info: TagInfo, now: datetime) -> TableRow:
    """The row of one tag, times relative to ``now``."""
    cells = [
        info.tag,
        fmt.timestamp(info.pushed_at),
        fmt.size(info.size_bytes),
        fmt.ago(info.last_pulled, now),
        fmt.expires_in(info.expires_at, now),
        "latest" if info.is_latest else "",
    ]
    values: list[int | float | str | None] = [
        info.tag,
        info.pushed_at.timestamp() if info.pushed_at else None,
        info.size_bytes,
        info.last_pulled.timestamp() if info.last_pulled else None,
        info.expires_at.timestamp() if info.expires_at else None,
        1 if info.is_latest else 0,
    ]
    return TableRow.build(info.tag, cells, values, data=info)


class TagsScreen(ServiceScreen):
    """Every tag of ``repository``, newest push first."""

    #: The table has focus from the start (not the hidden filter line, Textual's first pick:
    #: its bindings would draw a footer of three keys, redrawn in full a moment later).
    AUTO_FOCUS = "RowsView"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "copy_uri", "Copy URI"),
        Binding("space", "mark", "Mark"),
        Binding("d", "evict", "Rebuild (evict)"),
        Binding("D", "evict_all", "Evict all", key_display="D"),
        Binding("m", "max_age", "Max age"),
    ]

    def __init__(self, repository: str) -> None:
        super().__init__(id="tags")
        self.repository = repository
        self.tags: dict[str, TagInfo] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(self.repository), id="summary")
        yield Static("", id="error", classes="error")
        yield FilterTable(COLUMNS, markable=True, id="tags-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_error("")
        self.title = self.repository
        self.sub_title = self.context.source
        self.table.loading = True
        self.table.table.focus()
        self.load()

    @property
    def table(self) -> FilterTable:
        """The tags table."""
        return self.query_one(FilterTable)

    def loading_done(self) -> None:
        self.table.loading = False

    # -- loading --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="tags")
    def load(self) -> None:
        """List the tags and make their rows (a worker: 10,000 rows take ~0.2 s)."""
        now = self.now()

        def tags_and_rows() -> tuple[list[TagInfo], list[TableRow]]:
            tags = self.service.list_tags(self.repository)
            return tags, [tag_row(t, now) for t in tags]

        call_backend(
            self,
            f"list tags of {self.repository}",
            tags_and_rows,
            lambda loaded: TagsLoaded(self.repository, *loaded),
        )

    @on(TagsLoaded)
    def _loaded(self, event: TagsLoaded) -> None:
        self.set_error("")
        self.table.loading = False
        self.tags = {t.tag: t for t in event.tags}
        self.table.set_rows(event.rows)
        total = sum({t.digest: t.size_bytes for t in event.tags}.values())
        self.query_one("#summary", Static).update(
            Text(f"{self.repository} · {len(event.tags)} tags · {fmt.size(total)}")
        )

    @on(CacheChanged)
    def _changed(self, event: CacheChanged) -> None:
        if event.repository == self.repository:
            self.load()

    def action_refresh(self) -> None:
        """Reload; cursor, sort, filter and marks stay."""
        self.load()

    # -- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in ("evict", "evict_all", "max_age", "mark") and self.read_only)

    def action_back(self) -> None:
        self.app.pop_screen()

    def _current(self) -> TagInfo | None:
        row = self.table.current
        return self.tags.get(row.key) if row is not None else None

    @on(FilterTable.Chosen)
    def _chosen(self, event: FilterTable.Chosen) -> None:
        event.stop()
        info = self.tags.get(event.row.key)
        if info is not None:
            self.app.post_message(OpenTag(self.repository, info, list(self.tags.values())))

    def action_mark(self) -> None:
        self.table.toggle_mark()
        self.table.table.action_cursor_down()

    def action_copy_uri(self) -> None:
        info = self._current()
        if info is not None:
            self.app.post_message(CopyUri(info.uri, "image URI"))

    def action_evict(self) -> None:
        marked = [r.key for r in self.table.marked_rows()]
        if marked:
            self.app.post_message(EvictRequested(self.repository, marked))
            return
        info = self._current()
        if info is not None:
            self.app.post_message(EvictRequested(self.repository, [info.tag]))

    def action_evict_all(self) -> None:
        self.app.post_message(EvictRequested(self.repository, None))

    def action_max_age(self) -> None:
        self.app.post_message(MaxAgeRequested(self.repository))

    @on(Evicted)
    def _evicted(self, event: Evicted) -> None:
        # After a confirmed eviction: marks are spent.
        if event.result.repository == self.repository:
            self.table.clear_marks()
