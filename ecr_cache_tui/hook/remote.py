"""The registry of one hook run: where it is (SPEC §4 steps 3-4) and how it is asked (step 5).

* :func:`ensure_remote` ensures an ECR repository and its lifecycle policy (nothing for a plain
  OCI registry) and returns the registry host;
* :func:`recently_ensured` is this host's record of having done so lately (a local hit then
  makes no network call at all);
* :class:`RegistrySession` holds the run's login (fetched when the registry is first needed:
  a hit on an image the daemon already has makes no ``GetAuthorizationToken`` call) and one
  registry client per login; every registry operation goes through :meth:`Login.authorized`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import Throttled, Unavailable
from ecr_cache_tui.hook.decision import retry
from ecr_cache_tui.hook.host import ensured_record, is_fresh, repository_key
from ecr_cache_tui.hook.login import Login
from ecr_cache_tui.hook.types import HookDeps
from ecr_cache_tui.records import Record

if TYPE_CHECKING:  # a local hit never imports ecr_cache_tui.model (see host_records)
    from ecr_cache_tui.host_records import EnsuredRecord
    from ecr_cache_tui.model import Credentials, ProgressEvent
    from ecr_cache_tui.ports import RegistryApi

__all__ = [
    "RegistrySession",
    "Remote",
    "ecr_step",
    "ensure_remote",
    "is_ecr",
    "recently_ensured",
    "remote_of",
]

T = TypeVar("T")


class Remote(Record):
    """Where the image lives.

    Attributes:
        host: the registry host.
        registry_id: the account that owns the repository (ECR), else ``None``.
        image: ``host/name``.
        tag: the checksum tag.
        local: the daemon has the image and this host ensured the repository lately: steps
            3-5 were skipped, nothing is asked of the network.
        recent: this host's fresh record of ensuring the repository, or ``None``.
    """

    host: str
    registry_id: str | None
    image: str
    tag: str
    local: bool
    recent: EnsuredRecord | None

    @property
    def reference(self) -> str:
        """``host/name:tag``."""
        return f"{self.image}:{self.tag}"


def is_ecr(config: PluginConfig, deps: HookDeps) -> bool:
    """Whether the registry is ECR (with a control plane to ask), not a plain OCI registry."""
    return config.registry_provider == "ecr" and deps.ecr is not None


def recently_ensured(config: PluginConfig, deps: HookDeps) -> EnsuredRecord | None:
    """The host's record of ``config``'s repository, when it is fresh enough to skip steps 3-4."""
    if config.registry_provider != "ecr" or deps.ecr is None or deps.host is None:
        return None
    record = deps.host.ensured(repository_key(config))
    return record if is_fresh(record, config, now=deps.wall_clock()) else None


def remote_of(config: PluginConfig, record: EnsuredRecord) -> tuple[str, str | None]:
    """(host, registry id) as the host's record of the repository has them."""
    return config.registry_hostname or record.host, record.registry_id or config.account_id


def ensure_remote(config: PluginConfig, deps: HookDeps) -> tuple[str, str | None]:
    """Steps 3-4 for ECR; nothing for a plain OCI registry. Returns (host, registry id)."""
    if config.registry_provider == "oci" or deps.ecr is None:
        assert config.registry_hostname is not None
        return config.registry_hostname, None
    deps.log.group(f":ecr: ecr-cache: repository {config.ecr_name} ({config.region})")
    # lazy: not on a local hit whose repository this host ensured: that one never gets here.
    from ecr_cache_tui.hook.repository import ensure_policy, ensure_repository  # noqa: PLC0415

    ecr = deps.ecr
    repo, created = ecr_step(
        deps, "ensure the repository", partial(ensure_repository, ecr, config, deps.log)
    )
    ecr_step(
        deps,
        "lifecycle policy",
        partial(ensure_policy, ecr, config, deps.log, created=created),
    )
    registry_id = repo.registry_id or config.account_id
    if deps.host is not None:
        deps.host.save_ensured(
            ensured_record(config, host=repo.host, registry_id=registry_id, now=deps.wall_clock())
        )
    return config.registry_hostname or repo.host, registry_id


def ecr_step(deps: HookDeps, what: str, action: Callable[[], T]) -> T:
    """One ECR step, retried on throttling and 5xx within ``deps.ecr_retry``'s budget.

    botocore retries each call a few times itself first; these are the hook's retries of the
    whole (idempotent) step, each one logged.
    """
    return retry(
        action,
        deps.ecr_retry,
        deps.sleep,
        partial(deps.log.retried, what),
        clock=deps.clock,
        retry_on=(Throttled, Unavailable),
    )


class RegistrySession:
    """The registry of one run: its login, fetched on first use, and a client per login.

    Args:
        config: the validated configuration.
        deps: the collaborators.
        host: the registry host.
        registry_id: the account whose ECR token is asked for (ECR only).
    """

    def __init__(
        self, config: PluginConfig, deps: HookDeps, host: str, registry_id: str | None
    ) -> None:
        self._config = config
        self._deps = deps
        self._host = host
        self._registry_id = registry_id
        self._clients: dict[Credentials | None, RegistryApi] = {}
        self.login = Login(self._fetch_login, renewable=is_ecr(config, deps), say=deps.log.info)

    def tag_exists(self, name: str, tag: str) -> bool:
        """Whether the registry has ``name:tag`` (a ``HEAD`` of the manifest)."""
        return self.login.authorized("cache check", partial(self._tag_exists, name, tag))

    def labels(self, name: str, tag: str, platform: str) -> Mapping[str, str]:
        """The labels of ``name:tag``'s image for ``platform``."""
        return self.login.authorized("label read", partial(self._labels, name, tag, platform))

    def pull(
        self,
        image: str,
        tag: str,
        platform: str | None,
        on_progress: Callable[[ProgressEvent], None],
    ) -> None:
        """Pull ``image:tag`` into the daemon."""
        self.login.authorized("pull", partial(self._pull, image, tag, platform, on_progress))

    def push(self, image: str, tag: str, on_progress: Callable[[ProgressEvent], None]) -> None:
        """Push ``image:tag`` from the daemon."""
        self.login.authorized(f"push {image}:{tag}", partial(self._push, image, tag, on_progress))

    def _client(self, credentials: Credentials | None) -> RegistryApi:
        if credentials not in self._clients:
            self._clients[credentials] = self._deps.registry(self._host, credentials)
        return self._clients[credentials]

    def _tag_exists(self, name: str, tag: str, credentials: Credentials | None) -> bool:
        return self._client(credentials).manifest_exists(name, tag)

    def _labels(
        self, name: str, tag: str, platform: str, credentials: Credentials | None
    ) -> Mapping[str, str]:
        return self._client(credentials).image_labels(name, tag, platform=platform)

    def _pull(
        self,
        image: str,
        tag: str,
        platform: str | None,
        on_progress: Callable[[ProgressEvent], None],
        credentials: Credentials | None,
    ) -> None:
        self._deps.engine.pull(image, tag, credentials, platform=platform, on_progress=on_progress)

    def _push(
        self,
        image: str,
        tag: str,
        on_progress: Callable[[ProgressEvent], None],
        credentials: Credentials | None,
    ) -> None:
        self._deps.engine.push(image, tag, credentials, on_progress=on_progress)

    def _fetch_login(self) -> Credentials | None:
        return ecr_step(self._deps, "get the registry login", self._stored_or_ecr_login)

    def _stored_or_ecr_login(self) -> Credentials | None:
        """Step 5: a credential helper that serves the host, else (ECR) an authorization token."""
        # lazy: a local hit never imports ecr_cache_tui.model (some twenty dataclasses)
        from ecr_cache_tui.model import Credentials  # noqa: PLC0415

        deps = self._deps
        ecr = is_ecr(self._config, deps)
        login = deps.stored_login(self._host, ecr)
        if login is None and ecr:
            assert deps.ecr is not None
            auth = deps.ecr.authorization(self._registry_id)
            login = Credentials(auth.username, auth.password)
        if login is not None:
            deps.log.redactor.add_login(login.username, login.password)
        return login
