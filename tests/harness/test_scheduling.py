"""The xdist scheduler's order: the longest module (last run) first, so no worker ends alone."""

from __future__ import annotations

from tests.conftest import heaviest


def test_the_module_that_took_longest_goes_first() -> None:
    sizes = {"tests/a.py": 50, "tests/b.py": 3, "tests/c.py": 10}
    seconds = {"tests/a.py": 2.0, "tests/b.py": 40.0, "tests/c.py": 9.0}
    assert heaviest(sizes, seconds) == "tests/b.py"
    del sizes["tests/b.py"]
    assert heaviest(sizes, seconds) == "tests/c.py"


def test_a_new_module_is_weighed_at_the_mean_seconds_per_test() -> None:
    seconds = {"tests/a.py": 10.0, "tests/b.py": 10.0}  # 20 s over 20 tests: 1 s per test
    sizes = {"tests/a.py": 10, "tests/b.py": 10, "tests/new.py": 11}
    assert heaviest(sizes, seconds) == "tests/new.py"
    assert heaviest({**sizes, "tests/new.py": 9}, seconds) in ("tests/a.py", "tests/b.py")


def test_with_nothing_timed_the_collection_order_stands() -> None:
    assert heaviest({"tests/a.py": 1, "tests/b.py": 100}, {}) is None
    assert heaviest({}, {"tests/a.py": 1.0}) is None
