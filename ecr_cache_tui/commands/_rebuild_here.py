"""``ecr-cache rebuild --here``: build the checkout's current tag now and push it over the cache.

The hook's own flow does the work, with ``force-rebuild`` on (SPEC §2.1): the configuration is
read and validated as the hook and ``ecr-cache checksum`` read it (``--config``,
``--config-file``, else ``BUILDKITE_PLUGIN_CONFIGURATION`` and friends), the tag is computed by
the same checksum, the image is built with ``--pull --no-cache`` and pushed (with ``latest``
unless ``push-latest: false``). So the replaced image is exactly what the next build of the
pipeline will find, e.g. after a base-image security patch, without waiting for expiry.

Outside a Buildkite job the default repository name needs the organisation and pipeline slugs:
``rebuild --here acme/web`` gives them (``ecr-name`` in the configuration also works). Unlike the
hook, a failed push is an error here (exit 3): the cached image was not replaced.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ecr_cache_tui.config.options import normalise_prefix
from ecr_cache_tui.config.variables import FORCE_REBUILD
from ecr_cache_tui.errors import RegistryError, UsageError

__all__ = ["rebuild_here"]


def rebuild_here(args: argparse.Namespace) -> int:
    """Build with ``--pull --no-cache`` and push over the cached tag."""
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.config import load_from  # noqa: PLC0415
    from ecr_cache_tui.config.settings import hook_settings  # noqa: PLC0415
    from ecr_cache_tui.config.sources import from_cli, own_plugin_dir  # noqa: PLC0415
    from ecr_cache_tui.wiring import profile_region, run_hook_flow  # noqa: PLC0415

    for option, value in (("--tag", args.tag), ("--all", args.all), ("--dry-run", args.dry_run)):
        if value:
            raise UsageError(f"{option}: not used with --here (which rebuilds the current tag)")
    if args.account_id:
        raise UsageError("--account-id: not used with --here; set account-id in the configuration")
    checkout = Path(args.checkout).resolve()
    if not checkout.is_dir():
        raise UsageError(f"--checkout: {str(checkout)!r} is not valid: expected a directory")
    env = _environment(dict(os.environ), args)
    pipeline = _pipeline(args)
    plugin = load_from(
        from_cli(args.config, args.config_file),
        env,
        checkout,
        pipeline=pipeline,
        profile_region=lambda: profile_region(env),
        plugin_dir=own_plugin_dir(),
    )
    settings = hook_settings(env)
    result = run_hook_flow(plugin._replace(force_rebuild=True), settings, env, checkout)
    if not result.pushed:
        raise RegistryError(
            f"built {result.reference} but could not push it: the cached image was not replaced"
        )
    return 0


def _environment(env: dict[str, str], args: argparse.Namespace) -> dict[str, str]:
    """The job-like environment the configuration is read from (the process's, adjusted)."""
    env[FORCE_REBUILD] = "true"
    if args.region:
        env["AWS_REGION"] = args.region
    if args.profile:
        env["AWS_PROFILE"] = args.profile
    return env


def _pipeline(args: argparse.Namespace) -> tuple[str, str] | None:
    """PIPELINE as the organisation and pipeline slugs of the default ``ecr-name``."""
    if not args.pipeline:
        return None
    prefix = normalise_prefix(args.prefix)
    name = args.pipeline.strip("/")
    name = name[len(prefix) :] if name.startswith(prefix) else name
    organisation, sep, pipeline = name.partition("/")
    if not sep or not organisation or not pipeline or "/" in pipeline:
        raise UsageError(
            f"PIPELINE: {args.pipeline!r} is not valid with --here: expected org/pipeline "
            "(or set ecr-name in the configuration and leave PIPELINE out)"
        )
    return organisation, pipeline
