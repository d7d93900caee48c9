"""``ecr-cache rebuild --here``: build the checkout's current tag now and push it."""

from __future__ import annotations

import argparse

from ecr_cache_tui.errors import UsageError


def rebuild_here(args: argparse.Namespace) -> int:
    """Build with ``--pull --no-cache`` and push over the cached tag."""
    raise UsageError("rebuild --here is not implemented yet")
