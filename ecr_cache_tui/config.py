"""The plugin's configuration: a typed, immutable model of every option in SPEC §2.1.

Reading and validation live in :func:`load` (to be completed): every bad input raises
:class:`~ecr_cache_tui.errors.ConfigError` naming the option, the value and what is allowed,
before anything has a side effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["BuildArg", "PluginConfig", "Secret"]

RegistryProvider = Literal["ecr", "oci"]


@dataclass(frozen=True)
class BuildArg:
    """One ``build-args`` / ``unhashed-build-args`` item.

    ``NAME`` reads the job environment (``from_env`` true, ``value`` what it read, empty when
    unset, ``unset`` true then); ``NAME=value`` is literal. ``value`` of a ``from_env`` arg is
    never logged.
    """

    name: str
    value: str
    from_env: bool = False
    unset: bool = False


@dataclass(frozen=True)
class Secret:
    """One BuildKit secret: ``spec`` is what follows ``--secret`` (``id=X,env=X`` for ``X``)."""

    id: str
    spec: str


@dataclass(frozen=True)
class PluginConfig:
    """Every option, defaults resolved (SPEC §2.1). Paths are relative to the checkout."""

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
    ecr_tags: Mapping[str, str] = field(default_factory=dict)
    max_age_days: int = 30
    max_age_days_explicit: bool = False
    export_env_variable: str = "BUILDKITE_PLUGIN_DOCKER_IMAGE"
    region: str = "eu-west-1"
    skip_pull_from_cache: bool = False
    registry_hostname: str | None = None
    registry_provider: RegistryProvider = "ecr"
    platform: str | None = None
    account_id: str | None = None
    cache_from: bool = True
    unhashed_build_args: tuple[BuildArg, ...] = ()
    force_rebuild: bool = False
    push_latest: bool = True
