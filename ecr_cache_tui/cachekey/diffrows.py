"""How two inputs manifests differ, laid out for people: one row per input, old → new.

The one rendering of a diff: ``ecr-cache diff`` prints these rows as text columns and the TUI
draws them, so both say the same thing in the same words. Each side says what the input *was*
as far as the manifest knows it: the value of a literal build arg, the platform, target or
context itself, and otherwise a short digest with the manifest's note (``3 files``,
``12 lines``; a build arg from the environment shows only its digest, or ``unset``). A changed
``cache-on`` pattern is followed by one row per file whose digest differs.

A single-valued input (the Dockerfile, the context, the target, the platform, the additional
build args) that changed is one ``changed`` row from the old value to the new, not a removed
and an added one.

A row's ``label``, ``old`` and ``new`` are for a terminal: whatever a label from a registry
holds, control characters are shown escaped (``\\x1b``), so printing a row never sends an
escape sequence. (The TUI still draws them as plain text, not Rich markup.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ecr_cache_tui.cachekey.inputs import (
    ADDITIONAL_BUILD_ARGS,
    BASE_IMAGE,
    BUILD_ARG,
    CONTEXT,
    DOCKERFILE,
    DOCKERFILE_INLINE,
    PLATFORM,
    TARGET,
    Change,
    InputEntry,
    Status,
)
from ecr_cache_tui.errors import escape

__all__ = ["ABSENT", "DIGEST_CHARS", "MARKS", "DiffRow", "diff_rows", "side_text"]

#: The mark of each status, in the first column.
MARKS: dict[str, str] = {"same": " ", "changed": "~", "added": "+", "removed": "-"}
#: A side where the input does not exist.
ABSENT = "-"
#: Digest characters shown: enough to tell two apart by eye.
DIGEST_CHARS = 12
#: A literal value longer than this is cut (with ``…``).
VALUE_CHARS = 40

#: Inputs whose name *is* their value: the row is named by the kind, the sides show the value.
_VALUE_KINDS = frozenset({CONTEXT, TARGET, PLATFORM, ADDITIONAL_BUILD_ARGS})
#: Inputs a manifest has at most one of: a removed and an added one are one change.
_SINGLE_KINDS = frozenset({DOCKERFILE, DOCKERFILE_INLINE, *_VALUE_KINDS})
_KIND_LABELS = {
    CONTEXT: "context",
    TARGET: "target",
    PLATFORM: "platform",
    ADDITIONAL_BUILD_ARGS: "additional build args",
    DOCKERFILE_INLINE: "inline Dockerfile",
}


@dataclass(frozen=True)
class DiffRow:
    """One line of a diff.

    Attributes:
        status: ``same``, ``changed``, ``added`` (only in the new tag) or ``removed``.
        kind: the input's kind (the manifest's), ``""`` for a file row.
        name: the input's name as the manifest has it (``""`` for an input whose name is its
            value, such as the platform); for a file row, the file's path.
        label: what a person recognises in one column: ``build arg NODE_ENV``,
            ``package-lock.json``, ``platform``; for a file row, the path.
        old: the old side (:data:`ABSENT` when the old tag has no such input).
        new: the new side.
        is_file: a file under the ``cache-on`` pattern of the row before it.
    """

    status: Status
    kind: str
    name: str
    label: str
    old: str
    new: str
    is_file: bool = False

    @property
    def mark(self) -> str:
        """``~`` changed, ``+`` added, ``-`` removed, a space when the same."""
        return MARKS[self.status]


def diff_rows(changes: Iterable[Change]) -> tuple[DiffRow, ...]:
    """The rows of a diff (:func:`~ecr_cache_tui.cachekey.inputs.diff`), in its order."""
    rows: list[DiffRow] = []
    for change in _paired(list(changes)):
        entry = change.entry
        old, new = side_text(change.old), side_text(change.new)
        renamed = change.old and change.new and change.old.name != change.new.name
        if renamed and entry.kind not in _VALUE_KINDS:  # a Dockerfile moved: say from where
            assert change.old is not None and change.new is not None
            old, new = f"{change.old.name} {old}", f"{change.new.name} {new}"
        rows.append(
            DiffRow(
                status=change.status,
                kind=entry.kind,
                name="" if entry.kind in _VALUE_KINDS else entry.name,
                label=escape(_label(entry)),
                old=escape(old),
                new=escape(new),
            )
        )
        if change.changed_files and change.changed_files != (entry.name,):
            rows.extend(_file_rows(change))
    return tuple(rows)


def side_text(entry: InputEntry | None) -> str:
    """What one side of a row shows for ``entry`` (:data:`ABSENT` for ``None``)."""
    if entry is None:
        return ABSENT
    if entry.kind == BUILD_ARG and entry.value is not None:
        return _quoted(entry.value)
    if entry.kind == BASE_IMAGE:  # the image's own digest, as registries and docker show it
        return _cut(entry.value) if entry.value is not None else "not resolved"
    if entry.kind in _VALUE_KINDS:
        return _cut(entry.name)
    digest = entry.digest[:DIGEST_CHARS]
    if entry.kind == BUILD_ARG:  # from the environment: only its digest is known
        return f"{digest} · unset" if entry.note.startswith("unset") else digest
    return f"{digest} · {entry.note}" if entry.note else digest


def _label(entry: InputEntry) -> str:
    if entry.kind in _KIND_LABELS:
        return _KIND_LABELS[entry.kind]
    return entry.describe()


def _paired(changes: Sequence[Change]) -> list[Change]:
    """``changes`` with a removed and an added single-valued input of a kind made one change."""
    out = list(changes)
    for kind in _SINGLE_KINDS:
        added = [i for i, c in enumerate(out) if c.status == "added" and c.entry.kind == kind]
        removed = [i for i, c in enumerate(out) if c.status == "removed" and c.entry.kind == kind]
        if len(added) == 1 and len(removed) == 1:
            old = out[removed[0]].old
            out[added[0]] = Change("changed", old, out[added[0]].new)
            del out[removed[0]]
    return out


def _file_rows(change: Change) -> list[DiffRow]:
    old = {f.path: f.digest for f in change.old.files} if change.old else {}
    new = {f.path: f.digest for f in change.new.files} if change.new else {}
    rows = []
    for path in change.changed_files:
        status: Status = "changed" if path in old and path in new else "added"
        if path not in new:
            status = "removed"
        rows.append(
            DiffRow(
                status=status,
                kind="",
                name=path,
                label=escape(path),
                old=old[path][:DIGEST_CHARS] if path in old else ABSENT,
                new=new[path][:DIGEST_CHARS] if path in new else ABSENT,
                is_file=True,
            )
        )
    return rows


def _quoted(value: str) -> str:
    return _cut(value) if value and value.strip() == value else f'"{_cut(value)}"'


def _cut(text: str) -> str:
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"
