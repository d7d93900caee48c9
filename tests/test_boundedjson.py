"""``boundedjson.loads``: strict JSON within stated bounds, or one ``JsonError``, whatever comes."""

from __future__ import annotations

import pytest

from ecr_cache_tui.boundedjson import MAX_DIGITS, JsonError, JsonTooDeep, loads

BIG = 1 << 20


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1" * 5000, "digits"),
        ("-" + "1" * 5000, "digits"),
        ('{"a": [' + "9" * (MAX_DIGITS + 1) + "]}", "digits"),
        ("1e400", "too large"),
        ("-1e400", "too large"),
        ("1." + "1" * 5000, "characters"),
        ("NaN", "NaN is not JSON"),
        ('{"a": Infinity}', "Infinity is not JSON"),
        ("[-Infinity]", "Infinity is not JSON"),
        ("{oops", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_what_python_accepts_or_crashes_on_is_one_error(text: str | bytes, says: str) -> None:
    with pytest.raises(JsonError, match=says):
        loads(text, max_chars=BIG, max_depth=64)


@pytest.mark.parametrize("depth", [65, 5000, 100_000])
def test_nesting_past_the_bound_is_too_deep_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(JsonTooDeep):
        loads("[" * depth + "]" * depth, max_chars=BIG, max_depth=64)


def test_without_a_depth_bound_the_parsers_own_limit_is_still_an_error() -> None:
    with pytest.raises(JsonTooDeep, match="nested too deep"):
        loads("[" * 100_000, max_chars=BIG, max_depth=None)


def test_nesting_at_the_bound_is_accepted() -> None:
    assert loads("[" * 64 + "]" * 64, max_chars=BIG, max_depth=64) is not None


def test_text_over_the_size_bound_is_refused_before_parsing() -> None:
    with pytest.raises(JsonError, match="more than 10"):
        loads('"' + "x" * 20 + '"', max_chars=10, max_depth=4)


def test_values_over_the_count_bound_are_refused() -> None:
    with pytest.raises(JsonError, match="more than 100 values"):
        loads("[" + ",".join(["1"] * 200) + "]", max_chars=BIG, max_depth=4, max_nodes=100)


def test_a_key_twice_is_refused_only_when_asked() -> None:
    text = '{"a": {"k": 1, "k": 2}}'
    assert loads(text, max_chars=BIG, max_depth=4) == {"a": {"k": 2}}
    with pytest.raises(JsonError, match='"k" appears twice'):
        loads(text, max_chars=BIG, max_depth=4, unique_keys=True)


def test_ordinary_json_is_decoded_as_json_loads_would() -> None:
    text = '{"a": [1, -2, 3.5, "x", null, true, {"b": 1e300}], "n": ' + "9" * MAX_DIGITS + "}"
    value = loads(text, max_chars=BIG, max_depth=4, unique_keys=True)
    assert value["a"] == [1, -2, 3.5, "x", None, True, {"b": 1e300}]
    assert value["n"] == int("9" * MAX_DIGITS)
