"""What the CLI adds to a core error: the command or flag that helps (the core names none).

:func:`ecr_cache_tui.cli.main` prints ``ecr-cache: <error><hint>``; the TUI adds hints of its own.
"""

from __future__ import annotations

from ecr_cache_tui.errors import (
    EcrCacheError,
    NoPolicies,
    OutsidePrefix,
    RepositoryNotFound,
    TagNotFound,
)

__all__ = ["cli_hint"]


def cli_hint(error: EcrCacheError) -> str:
    """The text to append to ``error``'s message on the command line ('' when none helps)."""
    if isinstance(error, TagNotFound) and error.repository:
        return f" (`ecr-cache ls {error.repository}` lists its tags)"
    if isinstance(error, RepositoryNotFound) and error.looked_up:
        return "; `ecr-cache ls` lists the cached pipelines"
    if isinstance(error, NoPolicies):
        return f" (`ecr-cache prune {error.repository} --max-age-days N`)"
    if isinstance(error, OutsidePrefix):
        return "; refusing to change it without --force"
    return ""
