"""The validated configuration: immutable values, defaults resolved (SPEC §2.1)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ecr_cache_tui.config.options import (
    DEFAULT_BASE_IMAGE_CHECK_MINUTES,
    DEFAULT_MAX_AGE_DAYS,
    DEFAULT_REGION,
    RegistryProvider,
    VerifyLabel,
)
from ecr_cache_tui.config.variables import DEFAULT_EXPORT_VARIABLE
from ecr_cache_tui.records import Record

__all__ = ["BuildArg", "PluginConfig", "Secret"]


class BuildArg(Record):
    """One ``build-args`` / ``unhashed-build-args`` item.

    ``NAME`` reads the job environment (``from_env`` true, ``value`` what it read, empty when
    unset, ``unset`` true then); ``NAME=value`` is literal. ``value`` of a ``from_env`` arg is
    never logged.
    """

    name: str
    value: str
    from_env: bool = False
    unset: bool = False

    def __repr__(self) -> str:  # keep environment values out of tracebacks and debug output
        shown = "<from environment>" if self.from_env else repr(self.value)
        return f"BuildArg(name={self.name!r}, value={shown}, unset={self.unset})"


class Secret(Record):
    """One BuildKit secret: ``spec`` is what follows ``--secret`` (``id=X,env=X`` for ``X``)."""

    id: str
    spec: str


class PluginConfig(Record):
    """Every option, defaults resolved (SPEC §2.1). Paths are relative to the checkout.

    ``dockerfile`` and ``context`` are normalised (``./docker/Dockerfile`` is
    ``docker/Dockerfile``); ``dockerfile`` is ``None`` when ``dockerfile_inline`` is used.
    ``cache_on`` holds the entries as written (pattern, then ``#selector`` if any).
    """

    dockerfile: str | None = "Dockerfile"
    dockerfile_inline: str | None = None
    context: str = "."
    target: str | None = None
    build_args: tuple[BuildArg, ...] = ()
    additional_build_args: tuple[str, ...] = ()
    additional_build_args_raw: str = ""
    secrets: tuple[Secret, ...] = ()
    cache_on: tuple[str, ...] = ()
    ecr_name: str = ""
    ecr_tags: Mapping[str, str] = MappingProxyType({})
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    max_age_days_explicit: bool = False
    export_env_variable: str = DEFAULT_EXPORT_VARIABLE
    region: str = DEFAULT_REGION
    skip_pull_from_cache: bool = False
    registry_hostname: str | None = None
    registry_provider: RegistryProvider = "ecr"
    platform: str | None = None
    account_id: str | None = None
    cache_from: bool = True
    unhashed_build_args: tuple[BuildArg, ...] = ()
    force_rebuild: bool = False
    push_latest: bool = True
    annotate: bool = True
    #: ``True``, ``False`` or branch patterns (:mod:`ecr_cache_tui.config.push`).
    push: bool | tuple[str, ...] = True
    push_from_forks: bool = False
    verify_label: VerifyLabel = "rebuild"
    base_image_digests: bool = False
    base_image_check_minutes: int = DEFAULT_BASE_IMAGE_CHECK_MINUTES
    cache_on_copied: bool = False
