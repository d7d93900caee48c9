"""The data behind a :class:`~ecr_cache_tui.tui.widgets.table.FilterTable`: rows, filter, sort.

Pure functions over plain Python lists (no widget involved), so filtering and sorting are
tested fast and the table only ever rebuilds its rows from what these return.

Filter syntax (what ``/`` accepts), every term must match (AND), case-insensitive:

* ``web`` — the row contains ``web`` in any column;
* ``org:acme`` — the column whose key or title starts with ``org`` contains ``acme``;
* a ``name:value`` whose ``name`` is no column is an ordinary substring (``sha256:ab``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.console import JustifyMethod
from rich.text import Text

__all__ = [
    "TONES",
    "Column",
    "FilterTerm",
    "SortValue",
    "TableRow",
    "filter_rows",
    "layout",
    "narrows",
    "parse_filter",
    "short_time",
    "sort_rows",
]

#: What a column sorts by; ``None`` (not known yet) sorts after every value.
SortValue = int | float | str | None


#: What a cell's tone may be: a theme colour (``rows_view`` maps each to ``$warning``, ``$error``
#: …). A tone is never the only signal: a cell that needs attention also says so in its text.
TONES = ("warning", "error", "success", "muted", "accent")


@dataclass(frozen=True)
class Column:
    """One column: ``key`` for code and filters, ``title`` on screen, its ``width``.

    No cell is ever measured to size a column (see ``rows_view``): widths come from these
    fields and the width on offer (:func:`layout`). ``style`` (a Rich style string) applies to
    every cell of the column.

    Attributes:
        width: the width it wants.
        min_width: the narrowest it gets before it is dropped (``None``: ``width``).
        priority: when the table is too narrow, lower priorities shrink and go first.
        keep: never dropped, however narrow the table.
        grow: its share of the spare width when the table is wide (0: none but an even part).
        max_width: the most a growing column takes before the rest is spread over all.
        shorten: ``(text, width) → text``: a shorter form of a cell for a narrower column
            (a date without its year) before it is cut with ``…``.
        descending: sorts descending first (figures: the largest first).
    """

    key: str
    title: str
    width: int
    justify: JustifyMethod = "left"
    style: str = ""
    min_width: int | None = None
    priority: int = 0
    keep: bool = False
    grow: int = 0
    max_width: int | None = None
    shorten: Callable[[str, int], str] | None = None
    descending: bool = False

    @property
    def narrowest(self) -> int:
        """The narrowest this column is drawn."""
        return self.width if self.min_width is None else min(self.min_width, self.width)


def layout(columns: Sequence[Column], available: int, padding: int = 1) -> tuple[int, ...]:
    """The width of each column in ``available`` cells (0: dropped), by priority.

    Too narrow: the columns that can shrink are cut to their narrowest (lowest priority first),
    then whole columns are dropped, lowest priority first (never a ``keep`` one); the space a
    dropped column frees goes back to the shrunk ones, highest priority first. Wider than
    needed: growing columns take the spare width (up to their ``max_width``), then the rest is
    spread over every column shown (a table with no growing column keeps its widths).
    """
    n = len(columns)
    if n == 0:
        return ()
    by_priority = sorted(range(n), key=lambda i: columns[i].priority)
    shown = [True] * n

    def used(widths: Sequence[int]) -> int:
        return sum(w + 2 * padding for w, on in zip(widths, shown, strict=True) if on)

    narrow = [c.narrowest for c in columns]
    for i in by_priority:
        if used(narrow) <= available:
            break
        if not columns[i].keep:
            shown[i] = False
    widths = [narrow[i] if shown[i] else 0 for i in range(n)]
    spare = available - used(widths)
    for i in reversed(by_priority):  # back towards the width wanted, most valued first
        if spare <= 0:
            break
        if shown[i]:
            give = min(columns[i].width - widths[i], spare)
            widths[i] += give
            spare -= give
    growing = [i for i in range(n) if shown[i] and columns[i].grow]
    while spare > 0 and growing:
        weight = sum(columns[i].grow for i in growing)
        given = 0
        for i in growing:
            cap = columns[i].max_width
            room = spare if cap is None else cap - widths[i]
            give = min(max(spare * columns[i].grow // weight, 1), room, spare - given)
            widths[i] += give
            given += give
        spare -= given
        growing = [i for i in growing if widths[i] < (columns[i].max_width or available)]
        if not given:
            break
    visible = [i for i in range(n) if shown[i]]
    # A table with growing columns takes the whole width; one without keeps its widths.
    if spare > 0 and visible and any(c.grow for c in columns):
        for k, i in enumerate(visible):
            widths[i] += spare // len(visible) + (1 if k < spare % len(visible) else 0)
    return tuple(widths)


_YEAR = re.compile(r"\b\d{4}-(\d\d-\d\d)")
_TIME = re.compile(r" \d\d:\d\d\b")


def short_time(text: str, width: int) -> str:
    """A date or time cell fitted to ``width``: ``2026-02-18 05:41`` → ``02-18 05:41`` →
    ``02-18`` (whatever precedes the date, such as a ``!``, stays)."""
    if len(text) > width:
        text = _YEAR.sub(r"\1", text, count=1)
    if len(text) > width:
        text = _TIME.sub("", text, count=1)
    return text


@dataclass(slots=True, eq=False)
class TableRow:
    """One row: its key, what is shown, what sorts, and what the filter searches.

    Treated as immutable once made (not ``frozen``: a frozen dataclass costs 2.5x as much to
    make, and a 10,000-tag listing makes 10,000 of them).

    Attributes:
        key: unique within the table (a tag, a repository name).
        cells: one display value per column: a plain ``str`` (the column's justification and
            style apply), or a Rich ``Text`` for a cell with styles of its own.
        values: one sort value per column.
        texts: one lower-case search text per column.
        data: the domain object the row shows (a ``TagInfo``, a ``PipelineSummary``).
        haystack: every column's text in one string, for a search in any column.
        tones: one tone (of :data:`TONES`, or ``""``) per cell, or ``None`` for none at all.
    """

    key: str
    cells: tuple[str | Text, ...]
    values: tuple[SortValue, ...]
    texts: tuple[str, ...]
    data: object = None
    haystack: str = ""
    tones: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.haystack:
            # A separator no needle contains: a term never matches across two columns.
            self.haystack = "\x00".join(self.texts)

    @classmethod
    def build(
        cls,
        key: str,
        cells: Sequence[str | Text],
        values: Sequence[SortValue] | None = None,
        data: object = None,
        tones: Sequence[str] | None = None,
    ) -> TableRow:
        """A row from display strings (or ``Text``); sort values default to the text."""
        shown = tuple(cells)
        texts = tuple([c.lower() if isinstance(c, str) else c.plain.lower() for c in shown])
        return cls(
            key,
            shown,
            tuple(values) if values is not None else texts,
            texts,
            data,
            tones=tuple(tones) if tones is not None and any(tones) else None,
        )


@dataclass(frozen=True)
class FilterTerm:
    """One term of a filter: ``needle`` in column ``column`` (``None``: in any column)."""

    needle: str
    column: int | None = None


def parse_filter(text: str, columns: Sequence[Column]) -> tuple[FilterTerm, ...]:
    """The terms of a filter string (module docstring for the syntax)."""
    terms: list[FilterTerm] = []
    for word in text.lower().split():
        name, sep, value = word.partition(":")
        index = _column_index(name, columns) if sep and name else None
        if index is None:
            terms.append(FilterTerm(word))
        elif value:
            terms.append(FilterTerm(value, index))
        # ``org:`` alone (still being typed) filters nothing yet.
    return tuple(terms)


def narrows(old: Sequence[FilterTerm], new: Sequence[FilterTerm]) -> bool:
    """Whether every row ``new`` matches is matched by ``old`` (``new`` only narrows it).

    True when each old term has a new counterpart in the same place, on the same column, whose
    needle contains the old one (``we`` → ``web``), and any further new terms only add
    conditions. Then filtering the rows ``old`` left is enough.
    """
    if len(new) < len(old):
        return False
    pairs = zip(old, new[: len(old)], strict=True)
    return all(o.column == n.column and o.needle in n.needle for o, n in pairs)


def filter_rows(rows: Sequence[TableRow], terms: Sequence[FilterTerm]) -> list[TableRow]:
    """The rows every term matches, in their order."""
    if not terms:
        return list(rows)
    out = []
    for row in rows:
        for term in terms:
            if term.column is None:
                if term.needle not in row.haystack:
                    break
            elif term.needle not in row.texts[term.column]:
                break
        else:
            out.append(row)
    return out


def sort_rows(rows: Sequence[TableRow], column: int | None, reverse: bool) -> list[TableRow]:
    """Rows sorted by ``column`` (stable; unknown values last either way), or as given."""
    if column is None:
        return list(rows)[::-1] if reverse else list(rows)
    known = [r for r in rows if r.values[column] is not None]
    unknown = [r for r in rows if r.values[column] is None]
    # Mixed types in a column (a number and a text) compare as text rather than fail.
    try:
        known.sort(key=lambda r: r.values[column], reverse=reverse)  # type: ignore[arg-type,return-value]
    except TypeError:
        known.sort(key=lambda r: str(r.values[column]), reverse=reverse)
    return known + unknown


def _column_index(name: str, columns: Sequence[Column]) -> int | None:
    for i, c in enumerate(columns):
        if c.key.lower() == name or c.title.lower() == name:
            return i
    for i, c in enumerate(columns):
        if c.key.lower().startswith(name) or c.title.lower().startswith(name):
            return i
    return None
