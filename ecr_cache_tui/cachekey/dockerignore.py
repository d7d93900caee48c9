"""``.dockerignore`` as Docker reads and matches it (``moby/patternmatcher``).

Reading (``ignorefile.ReadAll``): a line starting with ``#`` is a comment; each line is
trimmed; ``!`` makes an exception (re-includes); the pattern is cleaned like Go's
``filepath.Clean`` (``./a`` → ``a``, ``a//b/`` → ``a/b``, ``a/../b`` → ``b``) and one leading
``/`` dropped. A UTF-8 byte-order mark on the first line is dropped.

Matching: ``*`` is any run of characters but ``/``, ``?`` one such character, ``[…]`` a
class, ``\\x`` the character ``x``; ``**`` followed by ``/`` (or at the start) is any number of
directories, ``**`` at the end anything at all. A pattern matches a path, or (when it has
fewer components) one of the path's parent directories: ``node_modules`` excludes everything
below it. Patterns apply in order and the last that matches decides, so ``!`` exceptions
re-include what an earlier line excluded. :meth:`Ignore.match` follows BuildKit's walk
(``MatchesUsingParentResults``): a pattern that matched a directory matches all below it.

Which file: ``<Dockerfile>.dockerignore`` beside the Dockerfile when it exists (BuildKit's
rule), else ``.dockerignore`` at the context root (:func:`ignore_file`).

Linear time whatever the pattern: literal, prefix and suffix patterns compare strings; a
pattern whose wildcards cannot backtrack into each other uses Python's ``re``
(:func:`_cannot_blow_up`); the rest runs on a bit-parallel NFA (see :class:`Pattern`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["MAX_PATTERNS", "Ignore", "Pattern", "compile_ignore", "ignore_file", "read_ignore"]

#: Patterns read at most; a longer file is read up to here and warned about.
MAX_PATTERNS = 10_000
_MAX_PATTERN_CHARS = 4096


def read_ignore(text: str) -> tuple[list[str], list[str]]:
    """The patterns of an ignore file (``!`` kept in front), and warnings about it."""
    warnings: list[str] = []
    patterns: list[str] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        if len(patterns) >= MAX_PATTERNS or len(pattern) > _MAX_PATTERN_CHARS:
            warnings.append(f"line {number}: too long or too many patterns: not read further")
            break
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = _clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns, warnings


def _clean(path: str) -> str:
    """Go's ``filepath.Clean`` on a ``/`` path (``posixpath.normpath`` keeps a leading ``//``)."""
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


_EXACT, _PREFIX, _SUFFIX, _REGEX = range(4)
#: Characters that make a pattern more than a plain path (``^`` only inside a regex).
_SPECIAL = ("*", "?", "[", "\\")
# Token kinds of a compiled pattern.
_LIT, _ONE, _STAR, _ANY, _DIRS, _CLASS, _ANCHOR = range(7)


class _Token(NamedTuple):
    kind: int
    char: str = ""
    negate: bool = False
    ranges: tuple[tuple[str, str], ...] = ()

    def accepts(self, ch: str) -> bool:
        if self.kind == _LIT:
            return ch == self.char
        if self.kind == _ONE:
            return ch != "/"
        inside = any(lo <= ch <= hi for lo, hi in self.ranges)
        return inside != self.negate


class Pattern:
    """One pattern: ``text`` as cleaned, ``exclusion`` for a ``!`` line; compiled when first used.

    A pattern that needs a regular expression runs on Python's ``re`` when its wildcards cannot
    backtrack into each other (:func:`_cannot_blow_up`), else on a bit-parallel NFA: one
    integer of states, a few integer operations per character of the path.
    """

    __slots__ = ("_masks", "_nfa", "exclusion", "kind", "regex", "text", "tokens")

    def __init__(self, text: str, exclusion: bool) -> None:
        self.text = text
        self.exclusion = exclusion
        self.kind = -1
        self.tokens: tuple[_Token, ...] = ()
        self.regex: re.Pattern[str] | None = None
        self._nfa: _Nfa | None = None
        self._masks: dict[str, tuple[int, int, int]] = {}

    def match(self, path: str) -> bool:
        """Whether the pattern matches ``path`` itself (``/``-separated, relative)."""
        if self.kind < 0:
            _compile(self)
        if self.kind == _EXACT:
            return path == self.text
        if self.kind == _PREFIX:
            return path.startswith(self.text[:-2])
        if self.kind == _SUFFIX:
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        if self.regex is not None:
            return self.regex.match(path) is not None
        return self._run(path)

    def _run(self, path: str) -> bool:
        nfa = self._nfa
        if nfa is None:
            nfa = self._nfa = _Nfa(self.tokens)
        masks = self._masks
        states = nfa.start
        for ch in path:
            mask = masks.get(ch)
            if mask is None:
                mask = masks[ch] = nfa.masks(ch)
            advance, stay, enter = mask
            following = ((states & advance) << 2) | (states & stay) | ((states & enter) << 1)
            if ch == "/":
                following |= ((states & nfa.dirs) << 2) | ((states & nfa.inside) << 1)
            states = nfa.closure(following)
            if not states:
                return False
        return bool(states & nfa.accept)


class _Nfa:
    """Bit ``2k``: before token ``k``; bit ``2k+1``: inside the ``.*`` of a ``(.*/)?`` at ``k``."""

    def __init__(self, tokens: tuple[_Token, ...]) -> None:
        self.tokens = tokens
        self.skippable = 0
        self.dirs = 0
        self.inside = 0
        for k, token in enumerate(tokens):
            if token.kind in (_STAR, _ANY, _DIRS):
                self.skippable |= 1 << (2 * k)
            if token.kind == _DIRS:
                self.dirs |= 1 << (2 * k)
                self.inside |= 1 << (2 * k + 1)
        self.accept = 1 << (2 * len(tokens))
        anchors = sum(1 << (2 * k) for k, t in enumerate(tokens) if t.kind == _ANCHOR)
        self.start = self._closure(1, self.skippable | anchors)

    def closure(self, states: int) -> int:
        return self._closure(states, self.skippable)

    @staticmethod
    def _closure(states: int, skippable: int) -> int:
        while True:
            added = ((states & skippable) << 2) & ~states
            if not added:
                return states
            states |= added

    def masks(self, ch: str) -> tuple[int, int, int]:
        """For ``ch``: states that advance past their token, that stay, that enter ``(.*/)?``."""
        advance = stay = enter = 0
        for k, token in enumerate(self.tokens):
            bit = 1 << (2 * k)
            kind = token.kind
            if kind in (_LIT, _ONE, _CLASS):
                if token.accepts(ch):
                    advance |= bit
            elif kind == _STAR:
                if ch != "/":
                    stay |= bit
            elif kind == _ANY:
                if ch != "\n":
                    stay |= bit
            elif kind == _DIRS and ch != "\n":
                enter |= bit
                stay |= bit << 1
        return advance, stay, enter


def _compile(pattern: Pattern) -> None:
    """patternmatcher's ``compile``: the match kind and the tokens of the regular expression."""
    text = pattern.text
    if not any(special in text for special in _SPECIAL):  # most lines: a plain path
        pattern.kind = _EXACT
        return
    tokens: list[_Token] = []
    kind = _EXACT
    i, n = 0, len(text)
    first = True
    while i < n:
        ch = text[i]
        i += 1
        if ch == "*":
            if i < n and text[i] == "*":
                i += 1
                if i < n and text[i] == "/":
                    i += 1
                if i >= n:
                    if kind == _EXACT:
                        kind = _PREFIX
                    else:
                        tokens.append(_Token(_ANY))
                        kind = _REGEX
                else:
                    tokens.append(_Token(_DIRS))
                    kind = _REGEX
                if first:
                    kind = _SUFFIX
            else:
                tokens.append(_Token(_STAR))
                kind = _REGEX
        elif ch == "?":
            tokens.append(_Token(_ONE))
            kind = _REGEX
        elif ch == "\\":
            if i < n:
                tokens.append(_Token(_LIT, text[i]))
                i += 1
                kind = _REGEX
            else:
                tokens.append(_Token(_LIT, "\\"))
        elif ch == "[":
            token, i = _class(text, i)
            tokens.append(token)
            kind = _REGEX
        elif ch == "^":
            tokens.append(_Token(_ANCHOR))
        else:
            tokens.append(_Token(_LIT, ch))
        first = False
    pattern.kind = kind
    pattern.tokens = tuple(tokens)
    if kind == _REGEX and _cannot_blow_up(pattern.tokens):
        try:
            pattern.regex = re.compile(_python_regex(tokens))
        except re.error:  # what Python's syntax refuses runs on the NFA, same meaning
            pattern.regex = None


def _cannot_blow_up(tokens: Sequence[_Token]) -> bool:
    """Whether Python's backtracking ``re`` runs the pattern in about linear time.

    True when at most one wildcard can cross a ``/`` (``**``) and each stretch between two
    ``/`` holds at most one ``*``: a ``*`` then backtracks only within its own path component,
    where every shorter try fails at the next ``/`` at once. ``**/*.log`` and ``*/temp*`` are
    such patterns; ``*a*b`` (two ``*`` in one component) runs on the NFA instead.
    """
    if sum(t.kind in (_ANY, _DIRS) for t in tokens) > 1:
        return False
    stars = 0
    for token in tokens:
        if token.kind == _DIRS or (token.kind == _LIT and token.char == "/"):
            stars = 0
        elif token.kind == _STAR:
            stars += 1
            if stars > 1:
                return False
    return True


def _class(text: str, i: int) -> tuple[_Token, int]:
    """A ``[…]`` class starting after ``[`` (RE2's syntax for what Docker passes through)."""
    negate = text.startswith("^", i)
    i += negate
    ranges: list[tuple[str, str]] = []
    start = i
    while i < len(text) and (text[i] != "]" or i == start):
        lo = text[i]
        if lo == "\\" and i + 1 < len(text):
            i += 1
            lo = text[i]
        i += 1
        hi = lo
        if i + 1 < len(text) and text[i] == "-" and text[i + 1] != "]":
            hi = text[i + 1]
            i += 2
        ranges.append((lo, hi))
    return _Token(_CLASS, negate=negate, ranges=tuple(ranges)), i + 1


def _python_regex(tokens: Sequence[_Token]) -> str:
    parts = []
    for token in tokens:
        if token.kind == _LIT:
            parts.append(re.escape(token.char))
        elif token.kind == _ONE:
            parts.append("[^/]")
        elif token.kind == _STAR:
            parts.append("[^/]*")
        elif token.kind == _ANY:
            parts.append(".*")
        elif token.kind == _DIRS:
            parts.append("(?:.*/)?")
        elif token.kind == _ANCHOR:
            parts.append("^")
        else:
            body = "".join(
                re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}"
                for lo, hi in token.ranges
                if lo <= hi  # a reversed range holds nothing
            )
            if body:
                parts.append(f"[{'^' if token.negate else ''}{body}]")
            else:
                parts.append("[\\s\\S]" if token.negate else "(?!)")
    return "^" + "".join(parts) + r"\Z"


@dataclass(frozen=True)
class Ignore:
    """Compiled ignore patterns; ``exclusions``: some line starts with ``!``."""

    patterns: tuple[Pattern, ...]

    @property
    def exclusions(self) -> bool:
        """Whether some pattern re-includes (then an excluded directory must still be walked)."""
        return any(p.exclusion for p in self.patterns)

    def match(
        self, path: str, parent: tuple[bool, ...] | None = None
    ) -> tuple[bool, tuple[bool, ...]]:
        """Whether ``path`` is excluded, and what to pass for its children.

        ``parent`` is what this returned for the parent directory (``None`` at the top, or
        when unknown: then each pattern is also tried on every parent directory).
        """
        matched = False
        infos: list[bool] = []
        for i, pattern in enumerate(self.patterns):
            hit = parent[i] if parent else False
            if not hit:
                if pattern.exclusion != matched:
                    infos.append(False)
                    continue
                hit = pattern.match(path)
                if not hit and not parent and "/" in path:
                    hit = _parents_match(pattern, path)
            infos.append(hit)
            if hit:
                matched = not pattern.exclusion
        return matched, tuple(infos)

    def excluded(self, path: str) -> bool:
        """Whether ``path`` is excluded, walking from the top as BuildKit does."""
        info: tuple[bool, ...] | None = None
        parts = path.split("/")
        matched = False
        for depth in range(1, len(parts) + 1):
            matched, info = self.match("/".join(parts[:depth]), info)
        return matched


def _parents_match(pattern: Pattern, path: str) -> bool:
    end = path.find("/")
    while end >= 0:
        if pattern.match(path[:end]):
            return True
        end = path.find("/", end + 1)
    return False


def compile_ignore(patterns: Sequence[str]) -> Ignore:
    """Compile patterns as :func:`read_ignore` returns them (``patternmatcher.New``)."""
    compiled: list[Pattern] = []
    for raw in patterns:
        text = raw.strip()
        if not text:
            continue
        text = _clean(text)
        exclusion = text.startswith("!")
        if exclusion:
            text = text[1:]
            if not text:
                continue
        compiled.append(Pattern(text, exclusion))
    return Ignore(tuple(compiled))


def ignore_file(dockerfile: str | None, context: str, exists: Callable[[str], bool]) -> str | None:
    """Which ignore file applies, as a path relative to the checkout (``None``: none exists).

    Args:
        dockerfile: the Dockerfile's path relative to the checkout (``None``: inline).
        context: the context's path relative to the checkout.
        exists: a callable telling whether a checkout-relative path is a regular file.
    """
    if dockerfile is not None:
        beside = f"{dockerfile}.dockerignore"
        if exists(beside):
            return beside
    root = posixpath.normpath(posixpath.join(context, ".dockerignore"))
    return root if exists(root) else None
