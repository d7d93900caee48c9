"""``cache-on`` patterns: bash ``globstar`` semantics, without bash, and fast on big trees.

The model is ``bash -O globstar -O nullglob`` with ``dotglob`` off in a UTF-8 locale (SPEC §3):

* ``*``, ``?`` and ``[…]`` (``!``/``^`` negation, ranges by code point, ``[:alpha:]``-style
  classes) stay within one path component; ``\\x`` escapes ``x``.
* ``**`` as a whole component matches zero or more directories. As the last component it
  matches everything below (and the directory it starts from, as bash prints ``a/`` for
  ``a/**``). It never descends into a symlinked directory, though it lists the link itself.
* A wildcard never matches a leading ``.``: the pattern component must start with a literal
  ``.`` (``.*``, ``.github``). ``**`` does not enter hidden directories.
* Other components follow symlinks, as bash does (``*/x`` finds ``link/x``).
* A trailing ``/`` matches directories only. ``.`` components and repeated slashes are dropped;
  ``..`` and absolute patterns are refused (a pattern must stay inside the checkout).
* Unreadable directories are skipped, as bash skips them.
* An expansion is bounded: more than :data:`MAX_MATCHES` matches, or more than
  :data:`MAX_WALKED` directory entries looked at, raises :class:`TooManyMatches` (a ``**``
  over a huge tree, or one a build filled on purpose, must not take the host's memory).
* A match reached through a symlink (the match itself or a directory on its way) is marked
  ``linked``; :func:`escape` says whether such a match resolves outside the root, and names
  the link. Only linked matches are resolved, so a tree without links costs nothing more.

Matching works on the names' bytes decoded as UTF-8 (undecodable bytes kept by
``surrogateescape``), never on the process locale, so results do not depend on ``LC_ALL``.
Results are sorted by their UTF-8 bytes (bash sorts by locale collation: the set is the same).

Speed comes from walking only where a pattern can match: literal components are looked up
directly (one ``lstat``, no directory listing), and ``**`` lists each directory once with
:func:`os.scandir`, reusing that listing for the component after it.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from ecr_cache_tui.records import Record

__all__ = [
    "MAX_MATCHES",
    "MAX_WALKED",
    "Match",
    "Pattern",
    "PatternError",
    "TooManyMatches",
    "compile_pattern",
    "escape",
    "expand",
    "has_magic",
]


#: Paths one pattern may match at most.
MAX_MATCHES = 1_000_000
#: Directory entries one expansion may look at, at most (a ``**`` over a tree of files that
#: do not match still costs a look at each).
MAX_WALKED = 5_000_000


class PatternError(ValueError):
    """A pattern that is not allowed (absolute, escaping with ``..``, or empty)."""


class TooManyMatches(PatternError):
    """An expansion went over :data:`MAX_MATCHES` matches or :data:`MAX_WALKED` entries."""


class Match(Record):
    """One path a pattern matched: ``path`` is relative to the root, ``/``-separated.

    ``linked``: a symlink is on the way (the path itself or one of its directories).
    """

    # One per file matched: slots and an __init__ of its own (see ecr_cache_tui.records).
    __slots__ = ("is_dir", "linked", "path")
    path: str
    is_dir: bool
    linked: bool

    def __init__(self, path: str, is_dir: bool, linked: bool = False) -> None:
        self._set("path", path)
        self._set("is_dir", is_dir)
        self._set("linked", linked)

    @property
    def path_bytes(self) -> bytes:
        """The path's bytes on disk (what is hashed and sorted)."""
        return self.path.encode("utf-8", "surrogateescape")


class _Literal(Record):
    name: str
    raw: bytes


class _Wild(Record):
    """A component with wildcards, matched in time linear in the name (see :class:`_Glob`)."""

    glob: _Glob
    allow_hidden: bool


class _GlobStar:
    """``**``: any number of directories (all alike)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _GlobStar)

    def __hash__(self) -> int:
        return hash(_GlobStar)


_Part = _Literal | _Wild | _GlobStar


class Pattern(Record):
    """A compiled pattern: ``text`` as written, its components, and ``dirs_only`` for ``…/``."""

    text: str
    parts: tuple[_Part, ...]
    dirs_only: bool

    @property
    def is_literal(self) -> bool:
        """True when no component has a wildcard: the pattern names one path."""
        return all(isinstance(p, _Literal) for p in self.parts)


# ASCII definitions except where bash in a UTF-8 locale is Unicode-aware (alpha, alnum, word).
_CLASSES = {
    "alpha": r"[^\W\d_]",
    "alnum": r"[^\W_]",
    "word": r"\w",
    "digit": r"[0-9]",
    "upper": r"[A-Z]",
    "lower": r"[a-z]",
    "space": r"[ \t\n\r\f\v]",
    "blank": r"[ \t]",
    "punct": r"[!-/:-@\[-`{-~]",
    "xdigit": r"[0-9A-Fa-f]",
    "cntrl": r"[\x00-\x1f\x7f]",
    "print": r"[\x20-\x7e]",
    "graph": r"[\x21-\x7e]",
}


def has_magic(component: str) -> bool:
    """True when ``component`` holds an unescaped wildcard that bash would expand."""
    i = 0
    while i < len(component):
        ch = component[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "*?":
            return True
        if ch == "[" and _bracket(component, i) is not None:
            return True
        i += 1
    return False


def compile_pattern(text: str) -> Pattern:
    """Compile one ``cache-on`` pattern.

    Raises:
        PatternError: the pattern is empty, absolute, or uses ``..``.
    """
    if not text:
        raise PatternError("an empty pattern matches nothing")
    if text.startswith("/"):
        raise PatternError("an absolute path is outside the checkout")
    dirs_only = text.endswith("/")
    parts: list[_Part] = []
    for component in text.split("/"):
        if component in ("", "."):
            continue
        if component == "..":
            raise PatternError('".." would leave the checkout')
        if component == "**":
            if parts and isinstance(parts[-1], _GlobStar):
                continue  # `**/**` means the same as `**`
            parts.append(_GlobStar())
        elif has_magic(component):
            allow_hidden = component.startswith(".") or component.startswith("\\.")
            parts.append(_Wild(_Glob.compile(component), allow_hidden))
        else:
            name = _unescape(component)
            parts.append(_Literal(name, name.encode("utf-8", "surrogateescape")))
    if not parts:
        raise PatternError("the pattern names the checkout itself")
    return Pattern(text, tuple(parts), dirs_only)


def expand(root: Path, pattern: Pattern) -> list[Match]:
    """Every path under ``root`` that ``pattern`` matches, sorted by UTF-8 bytes, no duplicates."""
    found: dict[str, tuple[bool, bool]] = {}
    _Expander(os.fsencode(root), pattern, found).at(b"", "", 0, None, False)
    return [
        Match(path, is_dir, linked)
        for path, (is_dir, linked) in sorted(
            found.items(), key=lambda item: item[0].encode("utf-8", "surrogateescape")
        )
    ]


def escape(root: Path, match: Match) -> str | None:
    """``link -> target`` when ``match`` resolves outside ``root`` through a symlink, else None.

    The link named is the first one on the path whose resolution leaves the root (a dangling
    link counts by where it points).
    """
    if not match.linked:
        return None
    base = os.path.realpath(root)
    raw = os.fsencode(root)
    if _inside(base, os.path.realpath(raw + b"/" + match.path_bytes)):
        return None
    parts = match.path_bytes.split(b"/")
    for i in range(len(parts)):
        here = raw + b"/" + b"/".join(parts[: i + 1])
        if os.path.islink(here) and not _inside(base, os.path.realpath(here)):  # noqa: PTH114
            shown = b"/".join(parts[: i + 1]).decode("utf-8", "surrogateescape")
            target = os.readlink(here).decode("utf-8", "surrogateescape")  # noqa: PTH115
            return f"{shown} -> {target}"
    return match.path  # pragma: no cover  (realpath left the root, so some link did)


def _inside(base: str | bytes, real: str | bytes) -> bool:
    base_b = os.fsencode(base)
    real_b = os.fsencode(real)
    return real_b == base_b or real_b.startswith(base_b.rstrip(b"/") + b"/")


class _Expander:
    """One expansion: walks from ``root`` and records matches into ``found`` (path → is_dir)."""

    def __init__(self, root: bytes, pattern: Pattern, found: dict[str, tuple[bool, bool]]) -> None:
        self.root = root
        self.parts = pattern.parts
        self.dirs_only = pattern.dirs_only
        self.found = found
        self.walked = 0

    def at(
        self,
        rel: bytes,
        rel_text: str,
        i: int,
        listing: list[os.DirEntry[bytes]] | None,
        linked: bool,
    ) -> None:
        """Match ``parts[i:]`` inside the directory ``rel`` (whose listing may be known);
        ``linked``: ``rel`` was reached through a symlink."""
        part = self.parts[i]
        last = i == len(self.parts) - 1
        if isinstance(part, _Literal):
            self._literal(rel, rel_text, i, part, linked=linked)
        elif isinstance(part, _Wild):
            entries = listing if listing is not None else self._list(rel)
            for entry in entries:
                name = entry.name
                if name[:1] == b"." and not part.allow_hidden:
                    continue
                text = name.decode("utf-8", "surrogateescape")
                if not part.glob.matches(text):
                    continue
                child, child_text = _join(rel, rel_text, name, text)
                is_dir = _entry_is_dir(entry)
                child_linked = linked or _is_link(entry)
                if last:
                    self._emit(child_text, is_dir, child_linked)
                elif is_dir:
                    self.at(child, child_text, i + 1, None, child_linked)
        elif last:
            self._globstar_tail(rel, rel_text, linked)
        elif i + 2 == len(self.parts):
            last_part = self.parts[i + 1]
            assert not isinstance(last_part, _GlobStar)  # `**/**` was folded into one
            self._globstar_then(rel, last_part, linked)
        else:
            for sub, sub_text, sub_listing in self._walk(rel, rel_text):
                self.at(sub, sub_text, i + 1, sub_listing, linked)

    def _globstar_then(self, rel: bytes, part: _Literal | _Wild, linked: bool) -> None:
        """``**/<last>`` (``**/package.json``): one pass, each name matched as it goes by.

        The common case of a monorepo, so it lists no directory twice, builds no lists and
        decodes no name it does not need to.
        """
        literal = part.raw if isinstance(part, _Literal) else None
        glob = part.glob if isinstance(part, _Wild) else None
        allow_hidden = isinstance(part, _Wild) and part.allow_hidden
        stack = [(self._abs(rel), rel)]
        while stack:
            here, here_rel = stack.pop()
            try:
                it = os.scandir(here)
            except OSError:
                continue  # unreadable: bash skips it too
            with it:
                for entry in it:
                    self.walked += 1
                    name = entry.name
                    hidden = name[:1] == b"."
                    if literal is not None:
                        hit = name == literal
                    else:
                        assert glob is not None
                        hit = (allow_hidden or not hidden) and glob.matches(
                            name.decode("utf-8", "surrogateescape")
                        )
                    if hit:
                        child = here_rel + b"/" + name if here_rel else name
                        self._emit(
                            child.decode("utf-8", "surrogateescape"),
                            _entry_is_dir(entry),
                            linked or _is_link(entry),
                        )
                    if not hidden and _is_real_dir(entry):
                        stack.append((entry.path, here_rel + b"/" + name if here_rel else name))
            self._count(0)

    def _literal(self, rel: bytes, rel_text: str, i: int, part: _Literal, *, linked: bool) -> None:
        last = i == len(self.parts) - 1
        child, child_text = _join(rel, rel_text, part.raw, part.name)
        path = self._abs(child)
        try:
            # lstat first (one call, as stat would be) to know whether a link is on the way.
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                linked = True
                try:
                    st = os.stat(path)  # noqa: PTH116  (bytes paths: no Path objects)
                except OSError:
                    # A dangling symlink still "exists" for bash's expansion of a last component.
                    if last and not self.dirs_only:
                        self._emit(child_text, False, True)
                    return
        except OSError:
            return
        is_dir = stat.S_ISDIR(st.st_mode)
        if last:
            self._emit(child_text, is_dir, linked)
        elif is_dir:
            self.at(child, child_text, i + 1, None, linked)

    def _globstar_tail(self, rel: bytes, rel_text: str, linked: bool) -> None:
        # `a/**` prints `a/` too; `**` at the root does not print the root.
        if rel:
            self._emit(rel_text, True, linked)
        for sub, sub_text, listing in self._walk(rel, rel_text):
            for entry in listing:
                if entry.name[:1] == b".":
                    continue
                child_text = _join(sub, sub_text, entry.name, None)[1]
                self._emit(child_text, _entry_is_dir(entry), linked or _is_link(entry))

    def _walk(
        self, rel: bytes, rel_text: str
    ) -> Iterator[tuple[bytes, str, list[os.DirEntry[bytes]]]]:
        """``rel`` and every non-hidden, non-symlinked directory below, each with its listing."""
        stack = [(rel, rel_text)]
        while stack:
            here, here_text = stack.pop()
            listing = self._list(here)
            yield here, here_text, listing
            for entry in listing:
                if entry.name[:1] != b"." and _is_real_dir(entry):
                    stack.append(_join(here, here_text, entry.name, None))

    def _emit(self, path: str, is_dir: bool, linked: bool) -> None:
        if is_dir or not self.dirs_only:
            self.found[path] = (is_dir, linked)
            if len(self.found) > MAX_MATCHES:
                raise TooManyMatches(f"it matches more than {MAX_MATCHES} paths")

    def _list(self, rel: bytes) -> list[os.DirEntry[bytes]]:
        listing = _list(self._abs(rel))
        self._count(len(listing))
        return listing

    def _count(self, entries: int) -> None:
        self.walked += entries
        if self.walked > MAX_WALKED:
            raise TooManyMatches(f"it walks more than {MAX_WALKED} directory entries")

    def _abs(self, rel: bytes) -> bytes:
        return self.root + b"/" + rel if rel else self.root


def _join(rel: bytes, rel_text: str, name: bytes, text: str | None) -> tuple[bytes, str]:
    if text is None:
        text = name.decode("utf-8", "surrogateescape")
    if not rel:
        return name, text
    return rel + b"/" + name, f"{rel_text}/{text}"


def _list(path: bytes) -> list[os.DirEntry[bytes]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def _entry_is_dir(entry: os.DirEntry[bytes]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks: `link/` is a directory match
    except OSError:
        return False


def _is_link(entry: os.DirEntry[bytes]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:  # pragma: no cover  (is_symlink only fails where d_type is unknown)
        return True


def _is_real_dir(entry: os.DirEntry[bytes]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _unescape(component: str) -> str:
    return re.sub(r"\\(.)", r"\1", component, flags=re.DOTALL)


def _bracket(component: str, start: int) -> tuple[str, int] | None:
    """The regex for the bracket expression at ``start`` and the index after it, or None."""
    i = start + 1
    negate = i < len(component) and component[i] in "!^"
    if negate:
        i += 1
    pieces: list[str] = []
    chars: list[str] = []
    first = True
    while i < len(component):
        ch = component[i]
        if ch == "]" and not first:
            # Only reversed ranges (`[z-a]`) leave nothing: bash then matches nothing.
            body = "|".join(([f"[{''.join(chars)}]"] if chars else []) + pieces) or "(?!)"
            # Lookarounds are atomic: one character, no choice point left behind.
            regex = f"(?!{body})." if negate else f"(?=(?:{body}))."
            return regex, i + 1
        first = False
        if ch == "[" and component.startswith("[:", i):
            end = component.find(":]", i + 2)
            name = component[i + 2 : end] if end != -1 else ""
            if name in _CLASSES:
                pieces.append(_CLASSES[name])
                i = end + 2
                continue
        if ch == "\\" and i + 1 < len(component):
            i += 1
            ch = component[i]
        if i + 2 < len(component) and component[i + 1] == "-" and component[i + 2] != "]":
            hi = component[i + 2]
            if hi == "\\" and i + 3 < len(component):
                hi = component[i + 3]
                i += 1
            if ord(hi) >= ord(ch):
                chars.append(f"{_class_char(ch)}-{_class_char(hi)}")
            i += 3
            continue
        chars.append(_class_char(ch))
        i += 1
    return None


def _class_char(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch


class _Glob(Record):
    """One component's wildcards, matched without backtracking over ``*``.

    The component is cut at each ``*`` into segments of fixed length (every other token,
    ``?``, ``[…]`` or a literal, is exactly one character), each a regular expression with no
    quantifier and no choice point (a bracket is an atomic lookahead then ``.``). Then the
    classic greedy algorithm: the first segment must match at the start, the last at the end,
    and each one between at its leftmost place after the one before. Leftmost is always
    right, since a later place leaves less room for what follows. Each segment is tried at
    each position at most once: O(len(name) × len(component)), whatever the pattern (a
    regular expression of ``.*`` backtracks exponentially on ``*a*a*a*a*b``).

    With at most one ``*`` (``*.json``, the everyday case) the component is one regular
    expression, ``head.*tail``, matched in C: ``.*`` can only give back one character at a
    time, and the tail has no choice point, so that is O(len(name) × len(tail)) too.
    """

    single: re.Pattern[str] | None
    head: re.Pattern[str] | None
    middle: tuple[re.Pattern[str], ...]
    tail: re.Pattern[str] | None
    head_len: int
    tail_len: int
    min_len: int

    @classmethod
    def compile(cls, component: str) -> _Glob:
        segments = _segments(component)
        if len(segments) <= 2:
            single = re.compile(".*".join("".join(seg) for seg in segments), re.DOTALL)
            return cls(single, None, (), None, 0, 0, 0)
        compiled = [re.compile("".join(seg), re.DOTALL) if seg else None for seg in segments]
        lengths = [len(seg) for seg in segments]
        middle = tuple(c for c in compiled[1:-1] if c is not None)
        return cls(None, compiled[0], middle, compiled[-1], lengths[0], lengths[-1], sum(lengths))

    def matches(self, name: str) -> bool:
        """True when the whole of ``name`` matches the component."""
        if self.single is not None:
            return self.single.fullmatch(name) is not None
        n = len(name)
        if n < self.min_len:
            return False
        if self.head is not None and self.head.match(name) is None:
            return False
        end = n - self.tail_len
        if self.tail is not None and self.tail.match(name, end) is None:
            return False
        pos = self.head_len
        for segment in self.middle:
            found = segment.search(name, pos, end)
            if found is None:
                return False
            pos = found.end()
        return True


def _segments(component: str) -> list[list[str]]:
    """The component cut at each ``*``: per segment, one regex token per character matched."""
    segments: list[list[str]] = [[]]
    i = 0
    while i < len(component):
        ch = component[i]
        if ch == "*":
            segments.append([])
        elif ch == "?":
            segments[-1].append(".")
        elif ch == "[":
            bracket = _bracket(component, i)
            if bracket is not None:
                segments[-1].append(bracket[0])
                i = bracket[1]
                continue
            segments[-1].append(re.escape(ch))
        elif ch == "\\" and i + 1 < len(component):
            i += 1
            segments[-1].append(re.escape(component[i]))
        else:
            segments[-1].append(re.escape(ch))
        i += 1
    return segments
