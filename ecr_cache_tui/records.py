"""Immutable value records that cost next to nothing to define: :class:`Record`.

The hook's local hit defines some thirty value classes (the configuration, the collaborators,
the host's records, the decision...) on every job, and its budget is a few tens of
milliseconds. A frozen dataclass costs about 0.6 ms to define (it compiles five methods from
source, and ``dataclasses`` imports ``inspect``); a ``typing.NamedTuple`` about 0.1 ms
(``collections.namedtuple`` compiles its ``__new__``, ``typing`` checks every field's
annotation). A :class:`Record` subclass costs what any class costs, a few microseconds: its
methods are :class:`Record`'s own, shared, and read the fields from ``_fields``.

What a subclass gets, as from ``@dataclass(frozen=True)`` (and the type checker sees it so,
through ``dataclass_transform``): the fields are the class's annotations, in order, with the
defaults its body gives; ``__init__`` by position or keyword; ``==`` and ``hash`` over the
fields, and only between records of the same class; a ``repr`` naming the fields; attributes
that cannot be set; ``copy``, ``deepcopy`` and ``pickle`` (through ``__init__``); and
:meth:`Record._replace`, a copy with some fields changed. A default must be immutable (it is
shared, as a ``NamedTuple``'s is).

A class made in great numbers (a match per file of a tree) declares ``__slots__`` with its
fields and an ``__init__`` of its own that sets them with :meth:`Record._set`: the generic
``__init__`` takes a few microseconds a call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform
else:

    def dataclass_transform(**_: object) -> Any:
        return lambda cls: cls


__all__ = ["Record"]


@dataclass_transform(frozen_default=True, eq_default=True)
class Record:
    """An immutable record; see the module docs."""

    __slots__ = ()
    #: The fields, in order (as a ``NamedTuple``'s).
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The class's own annotations (3.10+: never a base class's), read without importing
        # inspect; strings, as every module here uses ``from __future__ import annotations``.
        own = tuple(
            name
            for name, kind in cls.__annotations__.items()
            if not str(kind).startswith(("ClassVar", "typing.ClassVar"))
        )
        # A base record's fields come first, as a dataclass's do.
        inherited: dict[str, None] = {}
        defaults: dict[str, Any] = {}
        for base in reversed(cls.__bases__):
            if issubclass(base, Record):
                inherited.update(dict.fromkeys(base._fields))
                defaults.update(base._defaults)
        cls._fields = (*inherited, *(name for name in own if name not in inherited))
        defaults.update({name: cls.__dict__[name] for name in own if name in cls.__dict__})
        cls._defaults = defaults

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self._fields
        cls = type(self).__name__
        if len(args) > len(names):
            raise TypeError(f"{cls}() takes {len(names)} arguments, {len(args)} given")
        for name, value in zip(names, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{cls}() got {name!r} twice")
            object.__setattr__(self, name, value)
        for name in names[len(args) :]:
            if name in kwargs:
                object.__setattr__(self, name, kwargs.pop(name))
            elif name not in self._defaults:
                raise TypeError(f"{cls}() needs {name!r}")
        for name in kwargs:
            raise TypeError(f"{cls}() has no field {name!r}")

    def _set(self, name: str, value: object) -> None:
        """Set a field in a subclass's own ``__init__`` (fields cannot be set otherwise)."""
        object.__setattr__(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def _asdict(self) -> dict[str, Any]:
        """The fields and their values, in order (as a ``NamedTuple``'s)."""
        return {name: getattr(self, name) for name in self._fields}

    def _replace(self, **changes: Any) -> Self:
        """A copy with the fields ``changes`` names changed."""
        values = self._asdict()
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        return type(self)(**{**values, **changes})

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        # copy, deepcopy and pickle make it anew through __init__ (setting a field is refused).
        return (_remake, (type(self), self._asdict()))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")


def _remake(cls: type[Record], values: dict[str, Any]) -> Record:
    return cls(**values)
