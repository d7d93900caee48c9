"""JSON from someone else, decoded totally: a value within stated bounds, or :class:`JsonError`.

Python's :func:`json.loads` accepts what is not JSON (``NaN``, ``Infinity``), turns ``1e400``
into ``inf``, keeps the last of two equal keys, recurses (``"[" * 100000`` ends in
``RecursionError``) and raises a bare ``ValueError`` for an integer of more than 4,300 digits
(CPython's integer-conversion limit). Every caller that decodes text it did not write (the
plugin configuration, a ``cache-on`` selector's JSON file, an image label from a registry) goes
through :func:`loads`, which turns each of those into one :class:`JsonError` whose message says
what was wrong, never the text itself:

* text longer than ``max_chars`` is refused before it is parsed;
* an integer of more than :data:`MAX_DIGITS` digits, a number that is not finite as a float
  (``1e400``), ``NaN``/``Infinity`` are refused;
* with ``unique_keys``, an object holding one key twice is refused;
* lists and objects nested more than ``max_depth`` deep, or more than ``max_nodes`` values in
  all, are refused (checked without recursion after the parse; the parser's own recursion
  limit is reported the same way).
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["MAX_DIGITS", "JsonError", "JsonTooDeep", "loads"]

#: Digits of one JSON integer at most: far above any real value, below CPython's 4,300.
MAX_DIGITS = 1000


class JsonError(ValueError):
    """Text that is not JSON within the bounds asked for; the message says why, in one line."""


class JsonTooDeep(JsonError):
    """Lists and objects nested deeper than asked for (or than the parser can recurse)."""


def loads(
    text: str | bytes,
    *,
    max_chars: int,
    max_depth: int | None,
    max_nodes: int = 1_000_000,
    unique_keys: bool = False,
) -> Any:
    """Decode ``text`` as strict JSON within the bounds.

    Args:
        text: the JSON text (bytes are decoded as UTF-8).
        max_chars: the most characters (or bytes) accepted.
        max_depth: lists and objects inside each other at most this deep (the outer one is 1).
            ``None``: only as deep as the parser can recurse (about 1,000), and the decoded
            value is not walked again (``max_nodes`` is then not checked either): for big
            documents, such as a lock file, where that walk would cost more than the parse.
        max_nodes: values (list items, object keys and values, scalars) at most.
        unique_keys: refuse an object that holds one key twice.

    Raises:
        JsonError: too long, not JSON, not strict JSON, too deep or too big.
    """
    if len(text) > max_chars:
        raise JsonError(f"{len(text)} characters, more than {max_chars}")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonError(f"not UTF-8 (byte {exc.start})") from exc
    decoder = json.JSONDecoder(
        parse_int=_int,
        parse_float=_float,
        parse_constant=_constant,
        object_pairs_hook=_unique if unique_keys else None,
    )
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise JsonError(f"not valid JSON ({exc.msg} at character {exc.pos})") from exc
    except RecursionError as exc:
        deep = f"more than {max_depth}" if max_depth is not None else "too"
        raise JsonTooDeep(f"lists and objects nested {deep} deep") from exc
    except JsonError:
        raise
    except ValueError as exc:  # pragma: no cover  (the hooks above raise JsonError first)
        raise JsonError(f"not valid JSON ({exc})") from exc
    if max_depth is not None:
        _check_shape(value, max_depth, max_nodes)
    return value


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise JsonError(f"a number of {digits} digits, more than {MAX_DIGITS}")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_DIGITS:
        raise JsonError(f"a number of {len(text)} characters, more than {MAX_DIGITS}")
    value = float(text)
    if not math.isfinite(value):
        raise JsonError(f"a number too large for a float ({text[:20]})")
    return value


def _constant(name: str) -> Any:
    raise JsonError(f"{name} is not JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonError(f"the key {json.dumps(key)[:60]} appears twice in one object")
            seen.add(key)
    return result


def _check_shape(value: Any, max_depth: int, max_nodes: int) -> None:
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise JsonError(f"more than {max_nodes} values")
        if isinstance(node, dict):
            children: Any = node.values()
            nodes += len(node)
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth + 1 > max_depth:
            raise JsonTooDeep(f"lists and objects nested more than {max_depth} deep")
        stack.extend((child, depth + 1) for child in children)
