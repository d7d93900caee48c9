"""The one confirmation modal every change goes through: it says exactly what will happen.

Nothing changes until it is confirmed (``y`` or the confirm button); ``n``, ``esc`` or Cancel
(focused first, so a stray ``enter`` cancels) leave everything as it was.

The most destructive changes (every image of a pipeline) ask for a name to be typed instead:
the confirm button stays disabled, and ``y`` does nothing, until the line says it exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from ecr_cache_tui.tui import format as fmt

if TYPE_CHECKING:
    from ecr_cache_tui.model import EvictionPlan

__all__ = ["ConfirmScreen", "eviction_text", "fit_scroll", "name_to_type"]

#: Tags listed one by one in an eviction's confirmation (the count and the rest always stated).
CONFIRM_LIST_LIMIT = 500


#: Rows of the confirmation dialog that are not its scrolling body: border, padding, title,
#: the body's margins, the buttons; and those of the typed-name line.
DIALOG_ROWS = 11
TYPED_ROWS = 4


def fit_scroll(screen: Widget, body: VerticalScroll, reserved: int) -> None:
    """Keep ``body`` short enough that its dialog (at most 90% of the screen, ``reserved``
    rows of it besides the body) fits, buttons included: on a small terminal the body
    scrolls instead of pushing the buttons off-screen."""
    body.styles.max_height = max(3, min(30, int(screen.size.height * 0.9) - reserved))


def name_to_type(repository: str, prefix: str) -> str:
    """What to type to evict every image of ``repository``: ``acme/web`` (the pipeline as the
    pipelines screen lists it), the whole name outside the cache prefix."""
    return (
        repository.removeprefix(prefix) if prefix and repository.startswith(prefix) else repository
    )


def eviction_text(plan: EvictionPlan) -> Text:
    """What an eviction deletes, for the confirmation modal: the total first (tags, images and
    the size freed), then every tag, then the untagged images."""
    text = Text()
    if plan.everything:
        text.append(f"Every image of {plan.repository} will be deleted from ECR", style="bold")
    else:
        text.append(f"These tags will be deleted from {plan.repository}", style="bold")
    text.append(": the next build of the pipeline rebuilds its image.\n")
    text.append(
        f"{fmt.plural(len(plan.items), 'tag')}, "
        f"{fmt.plural(plan.image_count, 'image')} deleted: {fmt.size(plan.freed_bytes)} freed"
        "\n\n",
        style="bold",
    )
    for item in plan.items[:CONFIRM_LIST_LIMIT]:
        text.append(
            f"  {item.tag:<34} {fmt.timestamp(item.pushed_at)}  {fmt.size(item.size_bytes):>10}"
        )
        if item.shared_with:
            text.append(
                f"  (image stays: also tagged {', '.join(item.shared_with)})", style="italic"
            )
        if item.goes_with:
            text.append(
                f"  (same image as {', '.join(item.goes_with)}: deleted with it)", style="italic"
            )
        text.append("\n")
    if len(plan.items) > CONFIRM_LIST_LIMIT:
        text.append(f"  … and {len(plan.items) - CONFIRM_LIST_LIMIT} more tags\n")
    if plan.untagged:
        text.append(
            f"  and {fmt.plural(len(plan.untagged), 'untagged image')}, "
            f"{fmt.size(plan.untagged_bytes)}\n"
        )
    text.rstrip()
    return text


class ConfirmScreen(ModalScreen[bool]):
    """Ask before a change; dismisses with ``True`` only when confirmed.

    Args:
        title: what the change is ("Evict 3 tags from build-cache/acme/web").
        body: exactly what will happen (the tags deleted, the policy before and after).
        confirm: the confirm button's label.
        typed: a name to type before the change can be confirmed (``None``: ``y`` is enough);
            ``also`` lists other spellings accepted (the full repository name).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm_key", "Confirm"),
        Binding("n", "cancel_key", "Cancel"),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(
        self,
        title: str,
        body: Text | str,
        *,
        confirm: str = "Confirm",
        typed: str | None = None,
        also: tuple[str, ...] = (),
    ) -> None:
        super().__init__(id="confirm")
        self.heading = title
        self.body = body if isinstance(body, Text) else Text(body)
        self.confirm_label = confirm
        self.typed = typed
        self.accepted = () if typed is None else (typed, *also)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.heading, style="bold"), id="confirm-title")
            with VerticalScroll(id="confirm-body"):
                yield Static(self.body)
            if self.typed is not None:
                yield Static(
                    Text.assemble("Type ", (self.typed, "bold"), " to confirm:"), id="type-hint"
                )
                yield Input(placeholder=self.typed, id="type-name")
            with Horizontal(classes="buttons"):
                yield Button(
                    "Cancel (esc)" if self.typed else "Cancel (n)", id="cancel", variant="default"
                )
                yield Button(
                    self.confirm_label if self.typed else f"{self.confirm_label} (y)",
                    id="confirm-button",
                    variant="error",
                    disabled=self.typed is not None,
                )

    def on_resize(self) -> None:
        reserved = DIALOG_ROWS + (TYPED_ROWS if self.typed is not None else 0)
        fit_scroll(self, self.query_one("#confirm-body", VerticalScroll), reserved)

    def on_mount(self) -> None:
        self.on_resize()
        if self.typed is not None:
            self.query_one("#type-name", Input).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def _typed_ok(self) -> bool:
        if self.typed is None:
            return True
        return self.query_one("#type-name", Input).value.strip() in self.accepted

    @on(Input.Changed, "#type-name")
    def _typing(self) -> None:
        self.query_one("#confirm-button", Button).disabled = not self._typed_ok()

    @on(Input.Submitted, "#type-name")
    def _typed_enter(self) -> None:
        if self._typed_ok():
            self.dismiss(True)
            return
        value = self.query_one("#type-name", Input).value
        self.query_one("#type-hint", Static).update(
            Text.assemble(
                (f"{value!r} is not {self.typed}", "bold"),
                ": type ",
                (self.typed or "", "bold"),
                " to confirm, or esc to cancel",
            )
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "y" and "n" are letters of the name being typed, not answers.
        return not (self.typed is not None and action == "confirm_key")

    @on(Button.Pressed, "#confirm-button")
    def action_confirm(self) -> None:
        if self._typed_ok():
            self.dismiss(True)

    def action_confirm_key(self) -> None:
        self.action_confirm()

    def action_cancel_key(self) -> None:
        if self.typed is None:
            self.action_cancel()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
