"""Ensure the cache repository, its resource tags and its lifecycle policy (SPEC §4 steps 3–4).

The decisions are pure functions (:func:`tags_to_apply`, :func:`policy_to_write`); the calls
go through the ECR adapter. Every step is idempotent, so hundreds of agents running it at once
for a new pipeline converge on one repository with one policy: a create that loses the race
returns the winner's repository, and a policy is written only when it differs.

AWS calls on a hit with an existing repository: ``DescribeRepositories`` and
``GetLifecyclePolicy`` (plus ``ListTagsForResource`` only when ``ecr-tags`` is set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ecr_cache_tui import figures, lifecycle
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import AccessDenied
from ecr_cache_tui.hook.log import HookLog

if TYPE_CHECKING:
    from ecr_cache_tui.model import RepositoryInfo
    from ecr_cache_tui.ports import EcrApi

__all__ = ["ensure_policy", "ensure_repository", "policy_to_write", "tags_to_apply"]


def tags_to_apply(current: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str]:
    """The ``ecr-tags`` that are missing or different on the repository (empty: nothing to do).

    Tags the repository has beyond ``wanted`` are left alone: someone else put them there.
    """
    return {k: v for k, v in wanted.items() if current.get(k) != v}


def policy_to_write(current: str | None, days: int, *, explicit: bool) -> str | None:
    """The policy text to write, or ``None`` to leave the repository's policy as it is.

    Args:
        current: the repository's policy text (``None``: it has none).
        days: ``max-age-days`` (the default when not ``explicit``).
        explicit: whether the pipeline set ``max-age-days``. When it did, the policy is made to
            match; when it did not, a policy is only written where there is none, so a
            maintainer's change (TUI or CLI) survives later builds.
    """
    if current is None:
        return lifecycle.policy_text(days)
    if explicit and lifecycle.max_age_days(current) != days:
        return lifecycle.policy_text(days)
    return None


def ensure_repository(
    ecr: EcrApi, config: PluginConfig, log: HookLog
) -> tuple[RepositoryInfo, bool]:
    """Describe the repository, creating it (with ``ecr-tags``) if missing.

    Returns:
        The repository, and whether this call created it (then it has no policy yet).

    Raises:
        RemoteError: any failure other than "it does not exist" (never a blind create).
    """
    name = config.ecr_name
    repo = ecr.describe_repository(name)
    if repo is None:
        log.info(f"creating repository {name}")
        created = ecr.create_repository(name, dict(config.ecr_tags))
        return created, True
    if config.ecr_tags:
        missing = tags_to_apply(ecr.list_tags(repo.arn), config.ecr_tags)
        if missing:
            log.info(f"tagging repository {name}: {', '.join(sorted(missing))}")
            ecr.tag_resource(repo.arn, missing)
    return repo, False


def ensure_policy(ecr: EcrApi, config: PluginConfig, log: HookLog, *, created: bool) -> None:
    """Make the lifecycle policy follow ``max-age-days`` (see :func:`policy_to_write`).

    A refusal for lack of permission is a warning: such repositories are managed elsewhere.
    """
    name = config.ecr_name
    try:
        current = None if created else ecr.get_lifecycle_policy(name)
        text = policy_to_write(current, config.max_age_days, explicit=config.max_age_days_explicit)
        if text is None:
            return
        before = lifecycle.max_age_days(current)
        was = "none" if current is None else (figures.plural(before, "day") if before else "custom")
        now = figures.plural(config.max_age_days, "day")
        log.info(f"lifecycle policy of {name}: {was} -> {now}")
        ecr.put_lifecycle_policy(name, text)
    except AccessDenied as exc:
        log.warn(f"cannot manage the lifecycle policy of {name} ({exc}); leaving it as it is")
