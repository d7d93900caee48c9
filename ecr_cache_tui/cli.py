"""The ``ecr-cache`` command: argument parsing, dispatch, and errors turned into exit codes.

Each subcommand lives in :mod:`ecr_cache_tui.commands` as a module with ``add_arguments`` and
``run``. Those modules import nothing heavy at module level (boto3, docker, textual are imported
inside ``run``), so ``ecr-cache hook pre-command`` pays only for what the hook uses and never
imports ``textual``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

from ecr_cache_tui import __version__
from ecr_cache_tui.commands.hints import cli_hint
from ecr_cache_tui.errors import EXIT_BAD_INPUT, EcrCacheError, one_line

#: The exit status when the reader of stdout went away (``ecr-cache ls | head -1``): what a
#: shell reports for a program killed by SIGPIPE (128 + 13), without the traceback.
EXIT_BROKEN_PIPE = 141

__all__ = ["main"]

# (name, module under ecr_cache_tui.commands, one-line help), in the order --help lists them.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("hook", "hook", "run a Buildkite hook (what hooks/pre-command runs)"),
    ("checksum", "checksum", "print the cache tag and inputs manifest for a plugin config"),
    ("ls", "ls", "list cached pipelines, or the tags of one"),
    ("rebuild", "rebuild", "evict cached tags so the next build rebuilds, or rebuild now"),
    ("prune", "prune", "delete images older than a max age by hand (any registry)"),
    ("policy", "policy", "show or set a cache repository's max-age policy"),
    ("diff", "diff", "compare the inputs manifests of two tags"),
    ("tui", "tui", "browse and maintain the caches in a terminal UI"),
)


_NAMES = frozenset(name for name, _, _ in COMMANDS)


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} (see --help)\n")


def _load(module: str) -> _Command:
    return cast(_Command, importlib.import_module(f"ecr_cache_tui.commands.{module}"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser: every subcommand, or only the one named ``only``.

    :func:`main` asks for one when the command line names it, so ``ecr-cache hook`` does not
    import the other commands' modules (a local hit is timed in milliseconds).
    """
    parser = _Parser(
        prog="ecr-cache",
        description="Cache whole Docker images in Amazon ECR, keyed by a checksum of their inputs.",
    )
    parser.add_argument("--version", action="version", version=f"ecr-cache {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, module, help_text in COMMANDS:
        if only is not None and name != only:
            continue
        command = _load(module)
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        command.add_arguments(sub_parser)
        sub_parser.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ecr-cache`` and return its exit code (SPEC §6: 0, 1, 2, 3 or 4).

    Also 2 when stdout is closed (``>&-``: the output would be lost, so nothing is done), and
    :data:`EXIT_BROKEN_PIPE` when the reader of stdout goes away part way; neither prints a
    traceback. A closed stdin reads as empty (a question then gets no answer: exit 2).
    """
    stdout_closed = _mend_standard_streams()
    if stdout_closed:
        print(
            "ecr-cache: stdout is closed: nothing was done (redirect it to /dev/null instead)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        args_list = sys.argv[1:] if argv is None else list(argv)
        named = args_list[0] if args_list and args_list[0] in _NAMES else None
        parser = build_parser(only=named)
        args = parser.parse_args(args_list)
        code = int(args._run(args))
        sys.stdout.flush()  # now, so a reader that left is noticed here and not at exit
        return code
    except EcrCacheError as exc:
        print(f"ecr-cache: {exc}{cli_hint(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ecr-cache: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _mend_standard_streams() -> bool:
    """Give a closed stdin/stdout/stderr ``/dev/null``; True when stdout was the closed one.

    A closed descriptor 0, 1 or 2 would otherwise be reused by the next file opened, so a
    subprocess's output or a question's answer would go to or come from that file; and Python
    sets ``sys.stdin`` to ``None``, which the first ``readline`` turns into ``AttributeError``.
    """
    stdout_closed = False
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        null = os.open(os.devnull, os.O_RDONLY if mode == "r" else os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, mode, closefd=False))  # noqa: SIM115
        stdout_closed = stdout_closed or fd == 1
    return stdout_closed


def _silence_stdout() -> None:
    """Point stdout at ``/dev/null`` so the interpreter's final flush has nowhere to fail."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
