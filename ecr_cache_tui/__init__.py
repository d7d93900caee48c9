"""ecr_cache_tui: cache whole Docker images in Amazon ECR, keyed by a checksum of their inputs.

The package has a headless core (configuration, checksum, lifecycle, the hook's flow and the
maintainers' cache service) with thin adapters for ECR, the registry, the Docker daemon and
Buildkite. The Textual TUI in :mod:`ecr_cache_tui.tui` is a shell over that core; nothing on the
hook's path imports ``textual``.
"""

from __future__ import annotations

__version__ = "1.0.0"

__all__ = ["__version__"]
