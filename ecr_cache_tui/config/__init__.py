"""The plugin's configuration: where it comes from, its options, the validated model.

* :mod:`.options`: every option's name and the defaults more than one layer needs;
* :mod:`.sources`: the raw options, from ``BUILDKITE_PLUGIN_CONFIGURATION``, this plugin's
  entry in ``BUILDKITE_PLUGINS``, the flattened variables, ``--config`` or a pipeline file;
* :mod:`.references`: plugin references named as the Buildkite agent names them;
* :mod:`.plugin_config`: :class:`PluginConfig` and its parts, immutable;
* :mod:`.parse`: :func:`load` and :func:`parse`, which validate everything before any side effect.
"""

from __future__ import annotations

from ecr_cache_tui.cachekey.keyconfig import check_platform
from ecr_cache_tui.config.options import (
    CACHE_PREFIX,
    DEFAULT_MAX_AGE_DAYS,
    DEFAULT_REGION,
    OPTIONS,
    normalise_prefix,
)
from ecr_cache_tui.config.parse import load, load_from, parse
from ecr_cache_tui.config.plugin_config import BuildArg, PluginConfig, Secret

__all__ = [
    "CACHE_PREFIX",
    "DEFAULT_MAX_AGE_DAYS",
    "DEFAULT_REGION",
    "OPTIONS",
    "BuildArg",
    "PluginConfig",
    "Secret",
    "check_platform",
    "load",
    "load_from",
    "normalise_prefix",
    "parse",
]
