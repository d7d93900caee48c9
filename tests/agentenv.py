"""What each Buildkite agent generation puts in a plugin hook's environment.

Read from the agent's Go source (``github:buildkite/agent``, ``agent/plugin/plugin.go``
``ConfigurationToEnvironment`` at v3.27.0, v3.28.1 and v4):

* every generation: ``BUILDKITE_PLUGINS`` (the step's plugins as JSON, set by Buildkite for the
  whole job) and the running plugin's flattened ``BUILDKITE_PLUGIN_<NAME>_<KEY>...`` variables;
  a null anywhere in its options makes the agent drop all of them;
* v3.28.1 and later also ``BUILDKITE_PLUGIN_NAME`` and ``BUILDKITE_PLUGIN_CONFIGURATION`` (Go's
  ``json.Marshal`` of the options: sorted keys, no spaces);
* key formatting: up to v3.28 the agent upper-cases, turns ``-`` and runs of spaces into ``_``
  and collapses ``__``; later ones (v3.50 is the first read, and v4) turn each ``-`` or space
  into ``_`` and collapse nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ecr_cache_tui.config.references import parse_reference, plugin_name

__all__ = ["GENERATIONS", "Generation", "hook_environment", "plugins_json"]

Generation = Literal["v4", "v3.28", "v3.27"]
GENERATIONS: tuple[Generation, ...] = ("v4", "v3.28", "v3.27")


def _format_key(key: str, generation: Generation) -> str:
    if generation == "v4":
        return re.sub(r"-|\s", "_", key.upper())
    key = re.sub(r"\s+", " ", key.upper())
    return re.sub(r"_+", "_", re.sub(r"-|\s+", "_", key))


def _flatten(value: Any, prefix: str, generation: Generation, into: dict[str, str]) -> None:
    if value is None:
        raise ValueError("the agent refuses a null option")
    if isinstance(value, bool):
        into[prefix] = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        into[prefix] = value if isinstance(value, str) else json.dumps(value)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _flatten(item, f"{prefix}_{i}", generation, into)
    else:
        for key, item in value.items():
            _flatten(item, f"{prefix}_{_format_key(key, generation)}", generation, into)


def plugins_json(plugins: Sequence[Mapping[str, Any] | str]) -> str:
    """``BUILDKITE_PLUGINS`` for a step's ``plugins:`` list (``{ref: options}`` or ``ref``)."""
    return json.dumps([p if isinstance(p, str) else dict(p) for p in plugins])


def hook_environment(
    generation: Generation, plugins: Sequence[Mapping[str, Any] | str], running: int
) -> dict[str, str]:
    """The plugin variables of the hook of ``plugins[running]``, as ``generation`` sets them."""
    entry = plugins[running]
    ref, options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
    options = options if options is not None else {}
    name = _format_key(plugin_name(parse_reference(ref)), generation)
    env = {"BUILDKITE_PLUGINS": plugins_json(plugins)}
    flattened: dict[str, str] = {}
    try:
        for key, value in options.items():
            prefix = f"BUILDKITE_PLUGIN_{name}_{_format_key(key, generation)}"
            _flatten(value, prefix, generation, flattened)
    except ValueError:
        return env
    env.update(flattened)
    if generation != "v3.27":
        env["BUILDKITE_PLUGIN_NAME"] = name
        env["BUILDKITE_PLUGIN_CONFIGURATION"] = json.dumps(
            options, sort_keys=True, separators=(",", ":")
        )
    return env
