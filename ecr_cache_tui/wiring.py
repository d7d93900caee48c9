"""The composition root: which adapter serves which protocol of :mod:`ecr_cache_tui.ports`.

The commands call these and nothing else to get a working core: :func:`run_hook_flow` for the
hook (and ``ecr-cache rebuild --here``), :func:`open_service` for the maintainers' commands and
the TUI. Every adapter is imported inside the function that needs it, so a command pays only
for what it uses (``--help`` imports neither botocore nor docker).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ecr_cache_tui.config.options import CACHE_PREFIX, DEFAULT_REGION
from ecr_cache_tui.errors import DaemonUnreachable

if TYPE_CHECKING:
    from ecr_cache_tui.config import PluginConfig
    from ecr_cache_tui.hook.flow import HookResult
    from ecr_cache_tui.model import Credentials
    from ecr_cache_tui.ports import EcrApi, RegistryApi
    from ecr_cache_tui.service import CacheService

__all__ = ["open_service", "profile_region", "run_hook_flow", "service_region"]


def profile_region(env: Mapping[str, str]) -> str | None:
    """The AWS profile's region, asked of botocore only when the configuration needs it."""
    from ecr_cache_tui.adapters.aws import profile_region as from_profile  # noqa: PLC0415

    return from_profile(env)


def service_region(region: str | None, profile: str | None) -> str:
    """``region``, else what botocore finds (environment, the profile), else the default.

    Raises:
        ConfigError: ``profile`` is not a configured AWS profile.
    """
    if region:
        return region
    from ecr_cache_tui.adapters.aws import session_region  # noqa: PLC0415

    return session_region(profile) or DEFAULT_REGION


def run_hook_flow(plugin: PluginConfig, env: Mapping[str, str], checkout: Path) -> HookResult:
    """Wire the real adapters for a validated configuration and run the pre-command flow."""
    from ecr_cache_tui.adapters.buildkite import Buildkite  # noqa: PLC0415
    from ecr_cache_tui.adapters.docker_cli import DockerCli  # noqa: PLC0415
    from ecr_cache_tui.adapters.docker_daemon import Engine, docker_client  # noqa: PLC0415
    from ecr_cache_tui.adapters.dockerconfig import DockerConfig  # noqa: PLC0415
    from ecr_cache_tui.cachekey.checksum import compute  # noqa: PLC0415
    from ecr_cache_tui.hook.annotation import job_label, step_context  # noqa: PLC0415
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
        registry=_registry_client,
        ecr=_hook_ecr(plugin),
        stored_login=stored_login,
        checksum=compute,
        log=log,
        clock=time.monotonic,
        sleep=time.sleep,
        annotator=buildkite if buildkite.available else None,
        annotation_context=step_context(env),
        annotation_job=job_label(env),
    )
    return run_pre_command(plugin, checkout, env=env, deps=deps)


def open_service(
    *,
    region: str | None = None,
    profile: str | None = None,
    prefix: str = CACHE_PREFIX,
    registry_hostname: str | None = None,
    account_id: str | None = None,
    clock: Callable[[], datetime] | None = None,
    interactive: bool = False,
) -> CacheService:
    """A :class:`~ecr_cache_tui.service.CacheService` on real AWS (``ls|rebuild|policy|diff|tui``).

    Endpoints and credentials come from botocore's own configuration (``AWS_ENDPOINT_URL_ECR``
    reaches moto in tests). ``interactive`` (the TUI): fewer retries and a short connect
    timeout, so an unreachable endpoint is reported in a second or two rather than ~13 s
    (``r`` retries).
    """
    from ecr_cache_tui.adapters.aws import ecr_client  # noqa: PLC0415
    from ecr_cache_tui.adapters.ecr import Ecr  # noqa: PLC0415
    from ecr_cache_tui.adapters.labels import RegistryLabelReader  # noqa: PLC0415
    from ecr_cache_tui.service import CacheService  # noqa: PLC0415

    client = (
        ecr_client(region, profile, max_attempts=3, connect_timeout=3)
        if interactive
        else ecr_client(region, profile)
    )
    ecr = Ecr(client, registry_id=account_id)
    labels = RegistryLabelReader(ecr, registry_hostname=registry_hostname)
    if clock is None:
        return CacheService(ecr, labels, prefix=prefix, registry_hostname=registry_hostname)
    return CacheService(
        ecr, labels, prefix=prefix, clock=clock, registry_hostname=registry_hostname
    )


def _registry_client(host: str, login: Credentials | None) -> RegistryApi:
    from ecr_cache_tui.adapters.registry import RegistryClient  # noqa: PLC0415

    return RegistryClient(host, (login.username, login.password) if login else None)


def _hook_ecr(plugin: PluginConfig) -> EcrApi | None:
    if plugin.registry_provider != "ecr":
        return None
    from ecr_cache_tui.adapters.aws import ecr_client  # noqa: PLC0415
    from ecr_cache_tui.adapters.ecr import Ecr  # noqa: PLC0415

    return Ecr(ecr_client(plugin.region), registry_id=plugin.account_id)
