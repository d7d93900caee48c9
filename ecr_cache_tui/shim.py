"""What ``hooks/pre-command`` runs: :func:`from_shim`, the shim's fixed command line straight to
the hook, any other line to the ``ecr-cache`` CLI.

Apart from :mod:`ecr_cache_tui.cli` (which it calls for other lines) and from the hook command
(which the CLI calls too), so neither imports the other's caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from ecr_cache_tui.commands.guard import guarded
from ecr_cache_tui.commands.hook import run_hook_command

__all__ = ["from_shim"]


def from_shim(argv: Sequence[str]) -> int:
    """What ``hooks/pre-command`` runs: ``argv`` is the command line after the program name.

    The shim's own line (``hook pre-command --export-file FILE --plugin-dir DIR``) runs the hook
    in :func:`ecr_cache_tui.commands.guard.guarded`, as ``ecr-cache`` would, without argparse;
    any other line goes to :func:`ecr_cache_tui.cli.main`.
    """
    if (
        len(argv) == 6
        and argv[:3] == ["hook", "pre-command", "--export-file"]
        and argv[4] == "--plugin-dir"
        and argv[3]
        and argv[5]
    ):
        export_file, plugin_dir = Path(argv[3]), Path(argv[5])
        return guarded(partial(run_hook_command, export_file, plugin_dir, None))
    # lazy: the shim's own line never parses arguments (no argparse, gettext or locale)
    from ecr_cache_tui.cli import main  # noqa: PLC0415

    return main(list(argv))
