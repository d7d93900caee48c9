"""What the cache key reads of the configuration, declared here so ``cachekey`` imports nothing
from ``config`` (``config`` validates with ``cachekey``'s matchers: one direction only).

:class:`KeyConfig` is a protocol: :class:`ecr_cache_tui.config.PluginConfig` satisfies it, and
so does any value with these attributes. :func:`check_platform` is the one check of an
``os/arch[/variant]`` platform, for the option, the daemon's answer and a Dockerfile's
``FROM --platform`` alike.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from ecr_cache_tui.errors import ConfigError
from ecr_cache_tui.text import show

__all__ = ["KeyBuildArg", "KeyConfig", "check_platform", "is_platform"]

_PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?")


if TYPE_CHECKING:  # for the type checker only: a Protocol class costs ~0.2 ms to make at import

    class KeyBuildArg(Protocol):
        """A build argument as the key reads it."""

        @property
        def name(self) -> str: ...

        @property
        def value(self) -> str: ...

        @property
        def from_env(self) -> bool: ...

        @property
        def unset(self) -> bool: ...

    class KeyConfig(Protocol):
        """The options the key is computed from (validated: see ``config.PluginConfig``)."""

        @property
        def dockerfile(self) -> str | None: ...

        @property
        def dockerfile_inline(self) -> str | None: ...

        @property
        def context(self) -> str: ...

        @property
        def target(self) -> str | None: ...

        @property
        def build_args(self) -> tuple[KeyBuildArg, ...]: ...

        @property
        def unhashed_build_args(self) -> tuple[KeyBuildArg, ...]: ...

        @property
        def additional_build_args_raw(self) -> str: ...

        @property
        def cache_on(self) -> tuple[str, ...]: ...

        @property
        def cache_on_copied(self) -> bool: ...

        @property
        def platform(self) -> str | None: ...


def is_platform(value: str) -> bool:
    """Whether ``value`` is an ``os/arch[/variant]`` platform."""
    return _PLATFORM.fullmatch(value) is not None


def check_platform(origin: str, value: str) -> str:
    """``value`` if it is an ``os/arch[/variant]`` platform, else a :class:`ConfigError`."""
    if not is_platform(value):
        raise ConfigError(
            f"{origin}: {show(value)} is not valid: "
            "expected os/arch[/variant], e.g. linux/amd64 or linux/arm64",
            option=origin,
        )
    return value
