"""``cache-on`` JSON selectors: ``package.json#.dependencies.react`` hashes one value.

An entry splits at the first ``#`` that is followed by ``.`` or ``[``: what comes before is the
pattern, what follows is the selector (so ``notes#1.txt`` stays a plain pattern). A selector is
a chain of steps, in the spirit of jq:

* ``.name`` — an object key (any characters but ``.``, ``[``, ``]`` and ``"``);
* ``."key with dots"`` or ``["key"]`` — a key written as a JSON string;
* ``[0]`` — an array index (0-based);
* ``.`` on its own — the whole document.

A key or index that is missing, or a step into something that is not an object or array,
selects ``null``: the tag still changes when the value later appears. The selected value is
hashed as canonical JSON (sorted keys, no spaces, UTF-8), so reformatting a file or reordering
its keys does not change the tag.
"""

from __future__ import annotations

import json
from typing import Any

from ecr_cache_tui.records import Record

__all__ = ["Selector", "SelectorError", "canonical_json", "parse_selector", "split_entry"]

_KEY_STOP = frozenset('.[]"')


class SelectorError(ValueError):
    """A selector that cannot be parsed."""


class Selector(Record):
    """A parsed selector: ``text`` as written, ``steps`` as keys (str) and indexes (int)."""

    text: str
    steps: tuple[str | int, ...]

    def select(self, document: Any) -> Any:
        """The selected value, or ``None`` where the path does not exist."""
        value = document
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(value, list) or step >= len(value):
                    return None
                value = value[step]
            else:
                if not isinstance(value, dict):
                    return None
                value = value.get(step)
        return value


def split_entry(entry: str) -> tuple[str, str | None]:
    """``("pkg.json", ".a.b")`` for ``"pkg.json#.a.b"``; ``(entry, None)`` without a selector."""
    start = 0
    while (at := entry.find("#", start)) != -1:
        if entry[at + 1 : at + 2] in (".", "["):
            return entry[:at], entry[at + 1 :]
        start = at + 1
    return entry, None


def parse_selector(text: str) -> Selector:
    """Parse a selector (the part after ``#``).

    Raises:
        SelectorError: with what is wrong and where.
    """
    if text == ".":
        return Selector(text, ())
    steps: list[str | int] = []
    decoder = json.JSONDecoder()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "." and text[i + 1 : i + 2] == '"':
            key, i = _json_string(decoder, text, i + 1)
            steps.append(key)
        elif ch == "." and text[i + 1 : i + 2] == "[":
            i += 1  # `.[0]` is jq's spelling of `[0]`
        elif ch == ".":
            end = i + 1
            while end < len(text) and text[end] not in _KEY_STOP:
                end += 1
            if end == i + 1:
                raise SelectorError(f"a key is missing after the '.' at position {i + 1}")
            steps.append(text[i + 1 : end])
            i = end
        elif ch == "[":
            end = text.find("]", i)
            inner = text[i + 1 : end] if end != -1 else ""
            if inner.startswith('"'):
                key, after = _json_string(decoder, text, i + 1)
                if text[after : after + 1] != "]":
                    raise SelectorError(f"expected ']' at position {after + 1}")
                steps.append(key)
                i = after + 1
            elif inner.isascii() and inner.isdigit():
                steps.append(int(inner))
                i = end + 1
            else:
                raise SelectorError(f'expected [N] (a whole number) or ["key"] at position {i + 1}')
        else:
            raise SelectorError(f"expected '.' or '[' at position {i + 1}, found {ch!r}")
    if not steps:
        raise SelectorError("a selector starts with '.' or '['")
    return Selector(text, tuple(steps))


def canonical_json(value: Any) -> bytes:
    """The bytes a selected value is hashed as: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8", "surrogatepass")


def _json_string(decoder: json.JSONDecoder, text: str, start: int) -> tuple[str, int]:
    try:
        value, end = decoder.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise SelectorError(f"a quoted key at position {start + 1} is not closed") from exc
    if not isinstance(value, str):
        raise SelectorError(f"expected a quoted key at position {start + 1}")
    return value, end
