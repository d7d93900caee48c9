"""`ecr-cache hook` (not yet implemented)."""

from __future__ import annotations

import argparse

from ecr_cache_tui.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    raise UsageError("ecr-cache hook is not implemented yet")
