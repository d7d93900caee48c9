"""A demo service that is its own context manager: ``with`` starts it and stops it."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

__all__ = ["Served"]

_S = TypeVar("_S", bound="Served")


class Served:
    """A base for what :meth:`start` brings up and :meth:`stop` takes down; ``with`` does both."""

    def start(self: _S) -> _S:
        """Bring it up; returns itself."""
        raise NotImplementedError

    def stop(self) -> None:
        """Take it down."""
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
