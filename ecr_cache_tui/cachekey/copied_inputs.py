"""The Dockerfile's ``COPY``/``ADD`` as inputs of the key, and what the key misses without them.

* :func:`read_context` reads the configuration's Dockerfile (or inline text) and ignore file
  and lists what each context source of the needed stages reads (:mod:`.dockerfile`,
  :mod:`.dockerignore`, :mod:`.copied`).
* :func:`copied_entries`: with ``cache-on-copied``, one input of kind ``copied`` per distinct
  source, named as cleaned (``src``, ``.``, ``*.json``), its files listed like a ``cache-on``
  entry's (paths relative to the checkout), so a diff names the file that changed.
* :func:`uncovered_sources`: without it, one line per source that no ``cache-on`` pattern
  covers. It walks the context, so callers ask for it only on a miss or from
  ``ecr-cache checksum``, never on a local hit.

Serialisation of a ``copied`` entry (checksum version 1, a kind older tags never had):
``H(F(status) F(path) F(digest) …)`` with ``status`` ``files``, ``no-match`` (a wildcard
matching nothing) or ``missing`` (a path not in the context: Docker fails that build), files in
UTF-8 byte order; a file's digest is ``H(content)``, ``H("exec:" + H(content))`` when its owner
may execute it (Docker copies the mode), ``H("symlink:" + target)`` for a link.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import xxhash

from ecr_cache_tui.cachekey.copied import CopiedSource, copied_sources
from ecr_cache_tui.cachekey.dockerfile import MAX_BYTES, DockerfileReading, read_dockerfile
from ecr_cache_tui.cachekey.dockerignore import compile_ignore, ignore_file, read_ignore
from ecr_cache_tui.cachekey.inputs import CACHE_ON, COPIED, FileDigest, InputEntry, Manifest
from ecr_cache_tui.errors import one_line

if TYPE_CHECKING:
    from ecr_cache_tui.cachekey.keyconfig import KeyConfig

__all__ = [
    "ContextView",
    "FileHasher",
    "KeyMisses",
    "copied_entries",
    "key_misses",
    "read_context",
    "uncovered_sources",
]


class FileHasher(Protocol):
    """Hashes one file's content (what :mod:`.checksum` streams), with its mode."""

    def file_and_mode(
        self, raw: bytes, option: str, shown: str, *, record_special: bool = False
    ) -> tuple[str, int]: ...


@dataclass(frozen=True)
class ContextView:
    """What the Dockerfile reads from the context: the reading, each source, warnings."""

    reading: DockerfileReading
    sources: tuple[CopiedSource, ...]
    context: str
    name: str
    warnings: tuple[str, ...]

    def checkout_path(self, path: str) -> str:
        """A context-relative path relative to the checkout."""
        return path if self.context == "." else f"{self.context}/{path}"


def read_context(config: KeyConfig, checkout: Path, *, platform: str) -> ContextView:
    """Read the Dockerfile and ignore file of ``config`` and resolve every context source."""
    warnings: list[str] = []
    if config.dockerfile_inline is not None:
        text, name = config.dockerfile_inline, "inline Dockerfile"
    else:
        name = config.dockerfile or "Dockerfile"
        text = _read_text(checkout, name, warnings)
    build_args: Mapping[str, str] = {
        arg.name: arg.value for arg in (*config.build_args, *config.unhashed_build_args)
    }
    reading = read_dockerfile(
        text, build_args=build_args, target=config.target, platform=platform, name=name
    )
    warnings.extend(reading.warnings)
    context = posixpath.normpath(config.context)
    root = os.fsencode(checkout) + (b"" if context == "." else b"/" + os.fsencode(context))
    ignore_path = ignore_file(config.dockerfile, context, lambda p: _is_file(checkout, p))
    patterns: list[str] = []
    if ignore_path is not None:
        patterns, problems = read_ignore(_read_text(checkout, ignore_path, warnings))
        warnings.extend(f"{one_line(ignore_path)}: {p}" for p in problems)
    sources, walk_problems = copied_sources(root, reading, compile_ignore(patterns), mounts=True)
    warnings.extend(walk_problems)
    sources = _without_git(sources, context, name, warnings)
    for copy in reading.copies:
        for remote in copy.remote:
            warnings.append(
                f"{copy.shown} ({one_line(name)}:{copy.line}): {one_line(remote)} is read from "
                "the network, not from the checkout: it is not part of the key"
            )
    return ContextView(reading, sources, context, name, tuple(warnings))


def _without_git(
    sources: tuple[CopiedSource, ...], context: str, name: str, warnings: list[str]
) -> tuple[CopiedSource, ...]:
    """The sources less the checkout's ``.git``: its files differ between clones of one
    commit (index, packs, logs), so keeping them would make the key differ between agents."""
    if context != ".":
        return sources
    kept: list[CopiedSource] = []
    for source in sources:
        files = tuple(
            f for f in source.files if f.path != ".git" and not f.path.startswith(".git/")
        )
        if len(files) != len(source.files):
            first = source.copies[0]
            warnings.append(
                f"{first.shown} ({one_line(name)}:{first.line}): .git goes into the image (the "
                "ignore file does not exclude it) but not into the key: its files differ "
                "between clones of one commit. Add .git to .dockerignore."
            )
        kept.append(replace(source, files=files))
    return tuple(kept)


def copied_entries(
    view: ContextView, checkout: Path, make_hasher: Callable[[], FileHasher]
) -> tuple[list[InputEntry], list[str]]:
    """One ``copied`` input per source of ``view``, and warnings (missing sources).

    Each file is hashed once, however many sources read it (``make_hasher`` makes the hasher).
    """
    entries: list[InputEntry] = []
    warnings: list[str] = []
    wanted = {view.checkout_path(f.path): f.link for s in view.sources for f in s.files}
    digest_of = _hash_all(os.fsencode(checkout), wanted, make_hasher)
    for source in view.sources:
        digests = tuple(
            FileDigest(path, digest_of[path])
            for path in (view.checkout_path(f.path) for f in source.files)
        )
        first = source.copies[0]
        where = f"{first.instruction} ({_where(view, first.line)})"
        if digests:
            status, note = b"files", f"{where}, {len(digests)} file{'s' * (len(digests) != 1)}"
        elif source.found:
            status, note = b"no-match", f"{where}, no match"
        else:
            status, note = b"missing", f"{where}, not in the context"
            warnings.append(
                f"{first.shown} ({_where(view, first.line)}): {one_line(source.key)} is not in "
                "the build context (or the ignore file excludes it): Docker will fail the build"
            )
        h = xxhash.xxh3_128()
        h.update(_frame(status))
        for item in digests:
            h.update(_frame(item.path.encode("utf-8", "surrogateescape")))
            h.update(_frame(item.digest.encode()))
        entries.append(InputEntry(COPIED, source.key, str(h.hexdigest()), digests, note))
    return entries, warnings


def uncovered_sources(view: ContextView, manifest: Manifest) -> tuple[str, ...]:
    """One line per context source whose files are not all matched by a ``cache-on`` entry."""
    covered = {f.path for e in manifest.entries if e.kind == CACHE_ON for f in e.files}
    lines: list[str] = []
    for source in view.sources:
        paths = [view.checkout_path(f.path) for f in source.files]
        missing = sum(1 for p in paths if p not in covered)
        if not paths or not missing:
            continue
        first = source.copies[0]
        written = one_line(_written(source))
        run = first.instruction == "RUN"
        goes = "is read by this RUN" if run else "goes into the image"
        if missing == len(paths):
            what = f"{written} {goes} but {'is not in' if run else 'not into'} the key"
        else:
            what = f"{written} {goes} but {missing} of its {len(paths)} files are not in the key"
        lines.append(
            f"{first.shown} ({_where(view, first.line)}): {what}; the cached image will not "
            "change when it does. Add it to cache-on, or set cache-on-copied: true."
        )
    return tuple(lines)


@dataclass(frozen=True)
class KeyMisses:
    """What goes into the image but not into the key: a title and its lines (may be none)."""

    title: str
    lines: tuple[str, ...]


def key_misses(
    config: KeyConfig, checkout: Path, manifest: Manifest, *, platform: str
) -> KeyMisses:
    """The uncovered ``COPY``/``ADD`` sources of ``config`` (none with ``cache-on-copied``).

    Lists the context: call it on a miss or from ``ecr-cache checksum``, not on a local hit.
    The reader's own warnings come first (a line it could not follow may hide a source).
    """
    if config.cache_on_copied:
        return KeyMisses("", ())
    view = read_context(config, checkout, platform=platform)
    uncovered = uncovered_sources(view, manifest)
    count = len(uncovered)
    title = (
        f"{count} COPY/ADD source{'s' * (count != 1)} not in the key"
        if count
        else "the Dockerfile could not be read in full"
    )
    return KeyMisses(title, (*view.warnings, *uncovered))


def _written(source: CopiedSource) -> str:
    for copy in source.copies:
        for written in copy.context_sources:
            if written and source.key.split(" --")[0] in (written, written.strip("/") or "."):
                return written
    return source.key


def _where(view: ContextView, line: int) -> str:
    return f"{one_line(view.name)}:{line}"


def _hash_all(
    base: bytes, wanted: Mapping[str, bool], make_hasher: Callable[[], FileHasher]
) -> dict[str, str]:
    """The digest of each path of ``wanted`` (path → is a symlink), each read once.

    One thread: measured on the 2-core bench machine, 2 and 4 threads cost more CPU and no
    less wall time (bench/copied_bench.py).
    """
    hasher = make_hasher()
    return {path: _file_digest(base, path, link, hasher) for path, link in wanted.items()}


def _file_digest(base: bytes, path: str, link: bool, hasher: FileHasher) -> str:
    raw = base + b"/" + path.encode("utf-8", "surrogateescape")
    if link:
        try:
            return _h(b"symlink:" + os.readlink(raw))  # noqa: PTH115  (bytes, as on disk)
        except OSError:
            pass
    # A FIFO or device COPY names is recorded by its kind, never opened (as for cache-on).
    digest, mode = hasher.file_and_mode(raw, "cache-on-copied", path, record_special=True)
    if mode & stat.S_IXUSR:
        return _h(b"exec:" + digest.encode())
    return digest


def _is_file(checkout: Path, relative: str) -> bool:
    try:
        path = os.fsencode(checkout) + b"/" + os.fsencode(relative)
        return stat.S_ISREG(os.stat(path).st_mode)  # noqa: PTH116  (bytes, as on disk)
    except (OSError, ValueError):
        return False


def _read_text(checkout: Path, relative: str, warnings: list[str]) -> str:
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        # O_NONBLOCK and a regular file only: a FIFO put there must not block the job.
        fd = os.open(os.fsencode(checkout) + b"/" + os.fsencode(relative), flags)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                warnings.append(f"cannot read {one_line(relative)}: not a regular file")
                return ""
            data = f.read(4 * MAX_BYTES + 1)
    except OSError as exc:
        warnings.append(f"cannot read {one_line(relative)}: {exc.strerror or exc}")
        return ""
    return data.decode("utf-8", "replace")


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _h(data: bytes) -> str:
    return str(xxhash.xxh3_128_hexdigest(data))
