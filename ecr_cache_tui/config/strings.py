"""What a string option may hold, and how big and deep a configuration may be.

Every string that reaches a path, an argv, a label, an ECR tag or an export is checked here
before anything has a side effect, so the failure is one line naming the option (exit 2)
rather than ``ValueError: embedded null byte`` from ``subprocess`` after the repository was
created, ``OSError: File name too long`` from ``stat`` or ``UnicodeEncodeError`` from a write:

* **characters**: no NUL, no other control character (C0, DEL, C1 such as U+0085), no Unicode
  line or paragraph separator, no bidirectional override, and no lone surrogate (JSON's
  ``"\\ud800"``: it has no UTF-8 form, so no file name, argv or log line can carry it). Text
  options (``dockerfile-inline``, ``additional-build-args``, build-arg values) may also hold
  tab, newline and carriage return.
* **paths** (``dockerfile``, ``context``, ``cache-on``, a secret's ``src``): at most
  :data:`MAX_NAME_BYTES` bytes per component and :data:`MAX_PATH_BYTES` in all, counted in
  UTF-8 with the checkout in front (Linux's ``NAME_MAX`` and ``PATH_MAX``).
* **the configuration as a whole**: JSON or YAML text of at most :data:`MAX_TEXT_CHARS`
  characters, lists and maps nested at most :data:`MAX_DEPTH` deep (the plugin's own options
  need two), and at most :data:`MAX_NODES` values in all. Python's JSON and YAML parsers recurse,
  so text nested a few thousand deep would otherwise end in ``RecursionError``.

Values are written into these messages by :func:`ecr_cache_tui.text.show`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecr_cache_tui import boundedjson
from ecr_cache_tui.errors import ConfigError
from ecr_cache_tui.text import show

__all__ = [
    "MAX_DEPTH",
    "MAX_NAME_BYTES",
    "MAX_NODES",
    "MAX_PATH_BYTES",
    "MAX_TEXT_CHARS",
    "bad_character",
    "check_path",
    "check_shape",
    "check_size",
    "check_text",
    "loads_json",
]

#: Characters of configuration text (JSON or YAML) read at most: far above any real plugin
#: block (a long ``dockerfile-inline`` is a few KiB), far below what would take a while to parse.
MAX_TEXT_CHARS = 1 << 20
#: Lists and maps inside each other at most this deep (a document's own mapping is level 1).
MAX_DEPTH = 32
#: Values (strings, numbers, list items, map entries) in one configuration at most.
MAX_NODES = 100_000
#: Bytes of one path component (Linux ``NAME_MAX``).
MAX_NAME_BYTES = 255
#: Bytes of a whole path, the checkout included (Linux ``PATH_MAX`` less the final NUL).
MAX_PATH_BYTES = 4095

_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_OTHER = "\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ud800-\\udfff"
_BAD_IN_LINE = f"[\\t\\n\\r{_CONTROL}{_OTHER}]"
_BAD_IN_TEXT = f"[{_CONTROL}{_OTHER}]"


def bad_character(value: str, *, multiline: bool = False) -> str | None:
    """A description of the first character ``value`` may not hold, or ``None``."""
    found = re.search(_BAD_IN_TEXT if multiline else _BAD_IN_LINE, value)
    if found is None:
        return None
    ch = found.group()
    code = ord(ch)
    if code == 0:
        what = "a NUL byte"
    elif 0xD800 <= code <= 0xDFFF:
        what = f"a lone surrogate (U+{code:04X}, not valid Unicode)"
    elif code in (0x2028, 0x2029):
        what = f"a line separator (U+{code:04X})"
    elif code < 0x20 or 0x7F <= code <= 0x9F:
        what = f"a control character (U+{code:04X})"
    else:
        what = f"a bidirectional control (U+{code:04X})"
    return f"{what} at character {found.start() + 1}"


def check_text(
    option: str, value: str, *, multiline: bool = False, shown: str | None = None
) -> str:
    """``value`` if it holds no character :func:`bad_character` refuses, else a ConfigError.

    Args:
        option: the option named in the message.
        value: the string to check.
        multiline: allow tab, newline and carriage return (text, not a name or path).
        shown: what the message shows instead of the value (a secret's name, ``NAME=…``).
    """
    problem = bad_character(value, multiline=multiline)
    if problem is not None:
        allowed = "printable characters" + (", tab and newline" if multiline else "")
        raise ConfigError(
            f"{option}: {shown if shown is not None else show(value)} is not valid: it holds "
            f"{problem}; expected {allowed}",
            option=option,
        )
    return value


def check_path(option: str, written: str, checkout: Path, relative: str) -> None:
    """Refuse a path that no file system here could hold (components or whole too long).

    Args:
        option: the option named in the message.
        written: the path as the user wrote it (shown in the message).
        checkout: the checkout the path is relative to.
        relative: the normalised relative path.
    """
    for component in relative.split("/"):
        size = len(component.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME_BYTES:
            raise ConfigError(
                f"{option}: {show(written)} is not valid: a path component of {size} bytes; "
                f"expected at most {MAX_NAME_BYTES} bytes per component",
                option=option,
            )
    total = len(os.fsencode(checkout)) + 1 + len(relative.encode("utf-8", "surrogatepass"))
    if total > MAX_PATH_BYTES:
        raise ConfigError(
            f"{option}: {show(written)} is not valid: {total} bytes with the checkout in front; "
            f"expected a path of at most {MAX_PATH_BYTES} bytes",
            option=option,
        )


def check_shape(value: Any, origin: str) -> None:
    """Refuse a decoded configuration nested deeper than :data:`MAX_DEPTH` or larger than
    :data:`MAX_NODES` values. Iterative: never recurses, whatever the input.

    Args:
        value: the decoded JSON or YAML.
        origin: where it came from, named in the message (``--config``,
            ``BUILDKITE_PLUGIN_CONFIGURATION``, ``--config-file``).
    """
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise ConfigError(
                f"{origin}: more than {MAX_NODES} values: expected a plugin configuration",
                option=origin,
            )
        if isinstance(node, Mapping):
            children: Any = [*node.keys(), *node.values()]
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"{origin}: lists and maps nested more than {MAX_DEPTH} deep: expected a plugin "
                "configuration (options of strings, lists of strings and one map)",
                option=origin,
            )
        stack.extend((child, depth + 1) for child in children)


def check_size(text: str, origin: str) -> None:
    """Refuse configuration text longer than :data:`MAX_TEXT_CHARS`."""
    if len(text) > MAX_TEXT_CHARS:
        raise ConfigError(
            f"{origin}: {len(text)} characters: expected at most {MAX_TEXT_CHARS}",
            option=origin,
        )


def loads_json(
    text: str, origin: str, error: type[ConfigError] = ConfigError, *, hint: str = ""
) -> Any:
    """Decode configuration JSON within the size and depth limits.

    Raises:
        ConfigError (or ``error``): too long, too deep, or not JSON; one line naming ``origin``.
    """
    check_size(text, origin)
    try:
        # Bounds far above check_shape's: it names the configuration's own limits.
        value = boundedjson.loads(text, max_chars=MAX_TEXT_CHARS, max_depth=1 << 20)
    except boundedjson.JsonTooDeep as exc:
        raise error(
            f"{origin}: lists and maps nested more than {MAX_DEPTH} deep: expected a plugin "
            "configuration",
            option=origin,
        ) from exc
    except boundedjson.JsonError as exc:
        raise error(f"{origin}: {exc}{hint}", option=origin) from exc
    check_shape(value, origin)
    return value
