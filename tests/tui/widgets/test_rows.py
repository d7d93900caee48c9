"""The table's data logic: filter syntax, filtering, sorting, column layout (no widget)."""

from __future__ import annotations

from dataclasses import replace

from ecr_cache_tui.tui.widgets.rows import (
    Column,
    FilterTerm,
    TableRow,
    filter_rows,
    layout,
    narrows,
    parse_filter,
    short_time,
    sort_rows,
)

COLUMNS = (Column("org", "Organisation", 10), Column("pipeline", "Pipeline", 10),
           Column("size", "Size", 6))  # fmt: skip


def rows() -> list[TableRow]:
    return [
        TableRow.build("a", ["acme", "web", "2 GB"], ["acme", "web", 2000]),
        TableRow.build("b", ["globex", "web-api", "1 GB"], ["globex", "web-api", 1000]),
        TableRow.build("c", ["acme", "worker", "?"], ["acme", "worker", None]),
    ]


def keys(found: list[TableRow]) -> list[str]:
    return [r.key for r in found]


def test_a_plain_word_matches_any_column_case_insensitively() -> None:
    assert keys(filter_rows(rows(), parse_filter("WEB", COLUMNS))) == ["a", "b"]


def test_column_value_matches_only_that_column_by_key_title_or_prefix() -> None:
    assert parse_filter("org:acme", COLUMNS) == (FilterTerm("acme", 0),)
    assert parse_filter("Organisation:acme", COLUMNS) == (FilterTerm("acme", 0),)
    assert parse_filter("pipe:web", COLUMNS) == (FilterTerm("web", 1),)
    assert keys(filter_rows(rows(), parse_filter("org:glob", COLUMNS))) == ["b"]
    # "acme" in the pipeline column: none.
    assert keys(filter_rows(rows(), parse_filter("pipeline:acme", COLUMNS))) == []


def test_terms_are_anded() -> None:
    assert keys(filter_rows(rows(), parse_filter("org:acme web", COLUMNS))) == ["a"]


def test_an_unknown_column_is_an_ordinary_substring() -> None:
    assert parse_filter("sha256:ab", COLUMNS) == (FilterTerm("sha256:ab"),)


def test_a_column_name_still_being_typed_filters_nothing() -> None:
    assert parse_filter("org:", COLUMNS) == ()
    assert len(filter_rows(rows(), parse_filter("org:", COLUMNS))) == 3


def test_sort_by_a_column_puts_unknown_values_last_both_ways() -> None:
    assert keys(sort_rows(rows(), 2, reverse=False)) == ["b", "a", "c"]
    assert keys(sort_rows(rows(), 2, reverse=True)) == ["a", "b", "c"]


def test_sort_is_stable_and_none_keeps_the_given_order() -> None:
    assert keys(sort_rows(rows(), 0, reverse=False)) == ["a", "c", "b"]
    assert keys(sort_rows(rows(), None, reverse=False)) == ["a", "b", "c"]


def test_narrowing_is_recognised_only_when_it_is_one() -> None:
    def narrows_(old: str, new: str) -> bool:
        return narrows(parse_filter(old, COLUMNS), parse_filter(new, COLUMNS))

    assert narrows_("", "w")
    assert narrows_("we", "web")
    assert narrows_("org:ac", "org:acm")
    assert narrows_("web", "web org:acme")
    assert not narrows_("web", "we")  # widens
    assert not narrows_("org", "org:a")  # a substring became a column filter
    assert not narrows_("web api", "web")


def test_a_term_never_matches_across_two_columns() -> None:
    # "acme" + "web" are two cells; "meweb" spans them and must not match.
    assert filter_rows(rows(), parse_filter("meweb", COLUMNS)) == []


# -- layout: columns that fit the width on offer --------------------------------------------

LAID = (
    Column("name", "Name", 20, min_width=8, priority=9, keep=True, grow=1, max_width=30),
    Column("date", "Date", 16, min_width=5, priority=4, shorten=short_time),
    Column("extra", "Extra", 10, priority=1),
    Column("cost", "Cost", 8, "right", priority=7, keep=True),
)


def test_layout_wants_its_widths_when_they_fit() -> None:
    assert layout(LAID, 20 + 16 + 10 + 8 + 8) == (20, 16, 10, 8)


def test_layout_shrinks_then_drops_the_least_valued_then_gives_the_space_back() -> None:
    # 8 + 5 + 10 + 8 (+ 8 padding) = 39 fits at its narrowest: nothing is dropped yet.
    assert layout(LAID, 39) == (8, 5, 10, 8)
    # Narrower: "extra" goes first; what it freed goes back to the name, the most valued.
    assert layout(LAID, 38) == (19, 5, 0, 8)
    # Narrower still: the date goes too; the name and the cost never do.
    assert layout(LAID, 20) == (8, 0, 0, 8)
    assert layout(LAID, 5) == (8, 0, 0, 8)


def test_layout_grows_then_spreads_the_rest_over_every_column() -> None:
    wide = layout(LAID, 200)
    assert sum(w + 2 for w in wide) == 200
    assert wide[0] >= 30 and all(w > c.width for w, c in zip(wide[1:], LAID[1:], strict=True))
    # Without a growing column, a table keeps its widths.
    fixed = tuple(replace(c, grow=0) for c in LAID)
    assert layout(fixed, 200) == (20, 16, 10, 8)


def test_short_time_drops_the_year_then_the_time() -> None:
    assert short_time("2026-02-18 05:41", 16) == "2026-02-18 05:41"
    assert short_time("2026-02-18 05:41", 11) == "02-18 05:41"
    assert short_time("! 2026-02-18 05:41", 7) == "! 02-18"
    assert short_time("2026-02-18", 5) == "02-18"
