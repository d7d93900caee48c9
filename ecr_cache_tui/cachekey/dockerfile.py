"""What a Dockerfile builds from: its stages, the stages a target needs, and what they copy.

:func:`read_dockerfile` reads a Dockerfile's text as Docker (BuildKit) reads it and returns a
:class:`DockerfileReading`:

* ``stages``: every ``FROM``, in order, with its reference after ``ARG`` substitution
  (global ``ARG`` s before the first ``FROM``, build args given overriding their defaults, the
  automatic ``TARGETPLATFORM``/``TARGETOS``/``TARGETARCH``/``TARGETVARIANT`` and ``BUILD*``
  from the platform), its name (lower case, as Docker compares them) and the earlier stage it
  builds on, if any;
* ``target`` and ``needed``: the stage built (``target``, else the last) and every stage it
  depends on through ``FROM <stage>``, ``COPY --from=<stage|index>`` and
  ``RUN --mount=from=<stage>``;
* ``copies``: each ``COPY`` and ``ADD`` of the needed stages, in file order, with its sources
  after ``ARG``/``ENV`` substitution (:mod:`.shellwords`), split into what it reads from the
  build context (``context_sources``), remote ``ADD`` sources (URLs, git references) and
  heredocs (which read nothing); ``--from`` copies read nothing from the context;
* ``mounts``: each ``RUN --mount=type=bind`` of the context (no ``from``) in the needed
  stages, as a :class:`Copy` of instruction ``RUN`` whose one source is the mount's
  ``source`` (default the whole context): the ``RUN`` reads those files, though it copies
  none of them into the image;
* ``warnings``: one line per place this reader cannot follow (``Dockerfile:12: …``), never an
  exception: a Dockerfile Docker would refuse still builds its own error in Docker.

``base_images()`` lists the external ``FROM`` references of the needed stages (``scratch``
and stage names excluded), for resolving them to digests.

Pure: text in, values out. Bounded: at most :data:`MAX_BYTES` of text are read (a larger
Dockerfile is one warning and no copies), lines as BuildKit bounds them, all of it linear.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecr_cache_tui.cachekey.dockerfile_syntax import (
    Instruction,
    json_words,
    parse_heredoc,
    split_syntax,
    split_words,
    whitespace_words,
)
from ecr_cache_tui.cachekey.shellwords import WordError, expand_word
from ecr_cache_tui.errors import one_line
from ecr_cache_tui.records import Record

__all__ = ["MAX_BYTES", "Copy", "DockerfileReading", "Stage", "read_dockerfile"]

#: Text read at most (characters). Real Dockerfiles are a few KiB.
MAX_BYTES = 1 << 20
_SHOWN = 120


class Stage(Record):
    """One ``FROM``: its index, name, base reference (after ``ARG`` substitution), line, and
    the ``--platform`` it asks for (after substitution; ``None``: the build's)."""

    index: int
    name: str | None
    base: str
    line: int
    base_stage: int | None = None
    platform: str | None = None

    @property
    def external(self) -> bool:
        """Built on an image from a registry (not ``scratch``, not another stage)."""
        return self.base_stage is None and self.base.lower() != "scratch"


class Copy(Record):
    """One ``COPY`` or ``ADD`` of a needed stage.

    Attributes:
        instruction: ``COPY`` or ``ADD``.
        line: the line it starts on (1-based).
        stage: the index of its stage.
        shown: the instruction as written, on one line, escaped and shortened, for messages.
        sources: the sources after substitution (not heredocs, not remote ones).
        remote: ``ADD`` sources that are URLs or git references (read from the network).
        heredocs: the names of heredoc sources (``COPY <<EOF``), which read no file.
        from_: the ``--from`` value as written, when set (then no source is a context file).
        from_stage: the stage ``--from`` names, when it names one.
        parents: ``--parents``: sources are patterns with ``**``, an optional ``/./`` pivot.
        excludes: ``--exclude`` patterns (dockerignore syntax) applied to the sources.
    """

    instruction: str
    line: int
    stage: int
    shown: str
    sources: tuple[str, ...] = ()
    remote: tuple[str, ...] = ()
    heredocs: tuple[str, ...] = ()
    from_: str | None = None
    from_stage: int | None = None
    parents: bool = False
    excludes: tuple[str, ...] = ()

    @property
    def context_sources(self) -> tuple[str, ...]:
        """The sources read from the build context (none with ``--from``)."""
        return () if self.from_ is not None else self.sources


class DockerfileReading(Record):
    """A Dockerfile as Docker reads it (see the module docstring)."""

    stages: tuple[Stage, ...]
    target: int | None
    needed: tuple[int, ...]
    copies: tuple[Copy, ...]
    warnings: tuple[str, ...] = ()
    escape: str = "\\"
    syntax: str | None = None
    mounts: tuple[Copy, ...] = ()

    def base_images(self) -> tuple[Stage, ...]:
        """The needed stages built on an external image, in file order."""
        return tuple(self.stages[i] for i in self.needed if self.stages[i].external)


class _StageState:
    """What the reader knows of one stage while it reads (mutable)."""

    def __init__(
        self,
        stage: Stage,
        vars: dict[str, str],
        env_names: set[str],
        env_known: bool,
        deps: set[int] | None = None,
    ) -> None:
        self.stage = stage
        self.vars = vars
        self.env_names = env_names
        self.env_known = env_known
        self.deps: set[int] = set() if deps is None else deps
        self.refs: list[str] = []
        self.copies: list[Copy] = []
        self.mounts: list[Copy] = []


class _Reader:
    """The reading of one Dockerfile in progress (mutable)."""

    def __init__(self, name: str, build_args: Mapping[str, str], escape: str = "\\") -> None:
        self.name = name
        self.build_args = build_args
        self.escape = escape
        self.global_vars: dict[str, str] = {}
        self.states: list[_StageState] = []
        self.warnings: list[str] = []

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"{one_line(self.name)}:{line}: {message}")


def read_dockerfile(
    text: str,
    *,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    platform: str | None = None,
    name: str = "Dockerfile",
) -> DockerfileReading:
    """Read ``text`` as Docker would build it with ``build_args`` for ``target``.

    Args:
        text: the Dockerfile.
        build_args: the build args the build is given (``NAME`` → value).
        target: the stage to build; ``None`` builds the last.
        platform: ``os/arch[/variant]`` for the automatic ``TARGET*``/``BUILD*`` args.
        name: how warnings name the file (``Dockerfile``, ``docker/app.Dockerfile``).
    """
    reader = _Reader(name, build_args or {})
    if len(text) > MAX_BYTES:
        reader.warn(1, f"longer than {MAX_BYTES} characters: its COPY sources are not read")
        return DockerfileReading((), None, (), (), tuple(reader.warnings))
    syntax = split_syntax(text)
    reader.escape = syntax.escape
    for line, problem in syntax.problems:
        reader.warn(line, problem)
    reader.global_vars = _platform_args(platform)
    for instruction in syntax.instructions:
        _dispatch(reader, instruction)
    _link_stages(reader)
    stages = tuple(state.stage for state in reader.states)
    target_index = _target(reader, target)
    needed = _needed(reader, target_index)
    copies = tuple(copy for i in needed for copy in reader.states[i].copies)
    copies = tuple(sorted(copies, key=lambda c: c.line))
    mounts = tuple(sorted((m for i in needed for m in reader.states[i].mounts), key=_line))
    return DockerfileReading(
        stages,
        target_index,
        needed,
        copies,
        tuple(reader.warnings),
        syntax.escape,
        syntax.syntax,
        mounts,
    )


def _line(copy: Copy) -> int:
    return copy.line


def _platform_args(platform: str | None) -> dict[str, str]:
    if not platform:
        return {}
    parts = platform.split("/")
    os_, arch = parts[0], parts[1] if len(parts) > 1 else ""
    variant = parts[2] if len(parts) > 2 else ""
    values: dict[str, str] = {}
    for prefix in ("TARGET", "BUILD"):
        values[f"{prefix}PLATFORM"] = platform
        values[f"{prefix}OS"] = os_
        values[f"{prefix}ARCH"] = arch
        values[f"{prefix}VARIANT"] = variant
    return values


def _dispatch(reader: _Reader, instruction: Instruction) -> None:
    command = instruction.command
    if command == "from":
        _from(reader, instruction)
    elif not reader.states:
        if command == "arg":
            _arg(reader, instruction, None)
        else:
            reader.warn(instruction.line, f"{instruction.keyword} before the first FROM")
    elif command == "arg":
        _arg(reader, instruction, reader.states[-1])
    elif command == "env":
        _env(reader, instruction, reader.states[-1])
    elif command in ("copy", "add"):
        _copy(reader, instruction, reader.states[-1])
    elif command == "run":
        _run_mounts(reader, instruction, reader.states[-1])


def _expand(
    reader: _Reader, word: str, env: Mapping[str, str], line: int, what: str
) -> tuple[str, frozenset[str]] | None:
    try:
        expanded = expand_word(word, env, reader.escape)
    except WordError as exc:
        reader.warn(line, f"cannot expand {_show(word)} in {what}: {exc}")
        return None
    return expanded.text, expanded.unset


def _from(reader: _Reader, instruction: Instruction) -> None:
    words = whitespace_words(instruction.args)
    line = instruction.line
    platform = _from_platform(reader, instruction)
    name: str | None = None
    if len(words) == 3 and words[1].lower() == "as":
        name = words[2].lower()
    elif len(words) != 1:
        reader.warn(line, f"FROM {_show(instruction.args)}: expected an image and AS <name>")
        if not words:
            words = ["scratch"]
    expanded = _expand(reader, words[0], reader.global_vars, line, "FROM")
    base = expanded[0] if expanded is not None else words[0]
    parent = _stage_named(reader, base, before=len(reader.states))
    index = len(reader.states)
    stage = Stage(index, name, base, line, parent, platform)
    if parent is not None:
        source = reader.states[parent]
        env = {k: v for k, v in source.vars.items() if k in source.env_names}
        state = _StageState(stage, env, set(source.env_names), source.env_known, {parent})
    else:
        state = _StageState(stage, {}, set(), base.lower() == "scratch")
    reader.states.append(state)


def _from_platform(reader: _Reader, instruction: Instruction) -> str | None:
    """``FROM --platform=``'s value, substituted (the automatic ``BUILDPLATFORM`` included)."""
    values = [v for k, _, v in (f.partition("=") for f in instruction.flags) if k == "platform"]
    if not values:
        return None
    expanded = _expand(reader, values[-1], reader.global_vars, instruction.line, "FROM --platform")
    return expanded[0] if expanded is not None else values[-1]


def _stage_named(reader: _Reader, ref: str, *, before: int) -> int | None:
    lowered = ref.lower()
    for state in reader.states[:before]:
        if state.stage.name is not None and state.stage.name == lowered:
            return state.stage.index
    return None


def _arg(reader: _Reader, instruction: Instruction, state: _StageState | None) -> None:
    env = reader.global_vars if state is None else state.vars
    for word in split_words(instruction.args, reader.escape):
        key, has_default, default = word.partition("=")
        if not key:
            reader.warn(instruction.line, f"ARG {_show(word)}: no name")
            continue
        value: str | None
        if key in reader.build_args:
            value = reader.build_args[key]
        elif has_default:
            expanded = _expand(reader, default, env, instruction.line, f"ARG {key}")
            value = expanded[0] if expanded is not None else None
        else:
            value = reader.global_vars.get(key) if state is not None else None
        if value is None:
            continue
        if state is None:
            reader.global_vars[key] = value
        elif key not in state.env_names:  # ENV overrides ARG of the same name
            state.vars[key] = value


def _env(reader: _Reader, instruction: Instruction, state: _StageState) -> None:
    words = split_words(instruction.args, reader.escape)
    if not words:
        return
    pairs: list[tuple[str, str]] = []
    if "=" not in words[0]:
        first = whitespace_words(instruction.args)
        rest = instruction.args.lstrip("\t\v\f\r ")[len(first[0]) :].lstrip("\t\v\f\r ")
        pairs.append((first[0], rest))
    else:
        for word in words:
            key, sep, value = word.partition("=")
            if not sep or not key:
                reader.warn(instruction.line, f"ENV {_show(word)}: expected name=value")
                return
            pairs.append((key, value))
    updates: dict[str, str] = {}
    for key, raw in pairs:
        expanded = _expand(reader, raw, state.vars, instruction.line, f"ENV {key}")
        updates[key] = expanded[0] if expanded is not None else raw
    state.vars.update(updates)
    state.env_names.update(updates)


def _show(text: str) -> str:
    shown = one_line(text)
    return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"


_COPY_FLAGS = frozenset(
    {"from", "chown", "chmod", "link", "parents", "exclude", "checksum", "keep-git-dir", "unpack"}
)
_BOOL_FALSE = ("false", "0")


def _copy(reader: _Reader, instruction: Instruction, state: _StageState) -> None:
    keyword = instruction.keyword
    flags = _flags(reader, instruction)
    words = json_words(instruction.args)
    if words is None:
        words = whitespace_words(instruction.args)
    shown = _show(" ".join([keyword, *("--" + f for f in instruction.flags), instruction.args]))
    if len(words) < 2:
        reader.warn(instruction.line, f"{shown}: expected sources and a destination")
        return
    heredoc_names = {h.name for h in instruction.heredocs}
    sources: list[str] = []
    remote: list[str] = []
    heredocs: list[str] = []
    for word in words[:-1]:
        heredoc = parse_heredoc(word)
        if heredoc is not None and heredoc.name in heredoc_names:
            heredocs.append(heredoc.name)
            continue
        expanded = _expand(reader, word, state.vars, instruction.line, keyword)
        if expanded is None:
            continue
        text, unset = expanded
        if unset and not state.env_known:
            names = ", ".join(sorted(unset))
            reader.warn(
                instruction.line,
                f"{shown}: {_show(names)} not set in this Dockerfile (read as empty; "
                "the base image may set it)",
            )
        if keyword == "ADD" and _is_remote(text):
            remote.append(text)
        else:
            sources.append(text)
    from_ = flags["from"][-1] if "from" in flags else None
    if from_ is not None:
        state.refs.append(from_)
    parents = flags.get("parents", ["false"])[-1].lower() not in _BOOL_FALSE
    copy = Copy(
        instruction=keyword,
        line=instruction.line,
        stage=state.stage.index,
        shown=shown,
        sources=tuple(sources),
        remote=tuple(remote),
        heredocs=tuple(heredocs),
        from_=from_,
        parents=parents,
        excludes=tuple(flags.get("exclude", [])),
    )
    state.copies.append(copy)


def _flags(reader: _Reader, instruction: Instruction) -> dict[str, list[str]]:
    flags: dict[str, list[str]] = {}
    for flag in instruction.flags:
        key, sep, value = flag.partition("=")
        if key not in _COPY_FLAGS:
            reader.warn(instruction.line, f"{instruction.keyword} flag --{_show(key)} is not known")
            continue
        flags.setdefault(key, []).append(value if sep else "true")
    return flags


def _resolve_ref(reader: _Reader, ref: str, state: _StageState) -> int | None:
    """The stage ``--from=ref`` names (by index or by name, anywhere in the file), else None."""
    if ref.isdigit():
        index = int(ref)
        return index if index < len(reader.states) and index != state.stage.index else None
    lowered = ref.lower()
    for other in reader.states:
        if other.stage.name == lowered and other is not state:
            return other.stage.index
    return None


def _link_stages(reader: _Reader) -> None:
    """Resolve ``--from`` references once every stage is known (a later stage may be named)."""
    for state in reader.states:
        for ref in state.refs:
            index = _resolve_ref(reader, ref, state)
            if index is not None:
                state.deps.add(index)
        state.copies = [
            copy._replace(from_stage=_resolve_ref(reader, copy.from_, state))
            if copy.from_ is not None
            else copy
            for copy in state.copies
        ]


def _is_remote(source: str) -> bool:
    lowered = source.lower()
    if lowered.startswith(("http://", "https://", "git://", "ssh://", "git@", "github.com/")):
        return True
    user, at, rest = source.partition("@")
    host, colon, _ = rest.partition(":")
    return bool(at and colon and user and host and "/" not in user and "/" not in host)


def _run_mounts(reader: _Reader, instruction: Instruction, state: _StageState) -> None:
    """``--mount=from=<stage>`` is a dependency; a bind mount of the context reads its files."""
    for flag in instruction.flags:
        key, _, value = flag.partition("=")
        if key != "mount":
            continue
        fields: dict[str, str] = {}
        for field_ in value.split(","):
            name, _, written = field_.partition("=")
            fields[name.strip().lower()] = written.strip()
        if fields.get("from"):
            state.refs.append(fields["from"])
        elif fields.get("type", "bind") == "bind":
            source = fields.get("source", fields.get("src", "")) or "."
            expanded = _expand(reader, source, state.vars, instruction.line, "RUN --mount")
            if expanded is not None:
                shown = _show(" ".join(["RUN", *("--" + f for f in instruction.flags)]))
                mount = Copy("RUN", instruction.line, state.stage.index, shown, (expanded[0],))
                state.mounts.append(mount)


def _target(reader: _Reader, target: str | None) -> int | None:
    if not reader.states:
        return None
    if target is None:
        return len(reader.states) - 1
    lowered = target.lower()
    for state in reader.states:
        if state.stage.name == lowered:
            return state.stage.index
    reader.warn(1, f"target stage {_show(target)} is not in this Dockerfile: reading the last")
    return len(reader.states) - 1


def _needed(reader: _Reader, target: int | None) -> tuple[int, ...]:
    if target is None:
        return ()
    seen = {target}
    todo = [target]
    while todo:
        current = reader.states[todo.pop()]
        for dep in current.deps:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return tuple(sorted(seen))
