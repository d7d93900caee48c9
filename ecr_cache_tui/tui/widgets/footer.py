"""Textual's ``Footer``, redrawn only when the keys it shows change.

``Footer`` recomposes (removes every key widget, mounts and styles a new one per key) on each
bindings signal of its screen: every focus change, a screen pushed on top or popped, the app
gaining focus. Most of those leave the keys exactly as they were. Opening the tags screen
signalled it four or five times, ~0.4 s of the event loop's time spent while the listing
worker needed the same interpreter. :class:`KeysFooter` compares what it would show with
what it shows and recomposes only when they differ.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen
from textual.widgets import Footer

__all__ = ["COMPACT_BELOW", "KeysFooter"]

#: Narrower than this, the keys are drawn closer together and ``^p palette`` is left to the
#: help (so the screen's own keys fit).
COMPACT_BELOW = 120

#: What one shown key looks like: key, its display, description, action, enabled, tooltip.
KeySignature = tuple[str, str, str, str, bool, str]


class KeysFooter(Footer):
    """A ``Footer`` that recomposes only when its keys (or their state) change."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[KeySignature, ...] | None = None

    def on_resize(self, event: events.Resize) -> None:
        compact = event.size.width < COMPACT_BELOW
        if compact != self.compact:
            self.compact = compact
            self.show_command_palette = not compact

    def keys(self, screen: Screen[object]) -> tuple[KeySignature, ...]:
        """The keys ``screen`` has for the footer now, as the footer would draw them."""
        get_display = self.app.get_key_display
        return tuple(
            (b.key, get_display(b), b.description, b.action, enabled, tooltip or "")
            for _node, b, enabled, tooltip in screen.active_bindings.values()
            if b.show or b.action == "command_palette"
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # what Footer does then: nothing drawn
            return
        keys = self.keys(screen)
        if keys == self._shown:
            return
        self._shown = keys
        super().bindings_changed(screen)
