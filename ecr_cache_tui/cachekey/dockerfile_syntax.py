"""A Dockerfile's text as instructions, split the way BuildKit's parser splits it.

What this follows (``moby/buildkit`` ``frontend/dockerfile/parser``):

* **Parser directives** (``# escape=``, ``# syntax=``, ``# check=``) only on the leading lines:
  the first line that is not a known directive (a blank line, another comment, an
  instruction) ends them. ``escape`` is ``\\`` or a backquote.
* **Continuations**: a line ending with the escape character (trailing blanks allowed, not
  itself escaped) continues on the next; comment lines and blank lines inside a continuation
  are skipped. A UTF-8 byte-order mark on the first line is dropped; ``\\r\\n`` ends a line.
* **Builder flags**: the ``--name[=value]`` words right after the instruction's name, with
  quotes and the escape character, up to the first word that is not a flag or ``--``.
* **Heredocs** on ``RUN``, ``COPY`` and ``ADD`` in shell form (``<<EOF``, ``<<-EOF``,
  ``<<"EOF"``, several on one line, each read in order): their bodies are consumed up to the
  terminator line (leading tabs removed first with ``<<-``), so a body line is never read as an
  instruction.

Everything here is one pass over the text with plain string operations (no regular
expression with backtracking): linear in the size of the Dockerfile.
"""

from __future__ import annotations

from ecr_cache_tui.records import Record

__all__ = [
    "MAX_LINE",
    "Heredoc",
    "Instruction",
    "Syntax",
    "json_words",
    "split_syntax",
    "split_words",
    "whitespace_words",
]

#: BuildKit refuses a physical line longer than this (``bufio.MaxScanTokenSize``).
MAX_LINE = 64 * 1024

_DIRECTIVES = ("syntax", "escape", "check")
_HEREDOC_COMMANDS = ("run", "copy", "add")
#: Go's ``[\t\v\f\r ]`` (``reWhitespace``), what separates whitespace-delimited words.
_WS = "\t\v\f\r "


class Heredoc(Record):
    """One ``<<NAME`` of an instruction: its terminator, and whether its body is expanded."""

    name: str
    chomp: bool
    expand: bool


class Instruction(Record):
    """One instruction: the keyword (lower case), its builder flags, the rest, where it is."""

    # One per instruction: slots and an __init__ of its own (see ecr_cache_tui.records).
    __slots__ = ("args", "command", "end_line", "flags", "heredocs", "line")
    command: str
    flags: tuple[str, ...]
    args: str
    line: int
    end_line: int
    heredocs: tuple[Heredoc, ...]

    def __init__(
        self,
        command: str,
        flags: tuple[str, ...],
        args: str,
        line: int,
        end_line: int,
        *,
        heredocs: tuple[Heredoc, ...] = (),
    ) -> None:
        self._set("command", command)
        self._set("flags", flags)
        self._set("args", args)
        self._set("line", line)
        self._set("end_line", end_line)
        self._set("heredocs", heredocs)

    @property
    def keyword(self) -> str:
        """The instruction's name as people write it: ``COPY``."""
        return self.command.upper()


class Syntax(Record):
    """The instructions, the escape character, the ``syntax`` directive, and problems."""

    instructions: tuple[Instruction, ...]
    escape: str
    syntax: str | None
    problems: tuple[tuple[int, str], ...]


def split_syntax(text: str) -> Syntax:
    """Split ``text`` into instructions as BuildKit does; problems are ``(line, message)``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    problems: list[tuple[int, str]] = []
    escape, syntax, i = _directives(lines, problems)
    out: list[Instruction] = []
    while i < len(lines):
        if len(lines[i]) > MAX_LINE:
            problems.append((i + 1, f"a line longer than {MAX_LINE} characters: not read further"))
            break
        start = i
        logical, i = _join_continuation(lines, i, escape)
        if logical is None:
            continue
        instruction = _instruction(logical, escape, start + 1, i)
        if instruction.command in _HEREDOC_COMMANDS and "<<" in logical:
            heredocs = _heredocs(instruction)
            i = _skip_bodies(lines, i, heredocs, start + 1, problems)
            instruction = Instruction(
                instruction.command,
                instruction.flags,
                instruction.args,
                start + 1,
                i,
                heredocs=heredocs,
            )
        out.append(instruction)
    return Syntax(tuple(out), escape, syntax, tuple(problems))


def _directives(lines: list[str], problems: list[tuple[int, str]]) -> tuple[str, str | None, int]:
    escape, syntax, seen = "\\", None, set()
    i = 0
    while i < len(lines):
        parsed = _directive(lines[i].rstrip("\r\n").lstrip())
        if parsed is None:
            break
        name, value = parsed
        if name in seen:
            problems.append((i + 1, f"a second {name} parser directive (Docker refuses it)"))
        elif name == "escape":
            if value in ("\\", "`"):
                escape = value
            else:
                problems.append((i + 1, f"escape directive {value!r} is not \\ or `"))
        elif name == "syntax":
            syntax = value
        seen.add(name)
        i += 1
    return escape, syntax, i


def _directive(line: str) -> tuple[str, str] | None:
    if not line.startswith("#"):
        return None
    body = line[1:].lstrip()
    end = 0
    while end < len(body) and (body[end].isascii() and (body[end].isalnum())):
        end += 1
    name = body[:end]
    if not name or not name[0].isalpha():
        return None
    rest = body[end:].lstrip("\t\n\f\r ")
    if not rest.startswith("="):
        return None
    value = rest[1:].strip("\t\n\f\r ")
    if not value or name.lower() not in _DIRECTIVES:
        return None
    return name.lower(), value


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _continues(line: str, escape: str) -> tuple[str, bool]:
    """``line`` without a trailing escape character, and whether it continues."""
    stripped = line.rstrip(" \t")
    if not stripped.endswith(escape):
        return line, False
    body = stripped[:-1]
    if body.endswith(escape):  # an escaped escape character does not continue the line
        return line, False
    return body, True


def _join_continuation(lines: list[str], i: int, escape: str) -> tuple[str | None, int]:
    """The logical line starting at ``lines[i]`` and the index after it (``None``: nothing)."""
    first = lines[i].rstrip("\r\n").lstrip()
    i += 1
    if first.startswith("#"):
        first = ""
    part, more = _continues(first, escape)
    if not more and not part:
        return None, i
    parts = [part]
    while more and i < len(lines):
        raw = lines[i].rstrip("\r\n")
        i += 1
        if _is_comment(raw) or not raw.strip():
            continue
        part, more = _continues(raw, escape)
        parts.append(part)
    return "".join(parts), i


def _instruction(logical: str, escape: str, line: int, end_line: int) -> Instruction:
    text = logical.strip()
    cut = 0
    while cut < len(text) and text[cut] not in _WS:
        cut += 1
    command = text[:cut].lower()
    rest = text[cut:].lstrip(_WS)
    flags, args = _builder_flags(rest, escape)
    return Instruction(command, tuple(flags), args.strip(), line, end_line)


def _builder_flags(rest: str, escape: str) -> tuple[list[str], str]:
    """BuildKit's ``extractBuilderFlags``: leading ``--x`` words, then the arguments."""
    flags: list[str] = []
    pos = 0
    n = len(rest)
    while True:
        while pos < n and rest[pos].isspace():
            pos += 1
        if pos >= n:
            return flags, ""
        if not rest.startswith("--", pos) or pos + 1 == n:
            return flags, rest[pos:]
        word, pos, blank_ok = _flag_word(rest, pos, escape)
        if word == "--":
            return flags, rest[pos:]
        if word or blank_ok:
            flags.append(word[2:] if word.startswith("--") else word)


def _flag_word(rest: str, pos: int, escape: str) -> tuple[str, int, bool]:
    out: list[str] = []
    quote = ""
    blank_ok = False
    n = len(rest)
    while pos < n:
        ch = rest[pos]
        if quote:
            if ch == quote:
                quote = ""
                pos += 1
                continue
        elif ch.isspace():
            break
        elif ch in ("'", '"'):
            quote, blank_ok = ch, True
            pos += 1
            continue
        if ch == escape:
            pos += 1
            if pos >= n:
                break
            ch = rest[pos]
        out.append(ch)
        pos += 1
    return "".join(out), pos, blank_ok


def whitespace_words(args: str) -> list[str]:
    """BuildKit's ``parseStringsWhitespaceDelimited``: words between Go's blanks, no quotes."""
    words: list[str] = []
    start = -1
    for pos, ch in enumerate(args):
        if ch in _WS:
            if start >= 0:
                words.append(args[start:pos])
                start = -1
        elif start < 0:
            start = pos
    if start >= 0:
        words.append(args[start:])
    return words


def json_words(args: str) -> list[str] | None:
    """The JSON form's strings, or ``None`` when ``args`` is not a JSON array of strings."""
    # lazy: only the JSON form needs it
    import json  # noqa: PLC0415

    text = args.lstrip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value


def split_words(rest: str, escape: str) -> list[str]:
    """BuildKit's ``parseWords`` (``ARG``, ``ENV``): words with their quotes kept, for expansion."""
    words: list[str] = []
    out: list[str] = []
    quote = ""
    blank_ok = False
    in_word = False
    pos, n = 0, len(rest)
    while pos < n:
        ch = rest[pos]
        if not in_word and not quote:
            if ch.isspace():
                pos += 1
                continue
            in_word = True
        if in_word and not quote and ch.isspace():
            if blank_ok or out:
                words.append("".join(out))
            out, blank_ok, in_word = [], False, False
            pos += 1
            continue
        if not quote and ch in ("'", '"'):
            quote, blank_ok = ch, True
        elif quote and ch == quote:
            quote = ""
        elif ch == escape and quote != "'":
            if pos + 1 >= n:
                pos += 1
                continue
            out.append(ch)
            pos += 1
            ch = rest[pos]
        out.append(ch)
        pos += 1
    if in_word and (blank_ok or out):
        words.append("".join(out))
    return words


def _heredocs(instruction: Instruction) -> tuple[Heredoc, ...]:
    if instruction.args.lstrip().startswith("["):  # the JSON form has no heredocs
        from_json = json_words(instruction.args)
        if from_json is not None:
            return ()
    found: list[Heredoc] = []
    for word in _raw_words(instruction.args):
        heredoc = parse_heredoc(word)
        if heredoc is not None:
            found.append(heredoc)
    return tuple(found)


def _raw_words(line: str) -> list[str]:
    """Words of ``line`` with quotes kept; ``<<`` followed by blanks stays with the next word."""
    words: list[str] = []
    out: list[str] = []
    quote = ""
    pos, n = 0, len(line)
    while pos < n:
        ch = line[pos]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and pos + 1 < n:
                out.append(ch)
                pos += 1
                ch = line[pos]
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "\\" and pos + 1 < n:
            out.append(ch)
            pos += 1
            ch = line[pos]
        elif ch.isspace():
            if out:
                words.append("".join(out))
                out = []
            pos += 1
            continue
        elif ch == "<" and line.startswith("<<", pos):
            out.append("<<")
            pos += 2
            while pos < n and line[pos] in " \t":
                pos += 1
            continue
        out.append(ch)
        pos += 1
    if out:
        words.append("".join(out))
    return words


def parse_heredoc(word: str) -> Heredoc | None:
    """``<<EOF``, ``<<-EOF``, ``2<<"EOF"`` as a heredoc, else ``None`` (``parser.ParseHeredoc``)."""
    pos = 0
    while pos < len(word) and word[pos].isdigit():
        pos += 1
    if not word.startswith("<<", pos):
        return None
    pos += 2
    chomp = word.startswith("-", pos)
    pos += chomp
    rest = word[pos:].lstrip()
    if not rest or "<" in rest:
        return None
    name = _unquote(rest)
    if not name:
        return None
    return Heredoc(name, chomp, expand=name == rest)


def _unquote(word: str) -> str:
    """The heredoc word without its quotes (one word only, else empty)."""
    out: list[str] = []
    quote = ""
    pos = 0
    while pos < len(word):
        ch = word[pos]
        if quote:
            if ch == quote:
                quote = ""
            else:
                out.append(ch)
        elif ch in ("'", '"'):
            quote = ch
        elif ch.isspace():
            return ""
        elif ch == "\\" and pos + 1 < len(word):
            pos += 1
            out.append(word[pos])
        else:
            out.append(ch)
        pos += 1
    return "" if quote else "".join(out)


def _skip_bodies(
    lines: list[str],
    i: int,
    heredocs: tuple[Heredoc, ...],
    start: int,
    problems: list[tuple[int, str]],
) -> int:
    for heredoc in heredocs:
        while True:
            if i >= len(lines):
                problems.append((start, f"the heredoc <<{heredoc.name} is never terminated"))
                return i
            candidate = lines[i].rstrip("\r\n")
            i += 1
            if heredoc.chomp:
                candidate = candidate.lstrip("\t")
            if candidate == heredoc.name:
                break
    return i
