"""The inputs manifest: what a cache tag was computed from, and how two of them differ.

A manifest is the explainable side of the checksum (SPEC §3): one entry per input, in the
order hashed, each with its kind, its name and a digest, never a secret or a build-arg value.
It is printed in the hook's log, stored on the image as the label :data:`LABEL`, shown in the
TUI and printed by ``ecr-cache checksum``; :func:`diff` answers "why did this build miss?"
(:mod:`.diffrows` lays the answer out for people).

The one value a manifest carries is that of a *literal* build arg (``NODE_ENV=production``): it
is written in the pipeline's YAML for anyone to read, and Docker records it in the image's
history anyway. A build arg read from the job's environment (a bare ``NAME``) may be a secret:
only its digest is kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from ecr_cache_tui import boundedjson
from ecr_cache_tui.errors import escape
from ecr_cache_tui.records import Record

__all__ = [
    "ADDITIONAL_BUILD_ARGS",
    "BASE_IMAGE",
    "BUILD_ARG",
    "CACHE_ON",
    "CONTEXT",
    "COPIED",
    "DOCKERFILE",
    "DOCKERFILE_INLINE",
    "LABEL",
    "PLATFORM",
    "TARGET",
    "Change",
    "FileDigest",
    "InputEntry",
    "LabelError",
    "Manifest",
    "describe_changes",
    "diff",
]

#: The image label that carries a manifest as compact JSON.
LABEL = "dev.ecr-cache-tui.inputs"

#: A label longer than this drops per-file digests (entry digests stay, so diffs still work).
MAX_LABEL_BYTES = 64 * 1024
#: A label read back is at most this long: anyone who can push ``latest`` writes it.
MAX_LABEL_READ = 1 << 20
#: Inputs in one label at most (a pipeline has tens).
MAX_ENTRIES = 10_000
#: Files listed in one label at most, all inputs together.
MAX_FILES = 100_000
#: Changes :func:`describe_changes` names at most.
_DESCRIBED = 10
#: The manifest → inputs → an input → its files → a file.
_LABEL_DEPTH = 5

# Input kinds, in the order SPEC §3 hashes them.
DOCKERFILE = "dockerfile"
DOCKERFILE_INLINE = "dockerfile-inline"
CONTEXT = "context"
TARGET = "target"
PLATFORM = "platform"
BUILD_ARG = "build-arg"
ADDITIONAL_BUILD_ARGS = "additional-build-args"
CACHE_ON = "cache-on"
#: A base image (``base-image-digests``): named by the ``FROM`` reference, valued by its digest.
BASE_IMAGE = "base-image"
#: A context source the Dockerfile's ``COPY``/``ADD`` read (``cache-on-copied``).
COPIED = "copied"

_KIND_LABELS = {
    DOCKERFILE: "Dockerfile",
    DOCKERFILE_INLINE: "inline Dockerfile",
    CONTEXT: "context",
    TARGET: "target",
    PLATFORM: "platform",
    BUILD_ARG: "build arg",
    ADDITIONAL_BUILD_ARGS: "additional build args",
    CACHE_ON: "cache-on",
    BASE_IMAGE: "base image",
    COPIED: "copied",
}


class LabelError(ValueError):
    """A label that is not an inputs manifest; the message says why in one short line."""

    def __init__(self, why: str) -> None:
        super().__init__(f"not an inputs manifest: {why}")


class FileDigest(Record):
    """One file matched by a ``cache-on`` pattern (path relative to the checkout)."""

    # One per file hashed: slots and an __init__ of its own (see ecr_cache_tui.records).
    __slots__ = ("digest", "path")
    path: str
    digest: str

    def __init__(self, path: str, digest: str) -> None:
        self._set("path", path)
        self._set("digest", digest)


class InputEntry(Record):
    """One input of the checksum.

    Attributes:
        kind: one of the kind constants of this module.
        name: what a person recognises: the Dockerfile's path, ``NODE_ENV`` for a build arg,
            the pattern as written for ``cache-on``.
        digest: lower-case hex digest of the input's serialised value.
        files: for ``cache-on``, each matched file with its own digest (may be dropped from
            a label that would be too large; ``digest`` still covers them).
        note: a remark for people: ``"no match"``, ``"3 files"``, ``"unset in environment"``.
        value: a literal build arg's value, or the manifest digest a base image resolved to
            (``None`` for every other input, an unresolved base image, and a build arg read
            from the environment: see the module docstring).
    """

    kind: str
    name: str
    digest: str
    files: tuple[FileDigest, ...] = ()
    note: str = ""
    value: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What identifies this input across two manifests."""
        return (self.kind, self.name)

    def describe(self) -> str:
        """``package-lock.json`` for files and patterns, ``build arg NODE_ENV`` otherwise."""
        if self.kind in (CACHE_ON, DOCKERFILE):
            return self.name
        return f"{_KIND_LABELS.get(self.kind, self.kind)} {self.name}".strip()


class Manifest(Record):
    """The ordered inputs of one cache tag."""

    tag: str
    entries: tuple[InputEntry, ...]
    version: int = 1
    algorithm: str = "xxh3-128"

    def to_dict(self, *, with_files: bool = True) -> dict[str, Any]:
        """A JSON-ready dict (the ``--json`` shape of ``ecr-cache checksum``)."""
        inputs: list[dict[str, Any]] = []
        for e in self.entries:
            item: dict[str, Any] = {"kind": e.kind, "name": e.name, "digest": e.digest}
            if e.note:
                item["note"] = e.note
            if e.value is not None:
                item["value"] = e.value
            if with_files and e.files:
                item["files"] = [{"path": f.path, "digest": f.digest} for f in e.files]
            inputs.append(item)
        return {
            "tag": self.tag,
            "version": self.version,
            "algorithm": self.algorithm,
            "inputs": inputs,
        }

    def to_label(self, max_bytes: int = MAX_LABEL_BYTES) -> str:
        """Compact JSON for the image label, without per-file digests if it would be too big."""
        text = _compact(self.to_dict())
        if len(text.encode()) > max_bytes:
            text = _compact(self.to_dict(with_files=False))
        return text

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Read what :meth:`to_dict` wrote, strictly (what a registry returns is untrusted).

        Raises:
            LabelError: a field missing or of the wrong type, more than :data:`MAX_ENTRIES`
                inputs or :data:`MAX_FILES` files, or one input listed twice.
        """
        if not isinstance(data, Mapping):
            raise LabelError("not a JSON object")
        items = _field(data, "inputs", list)
        if len(items) > MAX_ENTRIES:
            raise LabelError(f"{len(items)} inputs, more than {MAX_ENTRIES}")
        entries: list[InputEntry] = []
        seen: set[tuple[str, str]] = set()
        files_left = MAX_FILES
        for item in items:
            entry = _entry(item)
            if entry.key in seen:
                raise LabelError(f"the input {entry.kind} {_clip(entry.name, 60)} is listed twice")
            seen.add(entry.key)
            files_left -= len(entry.files)
            if files_left < 0:
                raise LabelError(f"more than {MAX_FILES} files")
            entries.append(entry)
        version = _field(data, "version", int, 1)
        if isinstance(version, bool):
            raise LabelError("version is not a whole number")
        return cls(
            tag=_field(data, "tag", str),
            entries=tuple(entries),
            version=version,
            algorithm=_field(data, "algorithm", str, "xxh3-128"),
        )

    @classmethod
    def from_label(cls, text: str) -> Manifest:
        """Parse an image label: total, bounded, strict.

        Raises:
            LabelError: (a ``ValueError``) with why, in one short line, whatever ``text`` is:
                over :data:`MAX_LABEL_READ` characters, not JSON, nested deeper than a
                manifest is, a number JSON cannot hold, a key twice, or not a manifest.
        """
        if not isinstance(text, str):
            raise LabelError("not text")
        try:
            data = boundedjson.loads(
                text, max_chars=MAX_LABEL_READ, max_depth=_LABEL_DEPTH, unique_keys=True
            )
        except boundedjson.JsonError as exc:
            raise LabelError(str(exc)) from exc
        return cls.from_dict(data)

    def render(self) -> list[str]:
        """Aligned lines for people: ``kind  name  digest  note``."""
        if not self.entries:
            return []
        kind_w = max(len(e.kind) for e in self.entries)
        name_w = min(60, max(len(e.name) for e in self.entries))
        lines = []
        for e in self.entries:
            note = f"  ({e.note})" if e.note else ""
            lines.append(f"{e.kind:<{kind_w}}  {e.name:<{name_w}}  {e.digest[:16]}{note}")
        return lines


Status = Literal["added", "removed", "changed", "same"]


class Change(Record):
    """One input compared across two manifests (``old`` is A, ``new`` is B)."""

    status: Status
    old: InputEntry | None
    new: InputEntry | None
    changed_files: tuple[str, ...] = ()

    @property
    def entry(self) -> InputEntry:
        """Whichever side exists (the new one when both do)."""
        found = self.new or self.old
        assert found is not None
        return found

    def describe(self) -> str:
        """``package-lock.json changed``, ``build arg NODE_ENV added``, …"""
        text = f"{self.entry.describe()} {self.status}"
        if self.changed_files and self.entry.name not in self.changed_files:
            shown = ", ".join(self.changed_files[:3])
            more = len(self.changed_files) - 3
            text += f" ({shown}{f' and {more} more' if more > 0 else ''})"
        return text


def diff(old: Manifest, new: Manifest) -> tuple[Change, ...]:
    """Compare two manifests input by input, in ``new``'s order, then what only ``old`` has.

    When ``version`` or ``algorithm`` differ, every input counts as changed: their digests are
    not comparable.
    """
    comparable = old.version == new.version and old.algorithm == new.algorithm
    old_by_key = {e.key: e for e in old.entries}
    seen: set[tuple[str, str]] = set()
    changes: list[Change] = []
    for entry in new.entries:
        seen.add(entry.key)
        before = old_by_key.get(entry.key)
        if before is None:
            changes.append(Change("added", None, entry))
        elif comparable and before.digest == entry.digest:
            changes.append(Change("same", before, entry))
        else:
            changes.append(Change("changed", before, entry, _changed_files(before, entry)))
    changes.extend(Change("removed", e, None) for e in old.entries if e.key not in seen)
    return tuple(changes)


def describe_changes(changes: Iterable[Change]) -> str:
    """One line: ``package-lock.json changed; build arg NODE_ENV changed`` (or ``no change``)."""
    parts = [c.describe() for c in changes if c.status != "same"]
    if not parts:
        return "no input changed"
    # A label may name thousands of inputs with long names: the line stays a line.
    shown = [_clip(p, 200) for p in parts[:_DESCRIBED]]
    more = len(parts) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _changed_files(old: InputEntry, new: InputEntry) -> tuple[str, ...]:
    before = {f.path: f.digest for f in old.files}
    after = {f.path: f.digest for f in new.files}
    paths: Sequence[str] = sorted(set(before) | set(after))
    return tuple(p for p in paths if before.get(p) != after.get(p))


def _compact(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


_T = TypeVar("_T")
_MISSING: Any = object()


def _field(data: Mapping[str, Any], key: str, kind: type[_T], default: _T = _MISSING) -> _T:
    value = data.get(key, default)
    if value is _MISSING:
        raise LabelError(f"{key} is missing")
    if not isinstance(value, kind):
        raise LabelError(f"{key} is not a {kind.__name__}")
    return value


def _entry(item: Any) -> InputEntry:
    if not isinstance(item, dict):
        raise LabelError("an input is not an object")
    files = []
    for f in _field(item, "files", list, []):
        if not isinstance(f, dict):
            raise LabelError("a file is not an object")
        files.append(FileDigest(_field(f, "path", str), _field(f, "digest", str)))
    value = item.get("value")
    if value is not None and not isinstance(value, str):
        raise LabelError("value is not a str")
    return InputEntry(
        kind=_field(item, "kind", str),
        name=_field(item, "name", str),
        digest=_field(item, "digest", str),
        files=tuple(files),
        note=_field(item, "note", str, ""),
        value=value,
    )


def _clip(text: str, limit: int) -> str:
    """``text`` from a label for one line of a terminal or a log: escaped, at most ``limit``
    characters (an ``…`` marks the cut)."""
    shown = escape(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
