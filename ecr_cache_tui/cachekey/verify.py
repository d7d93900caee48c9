"""Does a cached image carry the inputs its tag was computed from? (SPEC §8, ``verify-label``)

A hit is found by its tag alone. Anyone who can push to the repository can put any image under
any tag, so before a hit is used its inputs label (:data:`~ecr_cache_tui.cachekey.inputs.LABEL`,
read from the daemon's copy of the image) is compared with the manifest just computed:

* ``match``: same tag, same inputs: use it;
* ``other``: the label names other inputs (:attr:`LabelCheck.first`: the first one that
  differs, ``old -> new``): never used silently (``verify-label`` says what happens);
* ``absent``: no label at all (an image pushed by the reference plugin): used, with a warning;
* ``unreadable``: a label that is not a manifest (malformed, too big): treated as ``other``.

What this proves, and what it does not: a label is written by whoever built the image, so a
writer can forge one. It catches images built from other inputs by honest writers (an older
plugin, a different checkout, a tag moved by hand) and an attacker who did not bother; only
IAM (who may push at all) stops a writer. See the README's "Trust model".
"""

from __future__ import annotations

from typing import Literal

from ecr_cache_tui.cachekey.inputs import Change, InputEntry, Manifest, diff
from ecr_cache_tui.errors import escape
from ecr_cache_tui.records import Record

__all__ = ["MAX_LABEL_CHARS", "LabelCheck", "check_label"]

#: A label longer than this is not read (the plugin writes at most 64 KiB; see inputs).
MAX_LABEL_CHARS = 1 << 20

Verdict = Literal["match", "other", "absent", "unreadable"]

#: Characters of one name or value shown in a line, at most.
_SHOWN = 80


class LabelCheck(Record):
    """The verdict, and for ``other``/``unreadable`` the first difference as one line."""

    verdict: Verdict
    first: str = ""

    @property
    def usable(self) -> bool:
        """Whether the image carries the computed inputs (or no label at all)."""
        return self.verdict in ("match", "absent")


def check_label(text: str | None, computed: Manifest) -> LabelCheck:
    """Compare an image's inputs label (``None``: it has none) with the computed manifest."""
    if text is None or not text.strip():
        return LabelCheck("absent")
    if len(text) > MAX_LABEL_CHARS:
        return LabelCheck("unreadable", f"the label is {len(text)} characters, over the limit")
    try:
        labelled = Manifest.from_label(text)
    except ValueError as exc:  # Manifest.from_label is total: LabelError for any text
        return LabelCheck("unreadable", f"the label is not an inputs manifest ({_show(str(exc))})")
    for change in diff(labelled, computed):
        if change.status != "same":
            return LabelCheck("other", _first(change))
    if labelled.tag != computed.tag:
        return LabelCheck("other", f"tag: {_show(labelled.tag)} -> {_show(computed.tag)}")
    return LabelCheck("match")


def _first(change: Change) -> str:
    """``package-lock.json: 1a2b3c4d5e6f7a8b -> 9c0d1e2f3a4b5c6d`` (absent sides say so)."""
    return f"{_show(change.entry.describe())}: {_side(change.old)} -> {_side(change.new)}"


def _side(entry: InputEntry | None) -> str:
    if entry is None:
        return "(absent)"
    if entry.value is not None:
        return _show(repr(entry.value))
    return _show(entry.digest[:16])


def _show(text: str) -> str:
    """Escaped for a terminal, one line, bounded."""
    shown = escape(text.replace("\n", "\\n"))
    return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"
