"""Where the plugin's options come from, before :mod:`ecr_cache_tui.config` validates them.

In a job, the first of these that is there (SPEC §2.1), every one validated the same way:

* ``BUILDKITE_PLUGIN_CONFIGURATION``: the agent's JSON of the running plugin's block, with the
  original keys and types (agents v3.28 and later set it for each plugin hook).
* This plugin's entry in ``BUILDKITE_PLUGINS``, the step's plugins and their options as JSON,
  which every agent version puts in the job's environment. The entry is found by where the
  hook runs from (:func:`~ecr_cache_tui.config.references.checked_out_at`: the directory the
  agent derives from the reference, so a fork under any name is found), else by the names this
  plugin goes by (:data:`PLUGIN_NAMES`, as the agent names plugins: ``ecr-cache-tui#v1``,
  ``github.com/acme/ecr-cache-buildkite-plugin#v1``, ``file:///x/ecr-cache-tui``,
  ``docker-ecr-cache#v2.2.0`` for a pipeline written for the reference plugin), or by
  ``BUILDKITE_PLUGIN_NAME`` when the agent sets it. Two entries of this plugin on one step are
  an error here: such an agent does not say which of them is running.
* The flattened variables, which every agent sets for the hook. The agent upper-cases the
  plugin's name (``BUILDKITE_PLUGIN_NAME``, else the first of :data:`PLUGIN_NAMES` that has
  variables) and each key, turns ``-`` and spaces into ``_``, and walks the
  values: a list item is ``<KEY>_<index>``, a map entry ``<KEY>_<MAPKEY>``, a scalar is
  ``<KEY>`` with ``true``/``false``/``14`` as text. We read that back by longest option prefix
  (``DOCKERFILE_INLINE`` before ``DOCKERFILE``), list items in numeric order (``_2`` before
  ``_10``), ``true``/``false`` as booleans for boolean options and digits as a number for
  ``max-age-days``; a variable that is no option is refused like an unknown JSON key (beside
  a JSON source as well: no agent sets one the JSON lacks, a hand-made environment may). Map keys
  cannot be recovered as written: ``ecr-tags`` keys read this way arrive upper-cased with ``_``
  for punctuation (the JSON sources keep them).

A file for ``ecr-cache checksum --config-file``: JSON, or YAML that is either a plain mapping
of options, a single ``{<plugin ref>: {options}}`` mapping, or a whole ``pipeline.yml`` whose
one ``ecr-cache`` plugin block is used. There a plugin block is recognised by its reference:
the last path segment before ``#``, less a ``-buildkite-plugin`` suffix, contains ``ecr-cache``
(``acme/ecr-cache#v1.0.0``, ``seek-oss/docker-ecr-cache#v2.2.0``, ``./plugins/ecr-cache``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ecr_cache_tui import boundedjson
from ecr_cache_tui.config.options import OPTIONS
from ecr_cache_tui.config.references import (
    Reference,
    checked_out_at,
    parse_reference,
    plugin_name,
)
from ecr_cache_tui.config.strings import (
    MAX_DEPTH,
    MAX_TEXT_CHARS,
    check_shape,
    check_size,
    loads_json,
)
from ecr_cache_tui.errors import ConfigError, one_line

__all__ = [
    "CONFIGURATION_ENV",
    "NAME_ENV",
    "PLUGINS_ENV",
    "PLUGIN_NAMES",
    "find_plugin_blocks",
    "from_cli",
    "from_env",
    "is_plugin_reference",
    "own_plugin_dir",
    "read_config_file",
]

CONFIGURATION_ENV = "BUILDKITE_PLUGIN_CONFIGURATION"
PLUGINS_ENV = "BUILDKITE_PLUGINS"
NAME_ENV = "BUILDKITE_PLUGIN_NAME"
#: The names this plugin goes by, as the agent names plugins: the repository's, ``plugin.yml``'s,
#: and the reference plugin's, of which the README calls it a drop-in replacement. In this order:
#: the second one's variables' prefix is also the start of the first one's.
PLUGIN_NAMES = ("ecr-cache-tui", "ecr-cache", "docker-ecr-cache")
_BOOL_OPTIONS = frozenset(
    {
        "skip-pull-from-cache",
        "cache-from",
        "force-rebuild",
        "push-latest",
        "annotate",
        "push",
        "push-from-forks",
        "cache-on-copied",
    }
)
_LIST_OPTIONS = frozenset({"build-args", "secrets", "cache-on", "unhashed-build-args", "push"})
# What the plugin itself exports under the reference's prefix: not configuration.
_NOT_OPTIONS = frozenset({"EXPORT_IMAGE", "EXPORT_TAG"})


def _env_key(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).upper()


_BY_ENV_KEY = sorted(((_env_key(o), o) for o in OPTIONS), key=lambda kv: -len(kv[0]))


def from_env(
    env: Mapping[str, str], *, checkout: Path | None = None, plugin_dir: Path | None = None
) -> dict[str, Any]:
    """The raw options of the running plugin, from the job's environment (see the module docs).

    Args:
        env: the job's environment.
        checkout: the job's checkout (where a vendored plugin is); the current directory if
            not given.
        plugin_dir: the directory of the running plugin (above ``hooks/``), which tells its
            entry in ``BUILDKITE_PLUGINS`` apart; ``None`` to go by name only.

    Raises:
        ConfigError: a source that is not JSON or not of its shape, or this plugin twice in
            ``BUILDKITE_PLUGINS``.
    """
    text = env.get(CONFIGURATION_ENV, "").strip()
    name = None
    if text:
        raw = _options(CONFIGURATION_ENV, _json(CONFIGURATION_ENV, text))
    else:
        entry = _plugins_entry(env, checkout or Path.cwd(), plugin_dir)
        if entry is None:
            prefix = _flattened_prefix(env)
            return _unflatten(prefix, env) if prefix else {}
        ref, raw = entry
        name = plugin_name(ref)
    return {**raw, **_stray_flattened(_flattened_prefix(env, name), env, raw)}


def own_plugin_dir() -> Path | None:
    """The plugin checkout this package runs from (``hooks/pre-command`` beside it), if any."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "hooks" / "pre-command").is_file() else None


def _json(origin: str, text: str) -> Any:
    """JSON within the size and depth limits (:mod:`ecr_cache_tui.config.strings`)."""
    return loads_json(text, origin)


def _options(origin: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{origin}: a JSON {type(raw).__name__} is not valid: expected an object of options",
            option=origin,
        )
    return raw


def _plugins_entry(
    env: Mapping[str, str], checkout: Path, plugin_dir: Path | None
) -> tuple[Reference, dict[str, Any]] | None:
    """This plugin's entry in ``BUILDKITE_PLUGINS``, or ``None`` when it is not there."""
    text = env.get(PLUGINS_ENV, "").strip()
    if not text:
        return None
    entries = _plugin_entries(_json(PLUGINS_ENV, text))
    mine = _own_entries(entries, env, checkout, plugin_dir)
    if not mine:
        return None
    if len(mine) > 1:
        refs = ", ".join(json.dumps(ref.text, ensure_ascii=False) for ref, _ in mine)
        raise ConfigError(
            f"{PLUGINS_ENV}: this plugin is on the step {len(mine)} times ({refs}), and this "
            "agent (before v3.28, no BUILDKITE_PLUGIN_CONFIGURATION) does not say which entry "
            "is running: keep one entry of it per step, or use agent v3.28 or later",
            option=PLUGINS_ENV,
        )
    ref, options = mine[0]
    return ref, _options(f"{PLUGINS_ENV} ({json.dumps(ref.text, ensure_ascii=False)})", options)


def _plugin_entries(document: Any) -> list[tuple[str, Any]]:
    """``[(reference, options)]`` of the agent's ``BUILDKITE_PLUGINS`` list."""
    if not isinstance(document, list):
        raise ConfigError(
            f"{PLUGINS_ENV}: a JSON {type(document).__name__} is not valid: expected a list "
            "of plugins",
            option=PLUGINS_ENV,
        )
    entries: list[tuple[str, Any]] = []
    for item in document:
        if isinstance(item, str):
            entries.append((item, None))
        elif isinstance(item, dict):
            entries.extend((ref, options) for ref, options in item.items())
    return entries


def _own_entries(
    entries: list[tuple[str, Any]],
    env: Mapping[str, str],
    checkout: Path,
    plugin_dir: Path | None,
) -> list[tuple[Reference, Any]]:
    """The entries that are this plugin: by where the hook runs, else by name."""
    refs = [(parse_reference(ref), options) for ref, options in entries]
    if plugin_dir is not None:
        here = [(ref, o) for ref, o in refs if checked_out_at(ref, plugin_dir, checkout)]
        if here:
            return here
    given = env.get(NAME_ENV, "")
    names = {_env_key(given)} if given else {_env_key(name) for name in PLUGIN_NAMES}
    return [(ref, o) for ref, o in refs if _env_key(plugin_name(ref)) in names]


def _flattened_prefix(env: Mapping[str, str], name: str | None = None) -> str | None:
    """``BUILDKITE_PLUGIN_<NAME>_`` of this plugin's flattened variables, if any are set.

    ``NAME`` is ``BUILDKITE_PLUGIN_NAME``, else ``name`` (the entry's), else the first of
    :data:`PLUGIN_NAMES` that has variables.
    """
    given = env.get(NAME_ENV, "") or name
    for candidate in [given] if given else PLUGIN_NAMES:
        prefix = f"BUILDKITE_PLUGIN_{_env_key(candidate)}_"
        if any(key.startswith(prefix) for key in env):
            return prefix
    return None


def _stray_flattened(
    prefix: str | None, env: Mapping[str, str], raw: Mapping[str, Any]
) -> dict[str, Any]:
    """Flattened variables no JSON option accounts for and that name no option.

    An agent sets none (it flattens the same JSON), but an environment made by hand may: they
    are refused as unknown keys, so a misspelt variable is never silently ignored.
    """
    if prefix is None:
        return {}
    written = [_env_key(key) for key in raw]
    stray = {
        key: value
        for key, value in env.items()
        if key.startswith(prefix)
        and not any(
            key[len(prefix) :] == w or key[len(prefix) :].startswith(w + "_") for w in written
        )
    }
    return {key: value for key, value in _unflatten(prefix, stray).items() if key not in OPTIONS}


def _unflatten(prefix: str, env: Mapping[str, str]) -> dict[str, Any]:
    scalars: dict[str, Any] = {}
    items: dict[str, list[tuple[int, str]]] = {}
    maps: dict[str, dict[str, str]] = {}
    for key, value in env.items():
        if not key.startswith(prefix) or key[len(prefix) :] in _NOT_OPTIONS:
            continue
        suffix = key[len(prefix) :]
        option, rest = _split_option(suffix)
        if option is None:
            # No option: validation refuses it and suggests the closest (less a list index).
            scalars[re.sub(r"_\d+$", "", suffix).lower().replace("_", "-")] = value
        elif option == "ecr-tags" and rest:
            maps.setdefault(option, {})[rest] = value
        elif option in _LIST_OPTIONS and rest.isdigit():
            items.setdefault(option, []).append((int(rest), value))
        elif rest:
            scalars[f"{option}-{rest.lower().replace('_', '-')}"] = value
        else:
            scalars[option] = _scalar(option, value)
    raw: dict[str, Any] = dict(scalars)
    raw.update(maps)
    for option, indexed in items.items():
        listed = [value for _, value in sorted(indexed)]
        single = raw.get(option)
        raw[option] = ([single] if isinstance(single, str) else []) + listed
    return raw


def _split_option(suffix: str) -> tuple[str | None, str]:
    for env_key, option in _BY_ENV_KEY:
        if suffix == env_key:
            return option, ""
        if suffix.startswith(env_key + "_"):
            return option, suffix[len(env_key) + 1 :]
    return None, ""


def _scalar(option: str, value: str) -> Any:
    if option in _BOOL_OPTIONS and value in ("true", "false"):
        return value == "true"
    if option == "max-age-days" and value.isascii() and value.isdigit():
        return int(value)
    return value


def is_plugin_reference(ref: object) -> bool:
    """True for a plugin reference naming this plugin (see the module docstring)."""
    if not isinstance(ref, str):
        return False
    name = ref.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    name = name.removesuffix("-buildkite-plugin")
    return "ecr-cache" in name


def find_plugin_blocks(document: Any) -> list[dict[str, Any]]:
    """Every configuration of this plugin in a pipeline-like document, in document order.

    Looks at every ``plugins:`` (list or mapping) at any depth, so ``group`` steps and step
    lists without ``steps:`` work too. A block with no options (``- acme/ecr-cache#v1``) is ``{}``.
    """
    blocks: list[dict[str, Any]] = []
    for plugins in _plugin_lists(document):
        pairs: list[tuple[Any, Any]] = []
        if isinstance(plugins, Mapping):
            pairs.extend(plugins.items())
        else:
            for item in plugins:
                if isinstance(item, str):
                    pairs.append((item, None))
                elif isinstance(item, Mapping) and len(item) == 1:
                    pairs.extend(item.items())
        for ref, options in pairs:
            if is_plugin_reference(ref):
                blocks.append(dict(options) if isinstance(options, Mapping) else {})
    return blocks


def _plugin_lists(node: Any) -> Iterator[Any]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "plugins" and isinstance(value, (list, Mapping)):
                yield value
            else:
                yield from _plugin_lists(value)
    elif isinstance(node, list):
        for item in node:
            yield from _plugin_lists(item)


def read_config_file(path: Path) -> dict[str, Any]:
    """The options in ``path`` (JSON or YAML; see the module docstring for the shapes).

    Raises:
        ConfigError: unreadable, not JSON/YAML, or not exactly one plugin configuration.
    """
    option = "--config-file"
    try:
        with path.open(encoding="utf-8") as handle:
            # One character more than allowed: enough to tell "too long" without reading it all.
            text = handle.read(MAX_TEXT_CHARS + 1)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{option}: cannot read {path}: {exc}", option=option) from exc
    check_size(text, option)
    if path.suffix == ".json":
        yaml_error: type[Exception] = boundedjson.JsonError
        load: Any = functools.partial(
            boundedjson.loads, max_chars=MAX_TEXT_CHARS, max_depth=MAX_DEPTH + 1
        )
    else:
        try:
            # lazy: only this command path reads YAML
            import yaml  # noqa: PLC0415
        except ImportError as exc:
            # The hook's own install (requirements.lock) has no PyYAML: it never reads YAML.
            raise ConfigError(
                f"{option}: reading YAML ({path}) needs PyYAML: pip install "
                "'ecr_cache_tui[tui]', or give the options as a .json file",
                option=option,
            ) from exc
        yaml_error, load = yaml.YAMLError, yaml.safe_load
    try:
        document = load(text)
    except (RecursionError, boundedjson.JsonTooDeep) as exc:
        raise ConfigError(
            f"{option}: {path} nests lists and maps more than {MAX_DEPTH} deep", option=option
        ) from exc
    except (json.JSONDecodeError, yaml_error) as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(
            f"{option}: {path} is not valid JSON/YAML: {detail}", option=option
        ) from exc
    except ValueError as exc:  # YAML: an integer over CPython's 4,300-digit conversion limit
        raise ConfigError(
            f"{option}: {path} holds a value YAML cannot convert: {one_line(str(exc))[:120]}",
            option=option,
        ) from exc
    check_shape(document, option)
    if document is None:
        return {}
    if isinstance(document, Mapping) and not _looks_like_pipeline(document):
        if len(document) == 1:
            ((ref, options),) = document.items()
            if is_plugin_reference(ref) and (options is None or isinstance(options, Mapping)):
                return dict(options or {})
        return dict(document)
    blocks = find_plugin_blocks(document)
    if len(blocks) != 1:
        raise ConfigError(
            f"{option}: {path} has {len(blocks)} ecr-cache plugin blocks: expected exactly one "
            "(or a plain mapping of options)",
            option=option,
        )
    return blocks[0]


def _looks_like_pipeline(document: Mapping[Any, Any]) -> bool:
    return any(key in document for key in ("steps", "plugins")) and not any(
        key in OPTIONS for key in document
    )


def from_cli(config_json: str | None, config_file: Path | None) -> dict[str, Any] | None:
    """The options given on the command line (``--config JSON`` or ``--config-file FILE``).

    Returns ``None`` when neither is given: the caller then reads the job's environment
    (:func:`from_env`), as the hook does.
    """
    if config_file is not None:
        return read_config_file(Path(config_file))
    if config_json is None:
        return None
    raw = loads_json(
        config_json, "--config", ConfigError, hint=": expected an object of plugin options"
    )
    if not isinstance(raw, dict):
        raise ConfigError(
            f"--config: a JSON {type(raw).__name__} is not valid: expected an object of options",
            option="--config",
        )
    return raw
