"""Every command's frame: standard streams mended, errors turned into exit codes, no traceback.

Apart from :mod:`ecr_cache_tui.cli` (argparse) so that ``hooks/pre-command``, which calls the hook
with a fixed command line (:func:`ecr_cache_tui.shim.from_shim`), gets the same frame
without importing argparse (and the ``gettext``, ``locale`` and ``shutil`` it brings): a local
hit is timed in milliseconds.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ecr_cache_tui.commands.hints import cli_hint
from ecr_cache_tui.errors import EXIT_BAD_INPUT, EcrCacheError

__all__ = ["EXIT_BROKEN_PIPE", "guarded"]

#: The exit status when the reader of stdout went away (``ecr-cache ls | head -1``): what a
#: shell reports for a program killed by SIGPIPE (128 + 13), without the traceback.
EXIT_BROKEN_PIPE = 141


def guarded(run: Callable[[], int]) -> int:
    """``run()``'s exit code; an :class:`EcrCacheError` is one line on stderr and its code.

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
        code = run()
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
