"""What the hook remembers about its host, and the decisions made from it (pure).

Agents on one host share its Docker daemon, so they can share four facts about it, kept by
:class:`ecr_cache_tui.ports.HostStateApi` (files under ``$XDG_STATE_HOME/ecr-cache-tui``, see
:mod:`ecr_cache_tui.adapters.host_state`):

* **the repository was ensured recently** (:class:`~ecr_cache_tui.host_records.EnsuredRecord`): a
  job whose image is already in the daemon then skips ``DescribeRepositories`` and
  ``GetLifecyclePolicy`` and makes no network call at all. The record is trusted for
  :data:`ENSURED_TTL_SECONDS` and only while it matches what the job asks for
  (:func:`is_fresh`): an explicit ``max-age-days`` other than the one ensured, or other
  ``ecr-tags``, ensure again at once.
* **a push failed** (:class:`~ecr_cache_tui.host_records.PendingPush`): the next job on the
  host that hits that tag locally pushes it (and ``latest``) before exporting, so the registry
  heals.
* **a build is under way** (a per-tag lock): jobs that compute the same tag wait for the one that
  builds (:func:`wait_for_build_lock`), then hit locally. The wait is bounded.
* **a base image's digest** (:class:`~ecr_cache_tui.host_records.BaseImageRecord`, with
  ``base-image-digests``): used without asking its registry for ``base-image-check-minutes``
  (:mod:`ecr_cache_tui.hook.baseimages` decides).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import xxhash

from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.host_records import EnsuredRecord, LockBusy, RepositoryKey

if TYPE_CHECKING:
    from ecr_cache_tui.ports import BuildLock, HostStateApi

__all__ = [
    "ENSURED_TTL_SECONDS",
    "ensured_record",
    "is_fresh",
    "repository_key",
    "tags_digest",
    "wait_for_build_lock",
]

#: How long "this host ensured the repository" is trusted: at most one
#: ``DescribeRepositories`` + ``GetLifecyclePolicy`` per repository per host per hour. A
#: maintainer's change to the policy, or a deleted repository, is noticed by local hits within
#: that hour (pulls and builds are not affected: they always ensure).
ENSURED_TTL_SECONDS = 3600.0

#: How often a waiting job tries the lock again.
POLL_SECONDS = 0.2


def repository_key(config: PluginConfig) -> RepositoryKey:
    """The key of ``config``'s repository (``account-id`` as written; empty: the default)."""
    return RepositoryKey(config.account_id or "", config.region, config.ecr_name)


def tags_digest(tags: Mapping[str, str]) -> str:
    """A short digest of ``ecr-tags`` (sorted), so a change is noticed without storing them."""
    text = json.dumps(sorted(tags.items()), ensure_ascii=True)
    return xxhash.xxh3_64_hexdigest(text.encode("ascii"))


def ensured_record(
    config: PluginConfig, *, host: str, registry_id: str | None, now: float
) -> EnsuredRecord:
    """The record to keep after ensuring ``config``'s repository and policy at ``now``."""
    return EnsuredRecord(
        key=repository_key(config),
        host=host,
        registry_id=registry_id,
        ensured_at=now,
        policy_days=config.max_age_days if config.max_age_days_explicit else None,
        tags=tags_digest(config.ecr_tags),
    )


def is_fresh(
    record: EnsuredRecord | None,
    config: PluginConfig,
    *,
    now: float,
    ttl: float = ENSURED_TTL_SECONDS,
) -> bool:
    """Whether ``record`` lets a local hit of ``config`` skip the repository and policy checks.

    Fresh means: ensured less than ``ttl`` seconds ago (a clock that went backwards is not
    fresh), for the same key, with the same ``ecr-tags``, and, when the pipeline sets
    ``max-age-days``, with the policy made to match that same number of days.
    """
    if record is None or record.key != repository_key(config):
        return False
    if not 0 <= now - record.ensured_at < ttl:
        return False
    if record.tags != tags_digest(config.ecr_tags):
        return False
    return not config.max_age_days_explicit or record.policy_days == config.max_age_days


def wait_for_build_lock(
    host: HostStateApi,
    reference: str,
    *,
    bound: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    info: Callable[[str], None],
    warn: Callable[[str], None],
) -> tuple[BuildLock | None, bool]:
    """Take the host's build lock of ``reference``, waiting at most ``bound`` seconds.

    Returns:
        The lock (``None`` when there is none to hold: locks are unavailable on this host, or
        the wait timed out; the caller builds anyway), and whether this job waited for
        another one (then the image may now be in the daemon).
    """
    attempt = host.try_build_lock(reference)
    if not isinstance(attempt, LockBusy):
        return attempt, False
    start = clock()
    info(f"waiting for {attempt.holder}, which is building {reference} on this host")
    holder = attempt.holder
    while True:
        if clock() - start >= bound:
            warn(f"waited {bound:.0f}s for {holder} to build {reference}; building it here as well")
            return None, True
        sleep(POLL_SECONDS)
        attempt = host.try_build_lock(reference)
        if not isinstance(attempt, LockBusy):
            info(f"{holder} is done (waited {clock() - start:.1f}s)")
            return attempt, True
        if attempt.holder != holder:
            holder = attempt.holder
            info(f"now waiting for {holder}")
