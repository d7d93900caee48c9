"""The tags of one cache repository: pushed, size, last pulled, expiry, ``latest``.

``space`` marks tags; ``d`` evicts the marked ones (or the one under the cursor), ``D`` every tag
of the pipeline; both ask first (the app's confirmation modal) and the next build rebuilds.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static

from ecr_cache_tui import health
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
from ecr_cache_tui.tui.widgets.rows import Column, TableRow, short_time
from ecr_cache_tui.tui.widgets.summary import Summary
from ecr_cache_tui.tui.widgets.table import FilterTable

if TYPE_CHECKING:
    from ecr_cache_tui.model import TagInfo

__all__ = ["COLUMNS", "TagsScreen", "tag_row"]

#: When narrow, lower priorities shrink and go first: the hash and the date before the rest;
#: Expires always stays.
COLUMNS = (
    Column("tag", "Tag", 34, min_width=10, priority=9, keep=True, grow=3, max_width=72),
    Column(
        "pushed", "Pushed (UTC)", 16, min_width=12, priority=4, shorten=short_time, descending=True
    ),
    Column("size", "Size", 10, "right", priority=5, descending=True),
    Column("pulled", "Last pulled", 11, "right", priority=6, descending=True),
    Column("expires", "Expires", 9, "right", priority=8, keep=True),
    Column("latest", "Latest", 6, style="bold", priority=2, descending=True),
)


def tag_row(info: TagInfo, now: datetime) -> TableRow:
    """The row of one tag, times relative to ``now``; ``!`` and a tone where it needs
    attention (never pulled, expiring within a day)."""
    never = info.pulls_known and info.last_pulled is None
    # health.expiring_soon, inlined: this runs for every tag of a 10,000-tag listing.
    expires = info.expires_at
    soon = expires is not None and expires - now <= health.EXPIRING_WITHIN
    cells = [
        info.tag,
        fmt.timestamp(info.pushed_at),
        fmt.size(info.size_bytes),
        "! never"
        if never
        else (fmt.ago(info.last_pulled, now) if info.pulls_known else fmt.UNKNOWN),
        "! " + fmt.expires_in(expires, now) if soon else fmt.expires_in(expires, now),
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
    tones = ("", "", "", "warning" if never else "", "error" if soon else "", "")
    return TableRow.build(
        info.tag, cells, values, data=info, tones=tones if never or soon else None
    )


class TagsScreen(ServiceScreen):
    """Every tag of ``repository``, newest push first."""

    #: The table has focus from the start (not the hidden filter line, Textual's first pick:
    #: its bindings would draw a footer of three keys, redrawn in full a moment later).
    AUTO_FOCUS = "RowsView"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "copy_uri", "Copy"),
        Binding("space", "mark", "Mark"),
        Binding("d", "evict", "Evict"),
        Binding("D", "evict_all", "Evict all", key_display="D"),
        Binding("m", "max_age", "Max age"),
    ]
    MUTATING: ClassVar[frozenset[str]] = frozenset({"evict", "evict_all", "max_age", "mark"})

    def __init__(self, repository: str) -> None:
        super().__init__(id="tags")
        self.repository = repository
        self.tags: dict[str, TagInfo] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Summary(self.repository, "Loading tags…", id="summary")
        yield Summary(id="attention", classes="attention")
        yield Static("", id="error", classes="error")
        yield FilterTable(COLUMNS, markable=True, id="tags-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_error("")
        self.query_one("#attention", Summary).display = False
        self.title = self.repository
        self.table.loading = True
        self.table.table.focus()
        self.load()
        self.set_interval(1, self.tick_updated)

    @property
    def table(self) -> FilterTable:
        """The tags table."""
        return self.query_one(FilterTable)

    def loading_done(self) -> None:
        self.table.loading = False
        if self.updated_at is None:
            self.query_one("#summary", Summary).set_parts(
                [self.repository, "Could not list the tags"]
            )

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
        self.updated_at = self.now()
        self._summary()

    def _summary(self) -> None:
        tags = list(self.tags.values())
        if self.updated_at is None:
            return
        if not tags:
            parts = [self.repository, "No tags: the next build pushes one", self.updated_text()]
            self.query_one("#summary", Summary).set_parts(parts)
            self.query_one("#attention", Summary).set_parts([])
            return
        images = {t.digest: t.size_bytes for t in tags}
        self.query_one("#summary", Summary).set_parts(
            [
                self.repository,
                fmt.plural(len(images), "image"),
                fmt.plural(len(tags), "tag"),
                fmt.size(sum(images.values())),
                self.updated_text(),
            ]
        )
        attention = health.tag_attention(tags, self.now())
        self.query_one("#attention", Summary).set_parts(
            ["! " + attention[0], *attention[1:]] if attention else []
        )

    @on(CacheChanged)
    def _changed(self, event: CacheChanged) -> None:
        if event.repository == self.repository:
            self.load()

    def action_refresh(self) -> None:
        """Reload; cursor, sort, filter and marks stay."""
        self.load()

    # -- actions --------------------------------------------------------------------------

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
