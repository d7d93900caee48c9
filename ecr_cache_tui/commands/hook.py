"""``ecr-cache hook pre-command``: what ``hooks/pre-command`` runs.

This is the one place hook mode reads the process environment: it is read here, once, and
passed into the configuration loader and the flow (:mod:`ecr_cache_tui.hook.flow`), which never
touch ``os.environ`` themselves. The adapters are wired by :mod:`ecr_cache_tui.wiring`.

On success (a hit, a miss that built and pushed, or one whose push failed) the variables to
export are written to ``--export-file`` as ``NAME\\0VALUE\\0`` records
(:mod:`ecr_cache_tui.hook.exports`); on failure nothing is written and the exit code says why
(1 build failed, 2 bad input, 3 AWS or registry, 4 Docker daemon unreachable).

The configuration comes from ``BUILDKITE_PLUGIN_CONFIGURATION``, this plugin's entry in
``BUILDKITE_PLUGINS`` (found by ``--plugin-dir``, the directory the shim runs from) or the
flattened variables (:mod:`ecr_cache_tui.config.sources`). Environment read here besides:
this plugin's own settings (:mod:`ecr_cache_tui.config.variables` names them: the docker CLI,
the retry budget, the wait for another job's build; read by :mod:`ecr_cache_tui.config.settings`,
and the rebuild switch, by the loader), ``BUILDKITE_STEP_KEY``/``BUILDKITE_STEP_ID``/
``BUILDKITE_JOB_ID``, ``BUILDKITE_LABEL``, ``BUILDKITE_PARALLEL_JOB``/``_COUNT`` and
``BUILDKITE_BUILD_URL`` (the annotation's context and line, :mod:`ecr_cache_tui.hook.annotation`),
``DOCKER_HOST`` and the AWS variables (through docker-py and boto3; ``DOCKER_HOST``,
``DOCKER_CONTEXT`` and the Docker config's ``currentContext`` also pick the daemon's socket),
``XDG_STATE_HOME``/``HOME`` (where the host's state and build locks live),
and ``BUILDKITE_AGENT_NAME`` (written into a build lock for the jobs that wait).

Cancelled (SIGTERM or SIGINT, which the agent sends to the job's process group): the build or
push in progress is stopped, temporary files are removed, nothing more is pushed and the exit
code is 143 or 130 (:mod:`ecr_cache_tui.cancel`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ecr_cache_tui.cancel import Cancelled, cancellable
from ecr_cache_tui.errors import UsageError

if TYPE_CHECKING:  # the shim's path (ecr_cache_tui.shim) never imports argparse
    import argparse

__all__ = ["add_arguments", "run", "run_hook_command"]

HOOKS = ("pre-command",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("hook", metavar="HOOK", help="the Buildkite hook to run: pre-command")
    parser.add_argument(
        "--export-file",
        type=Path,
        required=True,
        metavar="PATH",
        help="write the variables to export here, as NAME\\0VALUE\\0 records",
    )
    parser.add_argument(
        "--plugin-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the plugin's checkout, whose entry in BUILDKITE_PLUGINS is this hook's "
        "(default: the checkout this package runs from)",
    )
    parser.add_argument(
        "--checkout",
        type=Path,
        default=None,
        metavar="DIR",
        help="the job's checkout (default: the current directory)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the hook with the process environment; see the module docs."""
    if args.hook not in HOOKS:
        raise UsageError(f"hook: {args.hook!r} is not supported (allowed: {', '.join(HOOKS)})")
    return run_hook_command(args.export_file, args.plugin_dir, args.checkout)


def run_hook_command(export_file: Path, plugin_dir: Path | None, checkout: Path | None) -> int:
    """The hook with the process environment: ``hook pre-command`` however it was parsed."""
    env = dict(os.environ)
    where = (checkout or Path.cwd()).resolve()
    with cancellable():
        try:
            return run_hook(env, where, export_file, plugin_dir=plugin_dir)
        except Cancelled as cancel:
            print(f"ecr-cache: {cancel}: stopped; nothing more is pushed", file=sys.stderr)
            return cancel.exit_code


def run_hook(
    env: Mapping[str, str], checkout: Path, export_file: Path, *, plugin_dir: Path | None = None
) -> int:
    """Load and validate the configuration, wire the adapters, run the flow, write the exports."""
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.config import load  # noqa: PLC0415
    from ecr_cache_tui.config.settings import hook_settings  # noqa: PLC0415
    from ecr_cache_tui.config.sources import own_plugin_dir  # noqa: PLC0415
    from ecr_cache_tui.hook.exports import write_exports  # noqa: PLC0415
    from ecr_cache_tui.wiring import profile_region, run_hook_flow  # noqa: PLC0415

    # Step 1: every option validated before anything has a side effect.
    plugin = load(
        env,
        checkout,
        profile_region=lambda: profile_region(env),
        plugin_dir=plugin_dir or own_plugin_dir(),
    )
    result = run_hook_flow(plugin, hook_settings(env), env, checkout)
    write_exports(export_file, result.exports)
    return 0
