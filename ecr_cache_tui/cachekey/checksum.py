"""The cache tag: an XXH3-128 checksum of everything that defines the image (SPEC §3).

:func:`compute` is pure apart from reading the checkout: it prints nothing, asks no daemon
(the caller passes the platform; :func:`resolve_platform` is the one place that asks) and
returns the tag with its inputs manifest and the warnings for people.

Serialisation, version 1
------------------------

``F(b)`` frames bytes ``b`` as its length (8 bytes, big-endian) followed by ``b``;
``H(b)`` is the lower-case hex XXH3-128 (seed 0) of ``b``. Text is UTF-8; paths are the bytes
on disk, ``/``-separated, relative to the checkout.

Each input is an entry ``(kind, name, digest)`` with ``digest = H(value)``:

==========================  ======================  ============================================
kind                        name                    value
==========================  ======================  ============================================
``dockerfile``              path of the Dockerfile  its content
``dockerfile-inline``       ``inline``              the text
``context``                 the context path        the context path
``target`` (when set)       the target              the target
``platform``                the platform            the platform
``build-arg`` (each)        ``NAME``                ``NAME=value``
``additional-build-args``   the string as written   the string as written
``cache-on`` (each)         the entry as written    ``F(status)`` then ``F(path) F(H(content))``
                                                    per file in byte order
``copied`` (each, with      the source, cleaned     see :mod:`.copied_inputs`
``cache-on-copied``)
``base-image`` (each)       the ``FROM`` reference  ``digest\0<manifest digest>``, or
                                                    ``reference\0<reference>`` when unresolved
==========================  ======================  ============================================

``base-image`` entries exist only with ``base-image-digests`` (after every other input, in the
order the stages built name them; see :mod:`.baseimages`): without the option the entries,
and so the tag, are what they were before the kind existed, and the version stays 1.

``status`` is ``files``, ``no-match`` or ``directories-only``. With a JSON selector
(``file.json#.a.b``) a file's ``H(content)`` is ``H(canonical JSON of the selected value)``.
A dangling symlink is hashed as ``H("symlink:" + its target)``. A match that is not a regular
file (a FIFO, a socket, a character or block device) is hashed as ``H("special:" + its kind)``
(``fifo``, ``socket``, ``char-device``, ``block-device``) and never opened: opening a FIFO can
block, opening a device can act on it. The Dockerfile and a selector's JSON file must be
regular files (anything else is a configuration error, found before anything is opened).

The tag is ``H(F("ecr-cache-tui checksum") F("1") F(kind) F(name) F(digest) …)`` over the
entries in SPEC §3's order, so it can be recomputed from a manifest (:func:`tag_of`) and no
two different input lists frame to the same bytes. A future serialisation bumps the version.
File contents are hashed in 1 MiB chunks, so a 50 MB lock file is never held in memory whole.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xxhash

from ecr_cache_tui import boundedjson
from ecr_cache_tui.cachekey.globbing import (
    MAX_MATCHES,
    Match,
    TooManyMatches,
    compile_pattern,
    escape,
    expand,
)
from ecr_cache_tui.cachekey.inputs import (
    ADDITIONAL_BUILD_ARGS,
    BUILD_ARG,
    CACHE_ON,
    CONTEXT,
    DOCKERFILE,
    DOCKERFILE_INLINE,
    PLATFORM,
    TARGET,
    FileDigest,
    InputEntry,
    Manifest,
)
from ecr_cache_tui.cachekey.jsonselect import Selector, canonical_json, parse_selector, split_entry
from ecr_cache_tui.cachekey.keyconfig import check_platform
from ecr_cache_tui.errors import ConfigError
from ecr_cache_tui.records import Record
from ecr_cache_tui.text import show

if TYPE_CHECKING:
    from ecr_cache_tui.cachekey.baseimages import BaseImage
    from ecr_cache_tui.cachekey.keyconfig import KeyConfig

__all__ = ["ALGORITHM", "VERSION", "ChecksumResult", "compute", "resolve_platform", "tag_of"]

VERSION = 1
ALGORITHM = "xxh3-128"
_DOMAIN = b"ecr-cache-tui checksum"
_CHUNK = 1 << 20
#: Bytes of a selector's JSON file read at most (a big lock file is a few tens of MiB).
MAX_SELECTOR_FILE = 256 << 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_SPECIAL = (
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "char-device"),
    (stat.S_ISBLK, "block-device"),
)


class ChecksumResult(Record):
    """The tag (``manifest.tag``), its inputs, and what people should be warned about."""

    manifest: Manifest
    warnings: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        """The cache tag: 32 lower-case hex characters."""
        return self.manifest.tag


def resolve_platform(config: KeyConfig, daemon_platform: Callable[[], str]) -> str:
    """The platform to hash and build for: the option, else the Docker daemon's own.

    ``daemon_platform`` is only called when the option is not set (it may be a remote call).

    Raises:
        ConfigError: the daemon reports a platform that is not ``os/arch[/variant]``.
    """
    if config.platform is not None:
        return config.platform
    return check_platform("platform (from the Docker daemon)", daemon_platform())


def compute(
    config: KeyConfig,
    checkout: Path,
    *,
    platform: str,
    base_images: Sequence[BaseImage] = (),
) -> ChecksumResult:
    """Compute the cache tag of ``config`` in ``checkout`` for ``platform``.

    ``base_images`` are the build's base images as the caller resolved them
    (``base-image-digests``; :mod:`ecr_cache_tui.hook.baseimages`), each one input.

    Raises:
        ConfigError: a file the configuration names cannot be read (the Dockerfile, a JSON
            file of a ``cache-on`` selector, an unreadable match), or JSON that is invalid.
    """
    check_platform("platform", platform)
    entries: list[InputEntry] = []
    warnings: list[str] = []
    hasher = _Hasher()
    if config.dockerfile_inline is not None:
        text = config.dockerfile_inline
        entries.append(
            InputEntry(DOCKERFILE_INLINE, "inline", _h(text.encode()), note=_lines(text))
        )
    else:
        path = config.dockerfile or "Dockerfile"
        digest = hasher.file(_on_disk(checkout, path), "dockerfile", path)
        entries.append(InputEntry(DOCKERFILE, path, digest))
    entries.append(InputEntry(CONTEXT, config.context, _h(config.context.encode())))
    if config.target is not None:
        entries.append(InputEntry(TARGET, config.target, _h(config.target.encode())))
    entries.append(InputEntry(PLATFORM, platform, _h(platform.encode())))
    for arg in config.build_args:
        note = ""
        if arg.unset:
            note = "unset in environment"
            warnings.append(f"build arg {arg.name} is not set in the environment: hashed as empty")
        elif arg.from_env:
            note = "from environment"
        value = f"{arg.name}={arg.value}".encode("utf-8", "surrogateescape")
        literal = None if arg.from_env else arg.value  # never a value from the environment
        entries.append(InputEntry(BUILD_ARG, arg.name, _h(value), note=note, value=literal))
    if config.additional_build_args_raw:
        raw = config.additional_build_args_raw
        entries.append(InputEntry(ADDITIONAL_BUILD_ARGS, raw, _h(raw.encode())))
    for entry in config.cache_on:
        cache_entry, warning = _cache_on(checkout, entry, hasher)
        entries.append(cache_entry)
        if warning:
            warnings.append(warning)
    if config.cache_on_copied:
        # lazy: imported here: a configuration without the option never loads the reader.
        from ecr_cache_tui.cachekey.copied_inputs import (  # noqa: PLC0415
            copied_entries,
            read_context,
        )

        view = read_context(config, checkout, platform=platform)
        copied, missing = copied_entries(view, checkout, _Hasher)
        entries.extend(copied)
        warnings.extend((*view.warnings, *missing))
    if base_images:
        # lazy: base images are inputs only with base-image-digests (not on a plain local hit)
        from ecr_cache_tui.cachekey.baseimages import base_image_entry  # noqa: PLC0415

        entries.extend(base_image_entry(image) for image in base_images)
    frozen = tuple(entries)
    manifest = Manifest(tag=tag_of(frozen), entries=frozen, version=VERSION, algorithm=ALGORITHM)
    return ChecksumResult(manifest, tuple(warnings))


def tag_of(entries: Iterable[InputEntry], version: int = VERSION) -> str:
    """The tag of a list of entries (what :func:`compute` returns as ``manifest.tag``)."""
    if version != VERSION:
        raise ValueError(f"checksum version {version} is not known (this is {VERSION})")
    h = xxhash.xxh3_128()
    h.update(_frame(_DOMAIN))
    h.update(_frame(str(version).encode()))
    for entry in entries:
        h.update(_frame(entry.kind.encode()))
        h.update(_frame(entry.name.encode("utf-8", "surrogateescape")))
        h.update(_frame(entry.digest.encode()))
    return str(h.hexdigest())


def _cache_on(checkout: Path, entry: str, hasher: _Hasher) -> tuple[InputEntry, str]:
    pattern_text, selector_text = split_entry(entry)
    pattern = compile_pattern(pattern_text)
    selector = parse_selector(selector_text) if selector_text is not None else None
    try:
        matches = expand(checkout, pattern)
    except TooManyMatches as exc:
        raise ConfigError(
            f"cache-on: {show(entry)} is not valid: {exc}; expected a pattern that matches at "
            f"most {MAX_MATCHES} paths",
            option="cache-on",
        ) from exc
    for match in matches:
        link = escape(checkout, match)
        if link is not None:
            raise ConfigError(
                f"cache-on: {show(entry)} is not valid: its match {show(match.path)} resolves "
                f"outside the checkout through the symlink {link}; expected patterns whose "
                "matches stay inside the checkout",
                option="cache-on",
            )
    files = [m for m in matches if not m.is_dir]
    if selector is not None and pattern.is_literal and not matches:
        raise ConfigError(
            f"cache-on: {entry}: no such file {pattern_text!r} in the checkout",
            option="cache-on",
        )
    digests = tuple(
        FileDigest(m.path, _match_digest(checkout, m, selector, entry, hasher)) for m in files
    )
    if files:
        status, note, warning = b"files", f"{len(files)} file{'s' * (len(files) != 1)}", ""
    elif matches:
        status, note = b"directories-only", "directories only"
        warning = f"cache-on {entry!r} matches only directories: no file is hashed"
    else:
        status, note = b"no-match", "no match"
        warning = f"cache-on {entry!r} matches nothing (a file appearing there changes the tag)"
    h = xxhash.xxh3_128()
    h.update(_frame(status))
    for item in digests:
        h.update(_frame(item.path.encode("utf-8", "surrogateescape")))
        h.update(_frame(item.digest.encode()))
    return InputEntry(CACHE_ON, entry, str(h.hexdigest()), files=digests, note=note), warning


def _match_digest(
    checkout: Path, match: Match, selector: Selector | None, entry: str, hasher: _Hasher
) -> str:
    path = _on_disk(checkout, match.path)
    if selector is None:
        return hasher.file(path, "cache-on", match.path, record_special=True)
    document = _read_json(path, entry, match.path)
    try:
        return _h(canonical_json(selector.select(document)))
    except ValueError as exc:  # NaN or Infinity: not JSON, though Python's parser allows them
        raise ConfigError(
            f"cache-on: {entry}: {match.path} is not valid JSON ({exc})", option="cache-on"
        ) from exc


def _read_json(path: bytes, entry: str, shown: str) -> Any:
    where = f"cache-on: {entry}"
    fd = _open_regular(path, where, shown, "cache-on")
    try:
        with os.fdopen(fd, "rb") as f:
            data = f.read(MAX_SELECTOR_FILE + 1)
    except OSError as exc:
        raise _unreadable(where, shown, exc, "cache-on") from exc
    try:
        return boundedjson.loads(data, max_chars=MAX_SELECTOR_FILE, max_depth=None)
    except boundedjson.JsonError as exc:
        raise ConfigError(f"{where}: {shown} is not valid JSON ({exc})", option="cache-on") from exc


def _open_regular(
    raw: bytes, where: str, shown: str, option: str, *, mode: int | None = None
) -> int:
    """An open descriptor of ``raw``, a regular file; a ConfigError for anything else.

    The kind is checked before opening (a device is never opened; ``mode`` is a ``stat`` the
    caller already made) and again on the descriptor (the name may have been replaced in
    between; ``O_NONBLOCK``: a FIFO put there meanwhile opens at once, without a writer).
    ``where`` starts the message (``dockerfile``, ``cache-on: x.json#.a``).
    """
    try:
        if mode is None:
            mode = os.stat(raw).st_mode  # noqa: PTH116  (bytes paths: no Path objects)
        kind = _special(mode)
        if kind is None:
            fd = os.open(raw, _OPEN_FLAGS)
            kind = _special(os.fstat(fd).st_mode)
            if kind is None:
                return fd
            os.close(fd)
    except OSError as exc:
        raise _unreadable(where, shown, exc, option) from exc
    raise ConfigError(
        f"{where}: {shown} is a {kind}, not a regular file; expected a regular file",
        option=option,
    )


def _special(mode: int) -> str | None:
    """``None`` for a regular file, else what it is (``fifo``, ``directory``, …)."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in _SPECIAL:
        if test(mode):
            return kind
    return "directory" if stat.S_ISDIR(mode) else "special file"


class _Hasher:
    """Hashes files in 1 MiB chunks through one reused buffer."""

    def __init__(self) -> None:
        self._buffer = bytearray(_CHUNK)
        self._view = memoryview(self._buffer)

    def file(self, raw: bytes, option: str, shown: str, *, record_special: bool = False) -> str:
        """The digest of ``raw``'s content (of its target text, for a dangling symlink).

        Args:
            raw: the path's bytes.
            option: the option named in an error.
            shown: the path as shown in an error.
            record_special: a FIFO, socket or device is hashed as its kind, never opened
                (else it is a ConfigError).
        """
        return self.file_and_mode(raw, option, shown, record_special=record_special)[0]

    def file_and_mode(
        self, raw: bytes, option: str, shown: str, *, record_special: bool = False
    ) -> tuple[str, int]:
        """:meth:`file`, and the file's mode (0 for a dangling symlink)."""
        try:
            mode = os.stat(raw).st_mode  # noqa: PTH116  (bytes paths: no Path objects)
        except FileNotFoundError as exc:
            try:
                return _h(b"symlink:" + os.readlink(raw)), 0  # noqa: PTH115  (bytes, as on disk)
            except OSError:
                raise _unreadable(option, shown, exc, option) from exc
        except OSError as exc:
            raise _unreadable(option, shown, exc, option) from exc
        kind = _special(mode)
        if record_special and kind is not None and kind != "directory":
            return _h(b"special:" + kind.encode()), mode
        fd = _open_regular(raw, option, shown, option, mode=mode)
        try:
            h = xxhash.xxh3_128()
            while n := os.readv(fd, [self._buffer]):
                h.update(self._view[:n])
            return str(h.hexdigest()), mode
        except OSError as exc:
            raise _unreadable(option, shown, exc, option) from exc
        finally:
            os.close(fd)


def _unreadable(where: str, shown: str, exc: OSError, option: str) -> ConfigError:
    return ConfigError(f"{where}: cannot read {shown}: {exc.strerror or exc}", option=option)


def _on_disk(checkout: Path, relative: str) -> bytes:
    """The path's bytes, joined without the locale: matched names are UTF-8 (surrogateescape)."""
    return os.fsencode(checkout) + b"/" + relative.encode("utf-8", "surrogateescape")


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _h(data: bytes) -> str:
    return str(xxhash.xxh3_128_hexdigest(data))


def _lines(text: str) -> str:
    count = len(text.splitlines())
    return f"{count} line{'s' * (count != 1)}"
