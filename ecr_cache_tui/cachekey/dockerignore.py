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
pattern with at most one wildcard run uses Python's ``re`` (one run cannot backtrack
super-linearly); the rest runs on a lazily built DFA over the pattern's positions.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["MAX_PATTERNS", "Ignore", "Pattern", "compile_ignore", "ignore_file", "read_ignore"]

#: Patterns read at most; a longer file is read up to here and warned about.
MAX_PATTERNS = 10_000
_MAX_PATTERN_CHARS = 4096
_DFA_CACHE = 4096


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
# Token kinds of a compiled pattern.
_LIT, _ONE, _STAR, _ANY, _DIRS, _CLASS, _ANCHOR = range(7)


@dataclass(frozen=True)
class _Token:
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


@dataclass
class Pattern:
    """One compiled pattern: ``text`` as cleaned, ``exclusion`` for a ``!`` line."""

    text: str
    exclusion: bool
    kind: int = _EXACT
    tokens: tuple[_Token, ...] = ()
    regex: re.Pattern[str] | None = None
    _dfa: dict[tuple[frozenset[int], str], frozenset[int]] = field(default_factory=dict)
    _start: frozenset[int] = frozenset()

    def match(self, path: str) -> bool:
        """Whether the pattern matches ``path`` itself (``/``-separated, relative)."""
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
        if not self._start:
            self._start = self._closure({0}, at_start=True)
        states = self._start
        dfa = self._dfa
        for ch in path:
            key = (states, ch)
            following = dfa.get(key)
            if following is None:
                if len(dfa) >= _DFA_CACHE:
                    dfa.clear()
                following = self._step(states, ch)
                dfa[key] = following
            states = following
            if not states:
                return False
        return 2 * len(self.tokens) in states

    def _closure(self, states: set[int], *, at_start: bool = False) -> frozenset[int]:
        """Add the states reachable without a character (even ids: before token id/2)."""
        todo = list(states)
        seen = set(states)
        while todo:
            state = todo.pop()
            if state % 2 or state // 2 >= len(self.tokens):
                continue
            token = self.tokens[state // 2]
            skips = token.kind in (_STAR, _ANY, _DIRS) or (token.kind == _ANCHOR and at_start)
            if skips and state + 2 not in seen:
                seen.add(state + 2)
                todo.append(state + 2)
        return frozenset(seen)

    def _step(self, states: frozenset[int], ch: str) -> frozenset[int]:
        following: set[int] = set()
        for state in states:
            index = state // 2
            if state % 2:  # inside the ``.*`` of ``(.*/)?`` (RE2's ``.`` is not a newline)
                if ch != "\n":
                    following.add(state)
                if ch == "/":
                    following.add(state + 1)
                continue
            if index >= len(self.tokens):
                continue
            token = self.tokens[index]
            kind = token.kind
            if kind in (_LIT, _ONE, _CLASS):
                if token.accepts(ch):
                    following.add(state + 2)
            elif kind == _STAR:
                if ch != "/":
                    following.add(state)
            elif kind == _ANY:
                if ch != "\n":
                    following.add(state)
            elif kind == _DIRS:
                if ch != "\n":
                    following.add(state + 1)
                if ch == "/":
                    following.add(state + 2)
        return self._closure(following) if following else frozenset()


def _compile(text: str, exclusion: bool) -> Pattern:
    """patternmatcher's ``compile``: the match kind and the tokens of the regular expression."""
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
    pattern = Pattern(text, exclusion, kind, tuple(tokens))
    if kind == _REGEX and sum(t.kind in (_STAR, _ANY, _DIRS) for t in tokens) <= 1:
        pattern.regex = re.compile(_python_regex(tokens))
    return pattern


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
            )
            parts.append(f"[{'^' if token.negate else ''}{body}]" if body else "(?!)")
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
        compiled.append(_compile(text, exclusion))
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
