"""A line of figures that wraps between figures, never through one, and never hides one.

``3 organisations · 40 pipelines · 812 images · 3.4 GiB · $24.62/month``: at 80 columns the
parts that do not fit go to the next line (the widget grows), whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

__all__ = ["Summary", "wrap_parts"]

SEPARATOR = " · "


def wrap_parts(parts: Sequence[str], width: int, separator: str = SEPARATOR) -> list[str]:
    """``parts`` joined by ``separator`` into lines of at most ``width`` cells, a part never
    split (a part wider than a line gets a line of its own, and wraps there)."""
    lines: list[str] = []
    line = ""
    for part in parts:
        candidate = f"{line}{separator}{part}" if line else part
        if line and cell_len(candidate) > width:
            lines.append(line)
            line = part
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


class Summary(Widget):
    """Figures (and a prefix such as ``!``) shown whole on as many lines as they need."""

    DEFAULT_CSS = """
    Summary {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *parts: str, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.parts: tuple[str, ...] = parts

    def set_parts(self, parts: Sequence[str]) -> None:
        """Show ``parts`` (a new line count lays the screen out again)."""
        parts = tuple(parts)
        if parts == self.parts:
            return
        lines_before = len(self._lines(self.content_size.width))
        self.parts = parts
        self.display = bool(parts)
        self.refresh(layout=len(self._lines(self.content_size.width)) != lines_before)

    @property
    def text(self) -> str:
        """The parts on one line (what tests and screen readers read)."""
        return SEPARATOR.join(self.parts)

    def _lines(self, width: int) -> list[str]:
        return wrap_parts(self.parts, max(width, 1))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(len(self._lines(width)), 1)

    def render(self) -> Text:
        return Text("\n".join(self._lines(self.content_size.width)))
