"""``ecr-cache checksum``: the cache tag and inputs manifest of a plugin configuration.

The configuration comes from ``--config '<json>'``, ``--config-file FILE`` (JSON, or YAML: a
plain mapping of options, a ``{<plugin ref>: {options}}`` mapping, or a ``pipeline.yml`` with
one ``ecr-cache`` block; see :mod:`ecr_cache_tui.config.sources`), else from the job's
environment exactly as the hook reads it. The tag is computed by the same
:func:`ecr_cache_tui.config.parse`/:func:`~ecr_cache_tui.config.load` and
:func:`ecr_cache_tui.cachekey.checksum.compute` calls the hook makes, so it is the tag the hook
would use.

Data goes to stdout (the tag then the manifest, or ``--json``); warnings to stderr, then, without
``cache-on-copied``, one collapsed group (``~~~``) naming each ``COPY``/``ADD`` source that no
``cache-on`` pattern covers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ecr_cache_tui.errors import UsageError, one_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ecr_cache_tui.cachekey.inputs import Manifest
    from ecr_cache_tui.config import PluginConfig


def add_config_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--config``/``--config-file``, read by :func:`ecr_cache_tui.config.sources.from_cli`."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--config",
        metavar="JSON",
        help="the plugin's options as a JSON object (default: the job's environment, as the "
        "hook reads it)",
    )
    source.add_argument(
        "--config-file",
        metavar="FILE",
        type=Path,
        help="a JSON or YAML file: options, or a pipeline.yml with one ecr-cache plugin block",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    add_config_arguments(parser)
    parser.add_argument(
        "--platform",
        metavar="OS/ARCH",
        help="platform to hash (default: the platform option, else the Docker daemon's own)",
    )
    parser.add_argument(
        "--checkout",
        metavar="DIR",
        type=Path,
        help="the checkout the paths are relative to (default: the current directory)",
    )
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also the base images' digests, the COPY/ADD sources not in the key, and the "
        "cached tag nearest to this checkout with each input that differs (asks the registry)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the tag and the inputs manifest."""
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.cachekey.checksum import compute, resolve_platform  # noqa: PLC0415
    from ecr_cache_tui.cachekey.copied_inputs import key_misses  # noqa: PLC0415
    from ecr_cache_tui.config import check_platform, load_from  # noqa: PLC0415
    from ecr_cache_tui.config.sources import from_cli, own_plugin_dir  # noqa: PLC0415
    from ecr_cache_tui.wiring import checksum_base_images  # noqa: PLC0415

    env = dict(os.environ)
    checkout: Path = args.checkout if args.checkout is not None else Path.cwd()
    if not checkout.is_dir():
        raise UsageError(f"--checkout: {str(checkout)!r} is not valid: expected a directory")
    cli_platform = check_platform("--platform", args.platform) if args.platform else None
    # The region is neither hashed nor used here, so the AWS profile is not asked for it; and
    # the repository is not needed, so this also works outside a job (no pipeline slugs).
    raw = from_cli(args.config, args.config_file)
    config = load_from(raw, env, checkout, repository_required=False, plugin_dir=own_plugin_dir())
    platform = cli_platform or resolve_platform(config, lambda: _daemon_platform(env))
    warnings: list[str] = []
    bases = checksum_base_images(config, env, checkout, platform=platform, warn=warnings.append)
    result = compute(config, checkout, platform=platform, base_images=bases)
    for warning in (*warnings, *result.warnings):
        _write(sys.stderr, f"warning: {warning}")
    misses = key_misses(config, checkout, result.manifest, platform=platform)
    if args.explain:
        return _explain(config, result.manifest, misses.lines, as_json=args.json)
    if misses.lines:
        _write(sys.stderr, one_line(f"~~~ ecr-cache: {misses.title}"))
        for line in misses.lines:
            _write(sys.stderr, one_line(line))
    if args.json:
        _write(sys.stdout, json.dumps(result.manifest.to_dict(), indent=2, ensure_ascii=False))
    else:
        _write(sys.stdout, "\n".join([result.tag, *result.manifest.render()]))
    return 0


def _explain(
    config: PluginConfig, manifest: Manifest, uncovered: Sequence[str], *, as_json: bool
) -> int:
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.commands._explain import explain, render, to_json  # noqa: PLC0415
    from ecr_cache_tui.wiring import open_service  # noqa: PLC0415

    found = explain(
        config,
        manifest,
        uncovered,
        service=lambda: open_service(
            region=config.region,
            registry_hostname=config.registry_hostname,
            account_id=config.account_id,
            registry_provider=config.registry_provider,
        ),
    )
    if as_json:
        _write(sys.stdout, json.dumps(to_json(found), indent=2, ensure_ascii=True))
    else:
        _write(sys.stdout, "\n".join([manifest.tag, *manifest.render(), *render(found)]))
    return 0


def _write(stream: TextIO, text: str) -> None:
    """Write UTF-8 whatever the locale: paths are UTF-8 (undecodable bytes kept as they were)."""
    stream.flush()
    stream.buffer.write(text.encode("utf-8", "surrogateescape") + b"\n")
    stream.buffer.flush()


def _daemon_platform(env: dict[str, str]) -> str:
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.wiring import daemon_platform  # noqa: PLC0415

    return daemon_platform(env)
