"""Which files of the build context each ``COPY``/``ADD`` source reads, as Docker resolves them.

Given a :class:`~.dockerfile.DockerfileReading` and the context's ignore patterns,
:func:`copied_sources` lists, for each distinct context source of the needed stages, the files
Docker would copy:

* a source is cleaned as Docker cleans it (``/``-rooted, so ``../x`` is ``x`` and ``.`` is
  the whole context);
* without wildcards it names one path: a file is itself, a directory everything below it;
* with wildcards (``*``, ``?``, ``[…]``, Go's ``filepath.Match`` per path component: ``*``
  matches a leading dot, ``**`` is just ``*``) each matching path counts the same way;
* ``--parents`` sources are dockerignore-style patterns (``**`` included) below an optional
  ``/./`` pivot; ``--exclude`` patterns drop what they match below each copied path;
* what the ignore file excludes is not in the context at all (:mod:`.dockerignore`, walked
  as BuildKit walks it: an excluded directory is skipped unless a ``!`` line may re-include
  something below it).

Symbolic links are copied as links (only a source naming a link to a path inside the context
follows it, as BuildKit does), so a link is listed, never followed. Paths are relative to the
context, ``/``-separated, sorted by their UTF-8 bytes; names are read as bytes and decoded as
UTF-8 with ``surrogateescape``, never through the locale.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from ecr_cache_tui.cachekey.dockerfile import Copy, DockerfileReading
from ecr_cache_tui.cachekey.dockerignore import Ignore, compile_ignore

__all__ = ["CopiedFile", "CopiedSource", "copied_sources", "source_key"]


@dataclass(frozen=True)
class CopiedFile:
    """One file a source reads: ``path`` relative to the context, ``link`` for a symlink."""

    path: str
    link: bool = False


@dataclass(frozen=True)
class CopiedSource:
    """One distinct context source and the files it reads.

    Attributes:
        key: the source as cleaned, with ``--parents``/``--exclude`` when set (the manifest's
            name for it).
        copies: the instructions that read it, in file order.
        files: what it reads, sorted.
        found: whether the source named something in the context (a missing path fails
            Docker's build; a wildcard matching nothing does not).
    """

    key: str
    copies: tuple[Copy, ...]
    files: tuple[CopiedFile, ...]
    found: bool


def source_key(copy: Copy, source: str) -> str:
    """How a source of ``copy`` is named in the manifest: cleaned, with the flags that matter."""
    key = _clean(source) or "."
    if copy.parents:
        key += " --parents"
    for pattern in copy.excludes:
        key += f" --exclude={pattern}"
    return key


def copied_sources(
    context: bytes, reading: DockerfileReading, ignore: Ignore, *, mounts: bool = False
) -> tuple[tuple[CopiedSource, ...], tuple[str, ...]]:
    """The files each context source of ``reading`` reads in ``context``, and warnings.

    With ``mounts``, the context bind mounts of ``RUN`` count too (after the copies).
    """
    walker = _Context(context, ignore)
    order: list[str] = []
    by_key: dict[str, list[tuple[Copy, str]]] = {}
    for copy in (*reading.copies, *(reading.mounts if mounts else ())):
        for source in copy.context_sources:
            key = source_key(copy, source)
            if key not in by_key:
                order.append(key)
                by_key[key] = []
            by_key[key].append((copy, source))
    results: list[CopiedSource] = []
    for key in order:
        copy, source = by_key[key][0]
        files, found = walker.resolve(copy, source)
        ordered = tuple(
            sorted(files.values(), key=lambda f: f.path.encode("utf-8", "surrogateescape"))
        )
        results.append(CopiedSource(key, tuple(c for c, _ in by_key[key]), ordered, found))
    return tuple(results), tuple(walker.warnings)


def _clean(source: str) -> str:
    cleaned = posixpath.normpath("/" + source).lstrip("/")
    return "" if cleaned == "." else cleaned


def _has_wildcards(text: str) -> bool:
    i = 0
    while i < len(text):
        if text[i] in "*?[":
            return True
        i += 2 if text[i] == "\\" else 1
    return False


def _decode(name: bytes) -> str:
    return name.decode("utf-8", "surrogateescape")


def _encode(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


Info = tuple[bool, ...] | None


class _Context:
    """The context directory as Docker sees it once the ignore file has filtered it."""

    def __init__(self, root: bytes, ignore: Ignore) -> None:
        self.root = root.rstrip(b"/") or b"/"
        self.ignore = ignore
        self.filtering = bool(ignore.patterns)
        self.exclusions = ignore.exclusions
        self.warnings: list[str] = []
        self._infos: dict[str, tuple[bool, Info]] = {"": (False, None)}

    def absolute(self, rel: str) -> bytes:
        return self.root + b"/" + _encode(rel) if rel else self.root

    def state(self, rel: str) -> tuple[bool, Info]:
        """Whether ``rel`` is excluded, and the match info to pass to its children."""
        known = self._infos.get(rel)
        if known is not None:
            return known
        if not self.filtering:
            return (False, None)
        missing = [rel]  # walk up to a known directory, then down again (no recursion)
        while (parent := missing[-1].rpartition("/")[0]) not in self._infos:
            missing.append(parent)
        info = self._infos[parent][1]
        result: tuple[bool, Info] = (False, None)
        for path in reversed(missing):
            result = self.ignore.match(path, info)
            self._infos[path] = result
            info = result[1]
        return result

    def hidden(self, rel: str) -> bool:
        """Whether the ignore file keeps ``rel`` (or a directory above it) out of the context."""
        if not self.filtering or not rel:
            return False
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            if self.state("/".join(parts[:depth]))[0] and not self.exclusions:
                return True
        return self.state(rel)[0]

    def resolve(self, copy: Copy, source: str) -> tuple[dict[str, CopiedFile], bool]:
        if copy.parents:
            files = self._parents(source)
        elif _has_wildcards(source):
            files = {}
            for rel in self._glob(_clean(source)):
                files.update(self._below(rel))
        else:
            files = self._below(self._follow(_clean(source)))
            if not files and not self._exists(_clean(source)):
                return {}, False
        if copy.excludes:
            files = _exclude(files, source, copy.excludes)
        return files, True

    def _exists(self, rel: str) -> bool:
        if self.hidden(rel):
            return False
        try:
            os.lstat(self.absolute(rel))
        except OSError:
            return False
        return True

    def _follow(self, rel: str) -> str:
        """A source naming a symlink to a path inside the context is that path (BuildKit)."""
        path = self.absolute(rel)
        try:
            if not rel or not stat.S_ISLNK(os.lstat(path).st_mode):
                return rel
        except OSError:
            return rel
        real = os.path.realpath(path)
        root = os.path.realpath(self.root)
        if real == root:
            return ""
        if real.startswith(root + b"/"):
            return _decode(real[len(root) + 1 :])
        return rel

    def _below(self, rel: str) -> dict[str, CopiedFile]:
        """``rel`` itself when a file or link, everything below it when a directory."""
        if self.hidden(rel) and not (self.exclusions and self._is_dir(rel)):
            return {}
        try:
            mode = os.lstat(self.absolute(rel)).st_mode
        except OSError:
            return {}
        if stat.S_ISDIR(mode):
            return {f.path: f for f in self._walk(rel)}
        if self.hidden(rel):
            return {}
        return {rel: CopiedFile(rel, stat.S_ISLNK(mode))}

    def _is_dir(self, rel: str) -> bool:
        try:
            return stat.S_ISDIR(os.lstat(self.absolute(rel)).st_mode)
        except OSError:
            return False

    def _walk(self, top: str) -> Iterator[CopiedFile]:
        """Every file below the directory ``top`` that the ignore file leaves in the context."""
        stack: list[tuple[str, Info]] = [(top, self.state(top)[1] if top else None)]
        match = self.ignore.match
        filtering, exclusions = self.filtering, self.exclusions
        while stack:
            directory, info = stack.pop()
            try:
                entries = os.scandir(self.absolute(directory))
            except OSError as exc:
                self.warnings.append(f"cannot list {directory or '.'}: {exc.strerror or exc}")
                continue
            with entries:
                for entry in entries:
                    rel = _join(directory, _decode(entry.name))
                    excluded, child_info = match(rel, info) if filtering else (False, None)
                    if entry.is_dir(follow_symlinks=False):
                        if not excluded or exclusions:
                            stack.append((rel, child_info))
                    elif not excluded:
                        yield CopiedFile(rel, entry.is_symlink())

    def _glob(self, pattern: str) -> list[str]:
        """Paths matching ``pattern`` component by component (Go's ``filepath.Glob``)."""
        current = [""]
        for component in pattern.split("/"):
            following: list[str] = []
            literal = not _has_wildcards(component)
            for directory in current:
                if literal:
                    rel = _join(directory, component.replace("\\", ""))
                    if self._exists(rel):
                        following.append(rel)
                    continue
                following.extend(self._matching(directory, component))
            current = following
        return current

    def _matching(self, directory: str, component: str) -> list[str]:
        if directory and not self._is_dir(directory):
            return []
        try:
            with os.scandir(self.absolute(directory)) as entries:
                names = [_decode(e.name) for e in entries]
        except OSError:
            return []
        out = []
        for name in sorted(names):
            rel = _join(directory, name)
            if go_match(component, name) and not self._invisible(rel):
                out.append(rel)
        return out

    def _invisible(self, rel: str) -> bool:
        if not self.hidden(rel):
            return False
        return not (self.exclusions and self._is_dir(rel) and any(True for _ in self._walk(rel)))

    def _parents(self, source: str) -> dict[str, CopiedFile]:
        parent, pivot, pattern = source.partition("/./")
        if not pivot:
            parent, pattern = "", source
        root = _clean(parent)
        include = compile_ignore([_clean(pattern) or "."])
        files: dict[str, CopiedFile] = {}
        for item in self._below(root).values():
            inner = item.path[len(root) + 1 :] if root else item.path
            if include.excluded(inner):  # "excluded" here: the include pattern matches
                files[item.path] = item
        return files


def _exclude(
    files: dict[str, CopiedFile], source: str, patterns: tuple[str, ...]
) -> dict[str, CopiedFile]:
    """Drop what ``--exclude`` matches, relative to each copied directory (or the file's name)."""
    exclude = compile_ignore(list(patterns))
    base = _clean(source)
    kept: dict[str, CopiedFile] = {}
    for path, item in files.items():
        if base and (path == base or _has_wildcards(base)):
            relative = posixpath.basename(path)
        elif base:
            relative = path[len(base) + 1 :]
        else:
            relative = path
        if not exclude.excluded(relative):
            kept[path] = item
    return kept


def go_match(pattern: str, name: str) -> bool:
    """Go's ``filepath.Match`` for one path component: ``*``, ``?``, ``[^a-z]``, ``\\x``.

    Go's algorithm: each ``*`` is followed by a fixed-length chunk placed at its leftmost
    match, so at most ``len(pattern) * len(name)`` steps, never exponential.
    """
    while pattern:
        star = pattern.startswith("*")
        pattern = pattern.lstrip("*")
        chunk, pattern = _chunk(pattern)
        if star and not chunk:
            return "/" not in name
        rest = _match_chunk(chunk, name)
        if rest is not None and (not rest or pattern):
            name = rest
            continue
        if not star:
            return False
        for i in range(len(name)):
            if name[i] == "/":
                return False
            rest = _match_chunk(chunk, name[i + 1 :])
            if rest is not None and (not rest or pattern):
                name = rest
                break
        else:
            return False
    return name == ""


def _chunk(pattern: str) -> tuple[str, str]:
    """The pattern up to the next unescaped ``*`` outside a class."""
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "*" and not in_class:
            break
        i += 1
    return pattern[:i], pattern[i:]


def _match_chunk(chunk: str, s: str) -> str | None:
    """What is left of ``s`` after ``chunk`` matched its start, else ``None``."""
    i = 0
    while i < len(chunk):
        if not s:
            return None
        ch = chunk[i]
        if ch == "[":
            end, ok = _match_class(chunk, i + 1, s[0])
            if not ok:
                return None
            i, s = end, s[1:]
            continue
        if ch == "?":
            if s[0] == "/":
                return None
            i, s = i + 1, s[1:]
            continue
        if ch == "\\" and i + 1 < len(chunk):
            i += 1
            ch = chunk[i]
        if s[0] != ch:
            return None
        i, s = i + 1, s[1:]
    return s


def _match_class(chunk: str, i: int, ch: str) -> tuple[int, bool]:
    negated = chunk.startswith("^", i)
    i += negated
    matched = False
    first = True
    while i < len(chunk) and (chunk[i] != "]" or first):
        first = False
        lo = chunk[i]
        if lo == "\\" and i + 1 < len(chunk):
            i += 1
            lo = chunk[i]
        i += 1
        hi = lo
        if i + 1 < len(chunk) and chunk[i] == "-" and chunk[i + 1] != "]":
            hi = chunk[i + 1]
            if hi == "\\" and i + 2 < len(chunk):
                hi = chunk[i + 2]
                i += 1
            i += 2
        if lo <= ch <= hi:
            matched = True
    return i + 1, matched != negated
