"""What the host remembers, as values (:mod:`ecr_cache_tui.hook.host` decides with them,
:mod:`ecr_cache_tui.adapters.host_state` keeps them in files).

Apart from :mod:`ecr_cache_tui.model` because a local hit reads them and must stay cheap to
start: ``model`` holds some twenty dataclasses the hook's fast path never uses, and making a
dataclass costs about half a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BaseImageRecord", "EnsuredRecord", "LockBusy", "PendingPush", "RepositoryKey"]


@dataclass(frozen=True)
class RepositoryKey:
    """What an ensured record is keyed by: account (as configured), region and repository."""

    account: str
    region: str
    repository: str


@dataclass(frozen=True)
class EnsuredRecord:
    """A repository this host ensured (SPEC §4 steps 3-4), and what it ensured.

    Attributes:
        key: account (``account-id`` as written, empty for the default), region, repository.
        host: the registry host of the repository URI (``<account>.dkr.ecr.<region>...``).
        registry_id: the account that owns it.
        ensured_at: wall-clock seconds (epoch) when it was ensured.
        policy_days: the explicit ``max-age-days`` the policy was made to match, or ``None``
            when the pipeline left it unset (then only "some policy exists" was ensured).
        tags: a digest of the ``ecr-tags`` applied.
    """

    key: RepositoryKey
    host: str
    registry_id: str | None
    ensured_at: float
    policy_days: int | None
    tags: str


@dataclass(frozen=True)
class PendingPush:
    """A push from this host that failed: ``reference`` (``host/name:tag``) must still reach
    the registry, and ``latest`` with it when ``latest`` is true."""

    reference: str
    latest: bool
    failed_at: float
    error: str = ""


@dataclass(frozen=True)
class LockBusy:
    """Another job holds the build lock; ``holder`` says who (pid, agent, job), as it wrote."""

    holder: str


@dataclass(frozen=True)
class BaseImageRecord:
    """A base image this host resolved (``base-image-digests``): ``name`` (normalised,
    ``registry-1.docker.io/library/node:20``) on ``platform`` was ``digest`` at ``resolved_at``
    (wall-clock seconds, epoch)."""

    name: str
    platform: str
    digest: str
    resolved_at: float
