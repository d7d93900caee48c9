"""The ``ecr-cache`` command: argument parsing, dispatch, and errors turned into exit codes.

Each subcommand lives in :mod:`ecr_cache_tui.commands` as a module with ``add_arguments`` and
``run``. Those modules import nothing heavy at module level (boto3, docker, textual are imported
inside ``run``), so ``ecr-cache hook pre-command`` pays only for what the hook uses and never
imports ``textual``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

from ecr_cache_tui import __version__
from ecr_cache_tui.commands.guard import EXIT_BROKEN_PIPE, guarded
from ecr_cache_tui.errors import EXIT_BAD_INPUT, one_line

__all__ = ["EXIT_BROKEN_PIPE", "main"]

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

    def run() -> int:
        args_list = sys.argv[1:] if argv is None else list(argv)
        named = args_list[0] if args_list and args_list[0] in _NAMES else None
        parser = build_parser(only=named)
        args = parser.parse_args(args_list)
        code: int = args._run(args)
        return code

    return guarded(run)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
