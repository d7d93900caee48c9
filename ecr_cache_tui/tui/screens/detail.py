"""One tag: its inputs manifest (from the image label), the ``docker pull`` line, and a diff of
its inputs against another tag of the pipeline ("why did this build miss?").

``x`` compares with the previous tag at once (the next older push of the pipeline: usually the
build this one missed), ``X`` with one picked from a list. The diff shows each input old → new
(the rows ``ecr-cache diff`` prints: :mod:`ecr_cache_tui.cachekey.diffrows`) and is scrolled to
the top of the screen when it arrives, at any terminal size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from ecr_cache_tui.cachekey.diffrows import diff_rows
from ecr_cache_tui.cachekey.inputs import LABEL, Change, Manifest, describe_changes
from ecr_cache_tui.errors import escape
from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.messages import (
    CopyUri,
    DiffLoaded,
    Evicted,
    EvictRequested,
    ManifestLoaded,
    call_backend,
)
from ecr_cache_tui.tui.screens.base import ServiceScreen
from ecr_cache_tui.tui.screens.diff_picker import DiffPickerScreen
from ecr_cache_tui.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from ecr_cache_tui.model import TagInfo

__all__ = ["TagDetailScreen", "diff_view", "info_lines", "previous_tag"]

_STATUS_STYLE = {"added": "green", "removed": "red", "changed": "yellow", "same": "dim"}
#: Changed files listed under a pattern; the rest are counted.
FILES_SHOWN = 20


def info_lines(info: TagInfo, now_text: str, expires: str, pulled: str) -> Text:
    """The facts about a tag, one per line."""
    text = Text()
    rows = [
        ("Image", info.uri),
        ("Pull", f"docker pull {info.uri}"),
        ("Digest", info.digest),
        ("Pushed", f"{fmt.timestamp(info.pushed_at)} UTC ({now_text})"),
        ("Size", fmt.size(info.size_bytes)),
        ("Last pulled", pulled),
        ("Expires", expires),
        ("Other tags", ", ".join(info.other_tags) or "—"),
    ]
    for name, value in rows:
        text.append(f"{name:<12}", style="bold")
        text.append(value + "\n")
    text.rstrip()
    return text


def previous_tag(info: TagInfo, others: Sequence[TagInfo]) -> TagInfo | None:
    """The tag pushed last before ``info`` (another image: ``latest`` on the same one is not)."""
    if info.pushed_at is None:
        return None
    pushed = info.pushed_at
    older = [
        o
        for o in others
        if o.digest != info.digest and o.pushed_at is not None and o.pushed_at < pushed
    ]
    return max(older, key=lambda o: (o.pushed_at, o.tag), default=None)


def diff_view(tag_a: str, tag_b: str, changes: Sequence[Change]) -> Group:
    """The diff of two manifests for people: a summary line, then each input old → new."""
    summary = Text()
    summary.append(f"{tag_a[:16]} → {tag_b[:16]}: ", style="bold")
    summary.append(escape(describe_changes(changes)))
    table = Table(box=None, pad_edge=False, expand=False, show_edge=False, padding=(0, 1))
    table.add_column(" ", width=1, no_wrap=True)
    table.add_column("Input", ratio=3, overflow="fold")
    table.add_column(f"Old ({tag_a[:8]})", ratio=3, overflow="fold")
    table.add_column("", width=1, no_wrap=True)
    table.add_column(f"New ({tag_b[:8]})", ratio=3, overflow="fold")
    files = 0
    rows = diff_rows(changes)
    for row in rows:
        style = _STATUS_STYLE.get(row.status, "")
        if row.is_file:
            files += 1
            if files > FILES_SHOWN:
                continue
        else:
            if files > FILES_SHOWN:
                table.add_row("", Text(f"  … and {files - FILES_SHOWN} more files", "italic"))
            files = 0
        table.add_row(
            Text(row.mark, style=style),
            Text(
                f"  {row.label}" if row.is_file else row.label, style="dim" if row.is_file else ""
            ),
            Text(row.old, style="" if row.status != "same" else "dim"),
            Text("→" if row.status != "same" else "", style=style),
            Text(row.new, style=style if row.status != "same" else "dim"),
        )
    if files > FILES_SHOWN:
        table.add_row("", Text(f"  … and {files - FILES_SHOWN} more files", "italic"))
    return Group(summary, Text(""), table)


class DiffSection(Static):
    """The diff's text; says when a new diff changed its height (it is laid out by then)."""

    class Resized(Message):
        """The diff section has its new size: scroll it into view now."""

    def on_resize(self) -> None:
        self.post_message(self.Resized())


class TagDetailScreen(ServiceScreen):
    """The detail of ``repository:tag``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "copy_uri", "Copy URI"),
        Binding("x", "diff_previous", "Diff with previous"),
        Binding("X", "diff", "Diff with…", key_display="X"),
        Binding("d", "evict", "Evict"),
    ]

    def __init__(self, repository: str, info: TagInfo, others: Sequence[TagInfo]) -> None:
        super().__init__(id="detail")
        self.repository = repository
        self.info = info
        # Tags on the same image have the same inputs: nothing to compare with.
        self.others = [o for o in others if o.tag != info.tag and o.digest != info.digest]
        self.previous = previous_tag(info, self.others)
        self.manifest: Manifest | None = None
        #: A diff was asked for: it stays in view when the manifest above it grows.
        self.diff_asked = False

    def _diff_hint(self) -> str:
        if not self.others:
            return "The pipeline has no other image to compare with."
        if self.previous is None:
            return "x: compare these inputs with another tag (this is the oldest push)"
        return f"x: compare with the previous push ({self.previous.tag[:16]}) · X: with another tag"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="error", classes="error")
        with VerticalScroll(id="detail-body"):
            yield Static(self._info(), id="info")
            yield Static(Text("Inputs manifest", style="bold"), classes="section")
            yield Static("Loading the image label…", id="manifest-note")
            table: DataTable[Text] = DataTable(id="manifest", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static(Text("Diff", style="bold"), classes="section", id="diff-title")
            yield DiffSection(Text(self._diff_hint(), style="italic"), id="diff")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_error("")
        self.title = f"{self.repository}:{self.info.tag[:16]}"
        table = self.query_one("#manifest", DataTable)
        table.add_column("Kind", key="kind", width=22)
        table.add_column("Name", key="name", width=40)
        table.add_column("Digest", key="digest", width=16)
        table.add_column("Note", key="note", width=16)
        table.focus()
        self.load()

    def _info(self) -> Text:
        now = self.now()
        return info_lines(
            self.info,
            fmt.ago(self.info.pushed_at, now),
            fmt.expires_in(self.info.expires_at, now),
            fmt.ago(self.info.last_pulled, now) if self.info.pulls_known else fmt.UNKNOWN,
        )

    # -- loading --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="manifest")
    def load(self) -> None:
        """Read the inputs manifest from the image's label (a worker)."""
        call_backend(
            self,
            f"read the inputs of {self.info.tag}",
            lambda: self.service.read_manifest(self.repository, self.info.tag),
            lambda found: ManifestLoaded(self.repository, self.info.tag, found),
        )

    @on(ManifestLoaded)
    def _loaded(self, event: ManifestLoaded) -> None:
        self.set_error("")
        self.manifest = event.manifest
        note = self.query_one("#manifest-note", Static)
        table = self.query_one("#manifest", DataTable)
        table.clear()
        if self.diff_asked:
            self._show_diff()
        if event.manifest is None:
            note.update(
                Text(
                    f"This image carries no inputs manifest (label {LABEL}): "
                    "it was not built by ecr-cache."
                )
            )
            return
        m = event.manifest
        note.update(Text(f"{len(m.entries)} inputs · checksum {escape(m.algorithm)} v{m.version}"))
        for e in m.entries:
            table.add_row(
                # From a registry's label: control characters shown escaped, never sent.
                Text(escape(e.kind)),
                Text(escape(e.name)),
                Text(escape(e.digest[:16])),
                Text(escape(e.note)),
                key=f"{e.kind}/{e.name}",
            )
            for f in e.files:
                if f.path != e.name:
                    table.add_row(
                        Text(""),
                        Text(f"  {escape(f.path)}", style="dim"),
                        Text(escape(f.digest[:16]), style="dim"),
                        Text(""),
                    )

    def action_refresh(self) -> None:
        self.query_one("#info", Static).update(self._info())
        self.load()

    # -- actions --------------------------------------------------------------------------

    MUTATING: ClassVar[frozenset[str]] = frozenset({"evict"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("diff", "diff_previous") and not self.others:
            return False
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_copy_uri(self) -> None:
        self.app.post_message(CopyUri(self.info.uri, "image URI"))

    def action_evict(self) -> None:
        self.app.post_message(EvictRequested(self.repository, [self.info.tag]))

    @on(Evicted)
    def _evicted(self, event: Evicted) -> None:
        # The tag it showed is gone (only the screen in front: the one the eviction came from).
        if event.result.repository == self.repository and self.is_current:
            self.app.pop_screen()

    def action_diff_previous(self) -> None:
        """Compare with the previous push at once (the list for the oldest push)."""
        if self.previous is not None:
            self._compare(self.previous.tag)
        else:
            self.action_diff()

    def action_diff(self) -> None:
        """Compare with a tag picked from the list (the previous push highlighted)."""

        def chosen(tag: str | None) -> None:
            if tag:
                self._compare(tag)

        highlighted = self.previous.tag if self.previous else None
        self.app.push_screen(DiffPickerScreen(self.info.tag, self.others, highlighted), chosen)

    def _compare(self, tag: str) -> None:
        self.diff_asked = True
        diff = self.query_one("#diff", Static)
        diff.update(Text(f"Comparing with {tag[:16]}…", style="italic"))
        self._show_diff()
        self.load_diff(tag)

    @on(DiffSection.Resized)
    def _diff_resized(self) -> None:
        # A taller diff: where to scroll to is only known once it is laid out.
        if self.diff_asked:
            self._show_diff()

    def _show_diff(self) -> None:
        """The diff section at the top of the view, wherever the screen had scrolled to."""
        section = self.query_one("#diff-title", Static)
        # After the refresh that lays the new diff out: its height decides how far one can scroll.
        self.call_after_refresh(
            self.query_one("#detail-body", VerticalScroll).scroll_to_widget,
            section,
            animate=False,
            top=True,
            immediate=True,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="diff")
    def load_diff(self, other: str) -> None:
        """Compare ``other``'s inputs (A) with this tag's (B) (a worker)."""
        call_backend(
            self,
            f"compare {other[:16]} with {self.info.tag[:16]}",
            lambda: self.service.diff(self.repository, other, self.info.tag),
            lambda changes: DiffLoaded(other, self.info.tag, changes),
        )

    @on(DiffLoaded)
    def _diff_loaded(self, event: DiffLoaded) -> None:
        self.set_error("")
        self.query_one("#diff", Static).update(diff_view(event.tag_a, event.tag_b, event.changes))
        self._show_diff()
