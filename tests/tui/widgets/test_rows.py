"""The table's data logic: filter syntax, filtering, sorting (no widget involved)."""

from __future__ import annotations

from ecr_cache_tui.tui.widgets.rows import (
    Column,
    FilterTerm,
    TableRow,
    filter_rows,
    narrows,
    parse_filter,
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
