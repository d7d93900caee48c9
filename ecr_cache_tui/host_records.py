"""What the host remembers, as values (:mod:`ecr_cache_tui.hook.host` decides with them,
:mod:`ecr_cache_tui.adapters.host_state` keeps them in files).

Apart from :mod:`ecr_cache_tui.model` because a local hit reads them and must stay cheap to
start: like every value on the local hit's path they are :class:`~ecr_cache_tui.records.Record`
subclasses, which cost next to nothing to define.
"""

from __future__ import annotations

from ecr_cache_tui.records import Record

__all__ = [
    "BaseImageRecord",
    "DaemonRecord",
    "EnsuredRecord",
    "LockBusy",
    "PendingPush",
    "RepositoryKey",
]


class RepositoryKey(Record):
    """What an ensured record is keyed by: account (as configured), region and repository."""

    account: str
    region: str
    repository: str


class EnsuredRecord(Record):
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


class PendingPush(Record):
    """A push from this host that failed: ``reference`` (``host/name:tag``) must still reach
    the registry, and ``latest`` with it when ``latest`` is true."""

    reference: str
    latest: bool
    failed_at: float
    error: str = ""


class LockBusy(Record):
    """Another job holds the build lock; ``holder`` says who (pid, agent, job), as it wrote."""

    holder: str


class BaseImageRecord(Record):
    """A base image this host resolved (``base-image-digests``): ``name`` (normalised,
    ``registry-1.docker.io/library/node:20``) on ``platform`` was ``digest`` at ``resolved_at``
    (wall-clock seconds, epoch)."""

    name: str
    platform: str
    digest: str
    resolved_at: float


class DaemonRecord(Record):
    """The platform (``os/arch[/variant]``) a Docker daemon answered at ``asked_at`` (wall-clock
    seconds, epoch). ``daemon`` names the daemon's run: its socket and that socket file's
    identity (a restarted daemon makes a new socket file, so it is asked again)."""

    daemon: str
    platform: str
    asked_at: float
