"""``Record``: what a frozen dataclass gives, at the cost of a plain class."""

from __future__ import annotations

import copy
import pickle

import pytest

from ecr_cache_tui.records import Record


class Point(Record):
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


class Other(Record):
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


class Dense(Record):
    __slots__ = ("a", "b")
    a: str
    b: bool

    def __init__(self, a: str, b: bool = False) -> None:
        self._set("a", a)
        self._set("b", b)


def test_fields_defaults_and_construction() -> None:
    assert Point._fields == ("x", "y", "tags")
    assert Point(1) == Point(x=1, y=0, tags=())
    assert Point(1, 2, ("a",)).tags == ("a",)
    assert Point(1, y=5).y == 5


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "needs 'x'"),
        ((1, 2, (), 4), {}, "takes 3 arguments"),
        ((1,), {"x": 2}, "got 'x' twice"),
        ((1,), {"z": 2}, "no field 'z'"),
    ],
)
def test_a_wrong_call_is_a_type_error(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)  # type: ignore[arg-type]


def test_equality_and_hash_are_by_fields_and_class() -> None:
    assert Point(1, 2) == Point(1, 2) and hash(Point(1, 2)) == hash(Point(1, 2))
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 2) != Other(1, 2), "another class with the same fields is not equal"
    assert Point(1, 2) != (1, 2, ()), "not a tuple"
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_immutable_and_replace() -> None:
    p = Point(1)
    with pytest.raises(AttributeError, match="immutable"):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del p.x  # type: ignore[misc]
    moved = p._replace(y=9)
    assert (moved, p) == (Point(1, 9), Point(1))
    with pytest.raises(TypeError, match="no field 'z'"):
        p._replace(z=1)


def test_repr_names_the_fields() -> None:
    assert repr(Point(1, tags=("a",))) == "Point(x=1, y=0, tags=('a',))"


def test_a_slotted_record_with_its_own_init() -> None:
    d = Dense("x")
    assert d == Dense("x", False) and d != Dense("x", True)
    assert d._replace(b=True) == Dense("x", True)
    assert not hasattr(d, "__dict__")
    with pytest.raises(AttributeError, match="immutable"):
        d.a = "y"  # type: ignore[misc]


def test_copies_and_pickles_are_equal_records() -> None:
    for record in (Point(1, 2, ("a",)), Dense("x", True)):
        assert copy.copy(record) == record
        assert copy.deepcopy(record) == record
        assert pickle.loads(pickle.dumps(record)) == record


class Labelled(Point):
    label: str = ""

    def doubled(self) -> int:
        return self.x * 2


def test_a_subclass_keeps_its_bases_fields_first() -> None:
    assert Labelled._fields == ("x", "y", "tags", "label")
    assert Labelled(3, label="a") == Labelled(x=3, y=0, tags=(), label="a")
    assert Labelled(3).doubled() == 6
    assert Labelled(3) != Point(3), "another class"
