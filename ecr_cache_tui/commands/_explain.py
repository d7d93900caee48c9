"""``ecr-cache checksum --explain``: what the key covers, what it misses, and what it is near.

Besides the tag and the inputs manifest:

* **base images** (``base-image-digests``): each ``FROM`` image and the digest it resolved to
  (or why it did not);
* **not in the key**: each ``COPY``/``ADD`` source no ``cache-on`` pattern covers (none with
  ``cache-on-copied``);
* **the nearest cached tag**, with registry access: of the repository's newest
  :data:`MAX_CANDIDATES` tags, the one whose inputs label differs from this checkout's manifest
  in the fewest inputs, newest first among equals, with each differing input old → new.

Everything a label says is untrusted: every string from one is escaped and cut before it
reaches the terminal. Without registry access the rest is printed and the reason is one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ecr_cache_tui.cachekey.inputs import BASE_IMAGE, Change, Manifest
from ecr_cache_tui.errors import EcrCacheError, one_line

if TYPE_CHECKING:
    from ecr_cache_tui.cachekey.nearest import Nearest
    from ecr_cache_tui.config import PluginConfig
    from ecr_cache_tui.service import CacheService

__all__ = ["MAX_CANDIDATES", "Explanation", "explain", "render", "to_json"]

LATEST = "latest"
#: The newest tags compared (each costs a label read).
MAX_CANDIDATES = 20
#: A name from a label is cut to this many characters.
_NAME_CHARS = 120


class Explanation:
    """What ``--explain`` found (see the module docs)."""

    def __init__(
        self,
        manifest: Manifest,
        uncovered: Sequence[str],
        nearest: Nearest | None,
        nearest_error: str | None,
    ) -> None:
        self.manifest = manifest
        self.uncovered = tuple(uncovered)
        self.nearest = nearest
        self.nearest_error = nearest_error

    @property
    def base_images(self) -> tuple[tuple[str, str], ...]:
        """``(reference, digest or why not)`` of each base image, in the manifest's order."""
        return tuple((e.name, e.note) for e in self.manifest.entries if e.kind == BASE_IMAGE)


def explain(
    config: PluginConfig,
    manifest: Manifest,
    uncovered: Sequence[str],
    *,
    service: Callable[[], CacheService] | None,
) -> Explanation:
    """Find the nearest cached tag (when ``service`` is given) and gather the rest.

    A registry or AWS failure, or a configuration without a repository, is the explanation's
    ``nearest_error``, never an exception: the rest of the explanation stands without it.
    """
    if service is None:
        return Explanation(manifest, uncovered, None, "no registry access asked for")
    if not config.ecr_name:
        return Explanation(
            manifest, uncovered, None, "no repository (set ecr-name, or run inside a job)"
        )
    try:
        found = _nearest(service(), config.ecr_name, manifest)
    except EcrCacheError as exc:
        return Explanation(manifest, uncovered, None, str(exc))
    error = None if found is not None else f"{config.ecr_name} has no tag with an inputs label"
    return Explanation(manifest, uncovered, found, error)


def _nearest(service: CacheService, repository: str, manifest: Manifest) -> Nearest | None:
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.cachekey.nearest import Candidate, nearest  # noqa: PLC0415

    candidates = []
    tags = [t for t in service.list_tags(repository) if t.tag != LATEST]
    for info in tags[:MAX_CANDIDATES]:
        try:
            found = service.read_manifest(repository, info.tag)
        except EcrCacheError:
            continue  # expired or unreadable since the listing: not a candidate
        if found is not None:
            candidates.append(Candidate(info.tag, info.pushed_at, found))
    return nearest(manifest, candidates)


def render(explanation: Explanation) -> list[str]:
    """The lines printed after the tag and its manifest."""
    lines: list[str] = []
    if explanation.base_images:
        lines += ["", "base images:"]
        lines += [f"  {_safe(ref)}  {_safe(what)}" for ref, what in explanation.base_images]
    if explanation.uncovered:
        lines += ["", "not in the key:"]
        lines += [f"  {_safe(line)}" for line in explanation.uncovered]
    lines.append("")
    found = explanation.nearest
    if found is None:
        lines.append(f"nearest cached tag: none ({_safe(explanation.nearest_error or '')})")
        return lines
    count = len(found.changes)
    head = f"nearest cached tag: {_safe(found.tag)}"
    if found.pushed_at is not None:
        head += f" (pushed {found.pushed_at:%Y-%m-%d %H:%M} UTC)"
    if not count:
        lines.append(f"{head}: every input the same")
        return lines
    differ = "1 input differs" if count == 1 else f"{count} inputs differ"
    lines.append(f"{head}: {differ} (cached -> this checkout)")
    lines += _rows(found.changes)
    return lines


def _rows(changes: Sequence[Change]) -> list[str]:
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.cachekey.diffrows import diff_rows  # noqa: PLC0415
    from ecr_cache_tui.commands._maintainer import table  # noqa: PLC0415

    rows = [
        [" ", "", f"  {_safe(row.name)}", _safe(row.old), _safe(row.new)]
        if row.is_file
        else [row.mark, _safe(row.kind), _safe(row.label), _safe(row.old), _safe(row.new)]
        for row in diff_rows(changes)
    ]
    return [f"  {line}" for line in table([" ", "KIND", "INPUT", "CACHED", "NOW"], rows)]


def to_json(explanation: Explanation) -> dict[str, Any]:
    """The ``--json`` shape: the manifest, and the explanation's parts beside it."""
    found = explanation.nearest
    nearest: dict[str, Any] | None = None
    if found is not None:
        nearest = {
            "tag": found.tag,
            "pushed_at": None if found.pushed_at is None else found.pushed_at.isoformat(),
            "changes": [_change_json(c) for c in found.changes],
        }
    return {
        **explanation.manifest.to_dict(),
        "base_images": [
            {"reference": ref, "resolved": what} for ref, what in explanation.base_images
        ],
        "uncovered": list(explanation.uncovered),
        "nearest": nearest,
        "nearest_error": explanation.nearest_error,
    }


def _change_json(change: Change) -> dict[str, Any]:
    entry = change.entry
    return {
        "status": change.status,
        "kind": entry.kind,
        "name": entry.name,
        "cached": _side(change.old),
        "now": _side(change.new),
        "changed_files": list(change.changed_files),
    }


def _side(entry: Any) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"digest": entry.digest, "note": entry.note, "value": entry.value}


def _safe(text: str) -> str:
    """A label's string for a terminal: one line, escaped, cut."""
    shown = one_line(text)
    return shown if len(shown) <= _NAME_CHARS else shown[: _NAME_CHARS - 1] + "…"
