"""The composition root: which adapter serves which protocol of :mod:`ecr_cache_tui.ports`.

The commands call these and nothing else to get a working core: :func:`run_hook_flow` for the
hook (and ``ecr-cache rebuild --here``), :func:`open_service` for the maintainers' commands and
the TUI. Every adapter is imported inside the function that needs it, so a command pays only
for what it uses (``--help`` imports neither botocore nor docker).

The hook goes further: its ECR client and docker-py engine are made on first use
(:class:`_Lazy`, :class:`~ecr_cache_tui.adapters.docker_socket.SocketEngine`), so a local hit
on a host that ensured the repository recently imports neither botocore nor docker and makes
no network call: it asks the daemon over its unix socket and reads the host's state.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ecr_cache_tui.config.options import CACHE_PREFIX
from ecr_cache_tui.config.variables import DOCKER_CLI
from ecr_cache_tui.errors import ConfigError, DaemonUnreachable

if TYPE_CHECKING:
    from datetime import datetime

    from ecr_cache_tui.cachekey.baseimages import BaseImage, ImageName
    from ecr_cache_tui.config import PluginConfig
    from ecr_cache_tui.config.settings import HookSettings
    from ecr_cache_tui.hook.types import HookResult
    from ecr_cache_tui.model import Credentials
    from ecr_cache_tui.ports import (
        Annotator,
        BaseImageResolver,
        Builder,
        EcrApi,
        EngineApi,
        HostStateApi,
        LabelReader,
        RegistryApi,
    )
    from ecr_cache_tui.service import CacheService

__all__ = [
    "HOOK_ECR_RETRIES",
    "aws_session",
    "base_image_login",
    "base_image_resolver",
    "checksum_base_images",
    "client_service",
    "daemon_platform",
    "open_oci_service",
    "open_service",
    "profile_region",
    "run_hook_flow",
    "service_region",
]

#: botocore's retries per ECR call in the hook (its ``max_attempts`` counts retries: 3 calls in
#: all); the hook retries whole steps itself, within a time budget, so the two do not multiply
#: into minutes (``hook.decision.retry``).
HOOK_ECR_RETRIES = 2

#: What says, in the job's environment, who the job is to AWS (botocore's credential and profile
#: settings): each one's value keys the host's records (:func:`_host_state`). No secret is among
#: them (an access key's id, never its secret).
AWS_IDENTITY_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def profile_region(env: Mapping[str, str]) -> str | None:
    """``AWS_PROFILE``'s region, asked of botocore only when the configuration needs it.

    None when the profile names none or cannot be read (the error that matters comes later).
    """
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.aws import region_of_profile  # noqa: PLC0415

    return region_of_profile(env.get("AWS_PROFILE") or None, quiet=True)


def service_region(region: str | None, profile: str | None) -> str:
    """The region of the maintainers' commands and the TUI (``config.region``'s order).

    Raises:
        ConfigError: ``profile`` is not a configured AWS profile.
    """
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.aws import resolve_region  # noqa: PLC0415

    return resolve_region(region, profile)


def run_hook_flow(
    plugin: PluginConfig, settings: HookSettings, env: Mapping[str, str], checkout: Path
) -> HookResult:
    """Wire the real adapters for a validated configuration and settings; run the flow."""
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.cachekey.checksum import compute  # noqa: PLC0415
    from ecr_cache_tui.hook.annotation import job_label, step_context  # noqa: PLC0415
    from ecr_cache_tui.hook.decision import ECR_RETRY, RetryPolicy  # noqa: PLC0415
    from ecr_cache_tui.hook.flow import run_pre_command  # noqa: PLC0415
    from ecr_cache_tui.hook.log import HookLog  # noqa: PLC0415
    from ecr_cache_tui.hook.types import HookDeps  # noqa: PLC0415

    budget = settings.retry_seconds
    log = HookLog(sys.stdout)
    cli_path = settings.docker_cli or on_path("docker", env.get("PATH"))
    if not cli_path:
        raise DaemonUnreachable(f"no docker CLI on PATH (set {DOCKER_CLI})")
    host = _host_state(env, log.warn)
    engine = _hook_engine(env, host)

    def stored_login(host: str, helpers_only: bool) -> Credentials | None:
        # lazy: adapters load only for the command that uses them (not --help, not a hit)
        from ecr_cache_tui.adapters.dockerconfig import DockerConfig  # noqa: PLC0415

        return DockerConfig.load(env).credentials(host, helpers_only=helpers_only)

    def builder() -> Builder:
        # lazy: adapters load only for the command that uses them (not --help, not a hit)
        from ecr_cache_tui.adapters.docker_cli import DockerCli  # noqa: PLC0415

        return DockerCli(cli_path, env)

    def buildkite() -> Annotator:
        # lazy: adapters load only for the command that uses them (not --help, not a hit)
        from ecr_cache_tui.adapters.buildkite import Buildkite  # noqa: PLC0415

        return Buildkite(env)

    has_agent = on_path("buildkite-agent", env.get("PATH")) is not None
    ecr = _hook_ecr(plugin)
    deps = HookDeps(
        engine=engine,
        builder=cast("Builder", _Lazy(builder)),
        registry=_registry_client,
        ecr=ecr,
        stored_login=stored_login,
        base_images=lambda: base_image_resolver(plugin, env, ecr, log.redactor.add_login),
        checksum=compute,
        log=log,
        clock=time.monotonic,
        sleep=time.sleep,
        annotator=cast("Annotator", _Lazy(buildkite)) if has_agent else None,
        annotation_context=step_context(env),
        annotation_job=job_label(env),
        host=host,
        build_wait=settings.build_wait,
        retry=RetryPolicy().with_budget(budget),
        ecr_retry=ECR_RETRY.with_budget(budget),
    )
    return run_pre_command(plugin, checkout, env=env, deps=deps)


def base_image_resolver(
    plugin: PluginConfig,
    env: Mapping[str, str],
    ecr: EcrApi | None,
    redact: Callable[[str, str], None],
) -> BaseImageResolver:
    """The registry client that resolves base images (``base-image-digests``), with the
    logins of :func:`base_image_login`."""
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.base_images import RegistryBaseImages  # noqa: PLC0415

    return RegistryBaseImages(base_image_login(plugin, env, ecr, redact))


def base_image_login(
    plugin: PluginConfig,
    env: Mapping[str, str],
    ecr: EcrApi | None,
    redact: Callable[[str, str], None],
) -> Callable[[ImageName], Credentials | None]:
    """A base image's registry login: its Docker config entry or credential helper (helpers
    only for an ECR host, as for the cache's registry), else, for an ECR host, a token from
    ECR: through the hook's own ECR client when the host is in the plugin's region, else a
    client of that region. Every login is registered with ``redact`` before it is used.
    """
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.base_images import config_key, ecr_registry_of  # noqa: PLC0415
    from ecr_cache_tui.adapters.dockerconfig import DockerConfig  # noqa: PLC0415
    from ecr_cache_tui.model import Credentials  # noqa: PLC0415

    def login(image: ImageName) -> Credentials | None:
        on_ecr = ecr_registry_of(image.host)
        found = DockerConfig.load(env).credentials(config_key(image), helpers_only=bool(on_ecr))
        if found is None and on_ecr is not None:
            account, region = on_ecr
            client = ecr if ecr is not None and region == plugin.region else _ecr_in(region)
            auth = client.authorization(account)
            found = Credentials(auth.username, auth.password)
        if found is not None:
            redact(found.username, found.password)
        return found

    return login


def checksum_base_images(
    plugin: PluginConfig,
    env: Mapping[str, str],
    checkout: Path,
    *,
    platform: str,
    warn: Callable[[str], None],
) -> tuple[BaseImage, ...]:
    """``ecr-cache checksum``'s base images: resolved as the hook resolves them, with the
    host's records (so the tag is the one a job on this host would compute)."""
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.hook.baseimages import base_images_of  # noqa: PLC0415

    if not plugin.base_image_digests:
        return ()
    ecr = _hook_ecr(plugin)
    return base_images_of(
        plugin,
        checkout,
        platform=platform,
        resolver=lambda: base_image_resolver(plugin, env, ecr, lambda user, password: None),
        host=_host_state(env, warn),
        now=time.time,
        warn=warn,
    )


def daemon_platform(env: Mapping[str, str]) -> str:
    """The Docker daemon's platform (``os/arch[/variant]``), asked through the Docker SDK."""
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.docker_daemon import (  # noqa: PLC0415
        daemon_platform as platform_of,
    )
    from ecr_cache_tui.adapters.docker_daemon import docker_client  # noqa: PLC0415

    return platform_of(docker_client(dict(env)))


def aws_session() -> Any:
    """The product's botocore session (its timestamp parser), for a client made elsewhere (the
    demo's, against its in-process ECR)."""
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.aws import botocore_session  # noqa: PLC0415

    return botocore_session()


def client_service(
    client: Any,
    labels: LabelReader,
    *,
    prefix: str,
    clock: Callable[[], datetime],
) -> CacheService:
    """A :class:`~ecr_cache_tui.service.CacheService` over an ECR client made elsewhere (the
    demo's), with its own label reader and clock."""
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.ecr import Ecr  # noqa: PLC0415
    from ecr_cache_tui.service import CacheService  # noqa: PLC0415

    return CacheService(Ecr(client), labels, prefix=prefix, clock=clock)


def _ecr_in(region: str) -> EcrApi:
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.aws import ecr_client  # noqa: PLC0415
    from ecr_cache_tui.adapters.ecr import Ecr  # noqa: PLC0415

    return Ecr(ecr_client(region, max_attempts=HOOK_ECR_RETRIES, mode="standard"))


def on_path(name: str, path: str | None) -> str | None:
    """The first executable file ``name`` in ``path``'s absolute entries (``shutil.which``
    without importing shutil on the hook's path; an empty or relative entry would be the job's
    checkout, so it is never searched)."""
    for entry in (path or "").split(os.pathsep):
        candidate = Path(entry, name)
        if Path(entry).is_absolute() and candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _hook_engine(env: Mapping[str, str], host: HostStateApi) -> EngineApi:
    """The daemon over its unix socket, docker-py made only when pulling, tagging or pushing,
    its platform kept in the host's state; docker-py for everything when the daemon is not a
    unix socket (``tcp://``, ``ssh://``)."""
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.docker_socket import (  # noqa: PLC0415
        DaemonSocket,
        SocketEngine,
        socket_path,
    )

    def sdk_engine() -> EngineApi:
        # lazy: adapters load only for the command that uses them (not --help, not a hit)
        from ecr_cache_tui.adapters.docker_daemon import Engine, docker_client  # noqa: PLC0415

        return Engine(docker_client(env))

    path = socket_path(env)
    if path is None:
        return sdk_engine()
    daemon = DaemonSocket(path)
    daemon.ping()  # an unreachable daemon is exit 4 before anything else happens
    return SocketEngine(daemon, sdk_engine, host=host)


def _host_state(env: Mapping[str, str], warn: Callable[[str], None]) -> HostStateApi:
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.host_state import HostState, holder_text, state_dir  # noqa: PLC0415

    # Who the job is to AWS is part of every record's key too: a job whose credentials are of
    # another account (with no `account-id`, the default registry is the credentials') must not
    # trust a record another account's job wrote for the same repository name.
    scope = "\n".join(
        (
            env.get("AWS_ENDPOINT_URL_ECR") or env.get("AWS_ENDPOINT_URL") or "",
            env.get("DOCKER_HOST", ""),
            *(f"{name}={env.get(name, '')}" for name in AWS_IDENTITY_VARIABLES),
        )
    )
    return HostState(
        state_dir(env),
        scope=scope,
        holder=holder_text(env, os.getpid(), time.time()),
        warn=warn,
    )


def open_service(
    *,
    region: str | None = None,
    profile: str | None = None,
    prefix: str = CACHE_PREFIX,
    registry_hostname: str | None = None,
    account_id: str | None = None,
    clock: Callable[[], datetime] | None = None,
    interactive: bool = False,
    registry_provider: str = "ecr",
    insecure_registry: bool = False,
    env: Mapping[str, str] | None = None,
) -> CacheService:
    """A :class:`~ecr_cache_tui.service.CacheService` on real AWS (``ls|rebuild|policy|diff|tui``),
    or with ``registry_provider="oci"`` on the OCI registry at ``registry_hostname``
    (:func:`open_oci_service`).

    Endpoints and credentials come from botocore's own configuration (``AWS_ENDPOINT_URL_ECR``
    reaches moto in tests). ``interactive`` (the TUI): fewer retries and a short connect
    timeout, so an unreachable endpoint is reported in a second or two rather than ~13 s
    (``r`` retries).
    """
    if registry_provider == "oci":
        if not registry_hostname:
            raise ConfigError("registry-hostname: needed for an OCI registry")
        return open_oci_service(
            registry_hostname,
            prefix=prefix,
            insecure=insecure_registry,
            clock=clock,
            interactive=interactive,
            env=os.environ if env is None else env,
        )
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.aws import ecr_client  # noqa: PLC0415
    from ecr_cache_tui.adapters.ecr import Ecr  # noqa: PLC0415
    from ecr_cache_tui.adapters.labels import RegistryLabelReader  # noqa: PLC0415
    from ecr_cache_tui.service import CacheService  # noqa: PLC0415

    region_name = service_region(region, profile)
    client = (
        ecr_client(region_name, profile, max_attempts=2, connect_timeout=3)
        if interactive
        else ecr_client(region_name, profile)
    )
    ecr = Ecr(client, registry_id=account_id)
    labels = RegistryLabelReader(ecr, registry_hostname=registry_hostname)
    if clock is None:
        return CacheService(ecr, labels, prefix=prefix, registry_hostname=registry_hostname)
    return CacheService(
        ecr, labels, prefix=prefix, clock=clock, registry_hostname=registry_hostname
    )


def open_oci_service(
    host: str,
    *,
    prefix: str = CACHE_PREFIX,
    insecure: bool = False,
    clock: Callable[[], datetime] | None = None,
    interactive: bool = False,
    env: Mapping[str, str],
) -> CacheService:
    """A :class:`~ecr_cache_tui.service.CacheService` on the OCI registry at ``host[:port]``.

    The login is the user's Docker config's for ``host`` (credential helpers first, as the
    docker CLI does), answering Basic or Bearer challenges. HTTPS, except plain HTTP for a
    loopback host or with ``insecure``.
    """
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.dockerconfig import DockerConfig  # noqa: PLC0415
    from ecr_cache_tui.adapters.oci import OciRegistry  # noqa: PLC0415
    from ecr_cache_tui.adapters.registry import RegistryClient  # noqa: PLC0415
    from ecr_cache_tui.model import OCI  # noqa: PLC0415
    from ecr_cache_tui.service import CacheService  # noqa: PLC0415

    login = DockerConfig.load(env).credentials(host)
    client = RegistryClient(
        host,
        (login.username, login.password) if login else None,
        scheme="http" if insecure else None,
        timeout=10.0 if interactive else 30.0,
    )
    registry = OciRegistry(client)
    ecr: EcrApi = registry
    if clock is None:
        return CacheService(ecr, registry, prefix=prefix, registry_hostname=host, kind=OCI)
    return CacheService(ecr, registry, prefix=prefix, clock=clock, registry_hostname=host, kind=OCI)


def _registry_client(host: str, login: Credentials | None) -> RegistryApi:
    # lazy: adapters load only for the command that uses them (not --help, not a hit)
    from ecr_cache_tui.adapters.registry import RegistryClient  # noqa: PLC0415

    return RegistryClient(host, (login.username, login.password) if login else None)


def _hook_ecr(plugin: PluginConfig) -> EcrApi | None:
    if plugin.registry_provider != "ecr":
        return None

    def make() -> EcrApi:
        # lazy: adapters load only for the command that uses them (not --help, not a hit)
        from ecr_cache_tui.adapters.aws import ecr_client  # noqa: PLC0415
        from ecr_cache_tui.adapters.ecr import Ecr  # noqa: PLC0415

        client = ecr_client(plugin.region, max_attempts=HOOK_ECR_RETRIES, mode="standard")
        return Ecr(client, registry_id=plugin.account_id)

    return cast("EcrApi", _Lazy(make))


class _Lazy:
    """Stands for the adapter ``make`` makes, made on first use: the hook's ECR client
    (botocore), its docker CLI and Buildkite (subprocess) cost nothing on a local hit."""

    def __init__(self, make: Callable[[], object]) -> None:
        self._make = make
        self._made: object | None = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)
