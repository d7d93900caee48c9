"""Docker's word expansion (``$VAR``, ``${VAR:-x}``, quotes, the escape character).

This is what BuildKit's ``shell.Lex.ProcessWord`` does to a ``COPY`` source, an ``ARG`` default
or an ``ENV`` value before using it: single quotes are literal, double quotes allow ``$``
expansion and escape only ``"``, ``$`` and the escape character, the escape character outside
quotes takes the next character literally, and ``$NAME``, ``${NAME}``, ``${NAME:-word}``,
``${NAME-word}``, ``${NAME:+word}``, ``${NAME+word}``, ``${NAME:?msg}`` and ``${NAME?msg}``
expand from the given variables (an unset name expands to nothing and is reported).

The pattern modifiers of newer Dockerfile frontends (``${NAME#pat}``, ``%``, ``/``) and every
syntax error raise :class:`WordError`: the caller turns that into a warning naming the line.
One pass over the word, no regular expression: linear in its length.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecr_cache_tui.records import Record

__all__ = ["Expanded", "WordError", "expand_word"]


class WordError(ValueError):
    """A word this reader cannot expand as Docker would (syntax error, unsupported modifier)."""


class Expanded(Record):
    """The expanded word and the variable names it used that were not set."""

    # One per word expanded: slots and an __init__ of its own (see ecr_cache_tui.records).
    __slots__ = ("text", "unset")
    text: str
    unset: frozenset[str]

    def __init__(self, text: str, unset: frozenset[str] = frozenset()) -> None:
        self._set("text", text)
        self._set("unset", unset)


_SPECIAL = frozenset("@*#?-$!0")
_MAX_DEPTH = 32


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> Expanded:
    """Expand ``word`` as Docker expands one word of an instruction (quotes removed).

    Raises:
        WordError: a syntax error Docker would also refuse, or a modifier not followed here.
    """
    lexer = _Lexer(word, env, escape)
    text = lexer.until("")
    return Expanded(text, frozenset(lexer.unset))


class _Lexer:
    def __init__(self, word: str, env: Mapping[str, str], escape: str) -> None:
        self.s = word
        self.i = 0
        self.env = env
        self.escape = escape
        self.unset: set[str] = set()
        self.depth = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def next(self) -> str:
        ch = self.peek()
        self.i += 1
        return ch

    def until(self, stop: str) -> str:
        """Process up to ``stop`` (consumed), or to the end when ``stop`` is empty."""
        out: list[str] = []
        while self.i < len(self.s):
            ch = self.peek()
            if stop and ch == stop:
                self.i += 1
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
            elif ch == "'":
                out.append(self.single_quote())
            elif ch == '"':
                out.append(self.double_quote())
            else:
                self.i += 1
                if ch == self.escape:
                    if self.i >= len(self.s):
                        break
                    ch = self.next()
                out.append(ch)
        if stop:
            raise WordError(f"unexpected end of word while looking for matching {stop}")
        return "".join(out)

    def single_quote(self) -> str:
        self.i += 1
        end = self.s.find("'", self.i)
        if end < 0:
            raise WordError("unexpected end of word while looking for matching single-quote")
        text = self.s[self.i : end]
        self.i = end + 1
        return text

    def double_quote(self) -> str:
        self.i += 1
        out: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise WordError("unexpected end of word while looking for matching double-quote")
            if ch == '"':
                self.i += 1
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            self.i += 1
            if ch == self.escape and self.peek() in ('"', "$", self.escape) and self.peek():
                ch = self.next()
            out.append(ch)

    def name(self) -> str:
        start = self.i
        ch = self.peek()
        if ch.isdigit():
            while self.peek().isdigit():
                self.i += 1
            return self.s[start : self.i]
        if ch and ch in _SPECIAL:
            self.i += 1
            return ch
        while (c := self.peek()) and (c.isalnum() or c == "_"):
            self.i += 1
        return self.s[start : self.i]

    def lookup(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            return self.env[name], True
        self.unset.add(name)
        return "", False

    def dollar(self) -> str:
        self.i += 1
        if self.peek() != "{":
            name = self.name()
            return self.lookup(name)[0] if name else "$"
        self.i += 1
        if self.peek() in ("", "{", "}", ":"):
            raise WordError("syntax error: bad substitution")
        name = self.name()
        op = self.next()
        if op == "}":
            return self.lookup(name)[0]
        null_is_unset = op == ":"
        if null_is_unset:
            op = self.next()
        if op not in ("-", "+", "?"):
            shown = (":" if null_is_unset else "") + op
            raise WordError(f"the modifier {shown!r} in ${{{name}...}} is not followed here")
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise WordError(f"substitutions nested deeper than {_MAX_DEPTH}")
        word = self.until("}")
        self.depth -= 1
        value, is_set = self.lookup(name)
        empty = not is_set or (null_is_unset and value == "")
        if op == "-":
            return word if empty else value
        if op == "+":
            return "" if empty else word
        if empty:
            raise WordError(f"{name}: {word or 'is not allowed to be unset or empty'}")
        return value
