"""The data behind a :class:`~ecr_cache_tui.tui.widgets.table.FilterTable`: rows, filter, sort.

Pure functions over plain Python lists (no widget involved), so filtering and sorting are
tested fast and the table only ever rebuilds its rows from what these return.

Filter syntax (what ``/`` accepts), every term must match (AND), case-insensitive:

* ``web`` — the row contains ``web`` in any column;
* ``org:acme`` — the column whose key or title starts with ``org`` contains ``acme``;
* a ``name:value`` whose ``name`` is no column is an ordinary substring (``sha256:ab``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import JustifyMethod
from rich.text import Text

__all__ = [
    "Column",
    "FilterTerm",
    "SortValue",
    "TableRow",
    "filter_rows",
    "narrows",
    "parse_filter",
    "sort_rows",
]

#: What a column sorts by; ``None`` (not known yet) sorts after every value.
SortValue = int | float | str | None


@dataclass(frozen=True)
class Column:
    """One column: ``key`` for code and filters, ``title`` on screen, a fixed ``width``.

    A fixed width means no cell is ever measured to size a column (see ``rows_view``);
    ``style`` (a Rich style string) applies to every cell of the column.
    """

    key: str
    title: str
    width: int
    justify: JustifyMethod = "left"
    style: str = ""


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
    """

    key: str
    cells: tuple[str | Text, ...]
    values: tuple[SortValue, ...]
    texts: tuple[str, ...]
    data: object = None
    haystack: str = ""

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
    ) -> TableRow:
        """A row from display strings (or ``Text``); sort values default to the text."""
        shown = tuple(cells)
        texts = tuple([c.lower() if isinstance(c, str) else c.plain.lower() for c in shown])
        return cls(key, shown, tuple(values) if values is not None else texts, texts, data)


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
