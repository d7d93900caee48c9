"""One tag: its inputs manifest (from the image label), the ``docker pull`` line, and a diff of
its inputs against another tag of the pipeline ("why did this build miss?")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Static

from ecr_cache_tui.cachekey.inputs import LABEL, Change, Manifest, describe_changes
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

__all__ = ["TagDetailScreen", "diff_lines", "info_lines"]

_STATUS_STYLE = {"added": "green", "removed": "red", "changed": "yellow", "same": "dim"}


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


def diff_lines(tag_a: str, tag_b: str, changes: Sequence[Change]) -> Text:
    """The diff of two manifests for people: a summary line, then one line per input."""
    text = Text()
    text.append(f"{tag_a[:16]} → {tag_b[:16]}: ", style="bold")
    text.append(describe_changes(changes) + "\n")
    for change in changes:
        entry = change.entry
        text.append(f"  {change.status:<8}", style=_STATUS_STYLE.get(change.status, ""))
        text.append(f"{entry.kind:<22}{entry.name}")
        if change.changed_files and entry.name not in change.changed_files:
            text.append(f"  ({', '.join(change.changed_files)})", style="italic")
        text.append("\n")
    text.rstrip()
    return text


class TagDetailScreen(ServiceScreen):
    """The detail of ``repository:tag``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "copy_uri", "Copy URI"),
        Binding("x", "diff", "Diff with…"),
        Binding("d", "evict", "Evict"),
    ]

    def __init__(self, repository: str, info: TagInfo, others: Sequence[TagInfo]) -> None:
        super().__init__(id="detail")
        self.repository = repository
        self.info = info
        self.others = [o for o in others if o.tag != info.tag]
        self.manifest: Manifest | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="error", classes="error")
        with VerticalScroll(id="detail-body"):
            yield Static(self._info(), id="info")
            yield Static(Text("Inputs manifest", style="bold"), classes="section")
            yield Static("Loading the image label…", id="manifest-note")
            table: DataTable[Text] = DataTable(id="manifest", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static(Text("Diff", style="bold"), classes="section")
            yield Static(
                Text("x: compare these inputs with another tag", style="italic"), id="diff"
            )
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
            fmt.ago(self.info.last_pulled, now),
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
        if event.manifest is None:
            note.update(
                Text(
                    f"This image carries no inputs manifest (label {LABEL}): "
                    "it was not built by ecr-cache."
                )
            )
            return
        m = event.manifest
        note.update(Text(f"{len(m.entries)} inputs · checksum {m.algorithm} v{m.version}"))
        for e in m.entries:
            table.add_row(
                Text(e.kind),
                Text(e.name),
                Text(e.digest[:16]),
                Text(e.note),
                key=f"{e.kind}/{e.name}",
            )
            for f in e.files:
                if f.path != e.name:
                    table.add_row(
                        Text(""),
                        Text(f"  {f.path}", style="dim"),
                        Text(f.digest[:16], style="dim"),
                        Text(""),
                    )

    def action_refresh(self) -> None:
        self.query_one("#info", Static).update(self._info())
        self.load()

    # -- actions --------------------------------------------------------------------------

    MUTATING: ClassVar[frozenset[str]] = frozenset({"evict"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "diff" and not self.others:
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

    def action_diff(self) -> None:
        def chosen(tag: str | None) -> None:
            if tag:
                self.query_one("#diff", Static).update(Text("Comparing…", style="italic"))
                self.load_diff(tag)

        self.app.push_screen(DiffPickerScreen(self.info.tag, self.others), chosen)

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
        self.query_one("#diff", Static).update(diff_lines(event.tag_a, event.tag_b, event.changes))
