"""``ecr-cache hook pre-command``: what ``hooks/pre-command`` runs.

This is the one place hook mode reads the process environment: it is read here, once, and
passed into the configuration loader and the flow (:mod:`ecr_cache_tui.hook.flow`), which never
touch ``os.environ`` themselves. Heavy modules (boto3, docker) are imported inside :func:`run`.

On success (a hit, a miss that built and pushed, or one whose push failed) the variables to
export are written to ``--export-file`` as ``NAME\\0VALUE\\0`` records
(:mod:`ecr_cache_tui.hook.exports`); on failure nothing is written and the exit code says why
(1 build failed, 2 bad input, 3 AWS or registry, 4 Docker daemon unreachable).

Environment read here besides the plugin's configuration: ``ECR_CACHE_DOCKER_CLI`` (the docker
CLI to build with; ``docker`` on PATH by default), ``ECR_CACHE_FORCE_REBUILD`` (via the loader),
``BUILDKITE_JOB_ID`` (the annotation's context), ``DOCKER_HOST`` and the AWS variables (through
docker-py and boto3).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ecr_cache_tui.errors import DaemonUnreachable, UsageError

if TYPE_CHECKING:
    from ecr_cache_tui.adapters.ecr import Ecr
    from ecr_cache_tui.adapters.engine import Credentials
    from ecr_cache_tui.adapters.registry import RegistryClient
    from ecr_cache_tui.config import PluginConfig
    from ecr_cache_tui.hook.flow import HookResult

__all__ = ["add_arguments", "run"]

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
    env = dict(os.environ)
    checkout = (args.checkout or Path.cwd()).resolve()
    return run_hook(env, checkout, args.export_file)


def run_hook(env: Mapping[str, str], checkout: Path, export_file: Path) -> int:
    """Load and validate the configuration, wire the adapters, run the flow, write the exports."""
    from ecr_cache_tui.adapters.aws import profile_region  # noqa: PLC0415
    from ecr_cache_tui.config import load  # noqa: PLC0415
    from ecr_cache_tui.hook.exports import write_exports  # noqa: PLC0415

    # Step 1: every option validated before anything has a side effect.
    plugin = load(env, checkout, profile_region=lambda: profile_region(env))
    result = run_configured(plugin, env, checkout)
    write_exports(export_file, result.exports)
    return 0


def run_configured(plugin: PluginConfig, env: Mapping[str, str], checkout: Path) -> HookResult:
    """Wire the adapters for a validated configuration and run the flow (also what
    ``ecr-cache rebuild --here`` runs, with ``force_rebuild`` set)."""
    from ecr_cache_tui.adapters.buildkite import Buildkite  # noqa: PLC0415
    from ecr_cache_tui.adapters.dockerconfig import DockerConfig  # noqa: PLC0415
    from ecr_cache_tui.adapters.engine import DockerCli, Engine, docker_client  # noqa: PLC0415
    from ecr_cache_tui.checksum import compute  # noqa: PLC0415
    from ecr_cache_tui.hook.flow import HookDeps, run_pre_command  # noqa: PLC0415
    from ecr_cache_tui.hook.log import HookLog  # noqa: PLC0415

    log = HookLog(sys.stdout)
    cli_path = env.get("ECR_CACHE_DOCKER_CLI") or shutil.which("docker", path=env.get("PATH"))
    if not cli_path:
        raise DaemonUnreachable("no docker CLI on PATH (set ECR_CACHE_DOCKER_CLI)")
    engine = Engine(docker_client(env))
    docker_config = DockerConfig.load(env)

    def stored_login(host: str, helpers_only: bool) -> Credentials | None:
        return docker_config.credentials(host, helpers_only=helpers_only)

    buildkite = Buildkite(env)
    deps = HookDeps(
        engine=engine,
        builder=DockerCli(cli_path, env),
        registry=_registry_factory,
        ecr=_ecr(plugin),
        stored_login=stored_login,
        checksum=compute,
        log=log,
        clock=time.monotonic,
        sleep=time.sleep,
        annotator=buildkite if buildkite.available else None,
        annotation_context=f"ecr-cache-{env.get('BUILDKITE_JOB_ID', 'job')}",
    )
    return run_pre_command(plugin, checkout, env=env, deps=deps)


def _registry_factory(host: str, login: Credentials | None) -> RegistryClient:
    from ecr_cache_tui.adapters.registry import RegistryClient  # noqa: PLC0415

    return RegistryClient(host, (login.username, login.password) if login else None)


def _ecr(plugin: PluginConfig) -> Ecr | None:
    if plugin.registry_provider != "ecr":
        return None
    from ecr_cache_tui.adapters.aws import ecr_client  # noqa: PLC0415
    from ecr_cache_tui.adapters.ecr import Ecr  # noqa: PLC0415

    return Ecr(ecr_client(plugin.region), registry_id=plugin.account_id)
