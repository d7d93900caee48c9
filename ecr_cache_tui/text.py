"""How any value is written into a message, the project over: :func:`show`.

One line, escaped (:func:`ecr_cache_tui.errors.escape`), at most a given length, and bounded in
the work it does: a YAML document of aliases can be exponentially large when walked naively, so
a large container is described, never rendered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ecr_cache_tui.errors import escape

__all__ = ["show"]


def show(value: object, limit: int = 80) -> str:
    """``value`` for a message: JSON, one line, escaped, at most ``limit`` characters.

    Containers are rendered only when small; a large one is described (``a list of 5000
    items``), so showing a value never walks more than a few hundred nodes.
    """
    if isinstance(value, (list, tuple, Mapping)) and not _small(value):
        kind = "map" if isinstance(value, Mapping) else "list"
        return f"a {kind} of {len(value)} items"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    text = escape(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _small(value: object, budget: int = 200) -> bool:
    stack = [value]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(node, Mapping):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, str) and len(node) > 10 * budget:
            return False
    return True
