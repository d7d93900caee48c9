"""What the screens read from the app: the service, the clock, read-only, where data comes from.

Screens never import the app (it imports them); they read this context through
:func:`app_context` and ask the app to do things by posting the request messages of
:mod:`.messages` (open, copy, evict, set max age).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

    from ecr_cache_tui.ports import CacheServiceApi

__all__ = ["AppContext", "app_context"]


@dataclass(frozen=True)
class AppContext:
    """The app's session, as every screen sees it.

    Attributes:
        service: every AWS call goes through it (from a worker).
        clock: the current time (timezone-aware); injected for deterministic tests.
        read_only: actions that change a repository are disabled (a key says so).
        source: where the data comes from, for the header (``AWS``, ``demo: …``).
        stats_workers: repositories whose figures load at once.
        region: the AWS region, for the header.
        profile: the AWS profile (``None``: the default credentials).
        account: the AWS account, when given (else the header shows the one the
            repositories' URIs name).
    """

    service: CacheServiceApi
    clock: Callable[[], datetime]
    read_only: bool = False
    source: str = "AWS"
    stats_workers: int = 8
    region: str | None = None
    profile: str | None = None
    account: str | None = None

    def header(self, account: str | None = None) -> str:
        """``AWS · account 123456789012 · profile dev · eu-west-1 · read-only``."""
        parts = [self.source]
        if account or self.account:
            parts.append(f"account {account or self.account}")
        if self.profile:
            parts.append(f"profile {self.profile}")
        if self.region:
            parts.append(self.region)
        if self.read_only:
            parts.append("read-only")
        return " · ".join(parts)


def app_context(app: App[Any]) -> AppContext:
    """The context of the running app (a :class:`~ecr_cache_tui.tui.app.CacheApp`)."""
    context = getattr(app, "context", None)
    if not isinstance(context, AppContext):
        raise TypeError(f"{type(app).__name__} has no AppContext")
    return context
