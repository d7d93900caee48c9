"""The hook's steps for who may write the cache and what a hit may be (SPEC §8).

* :func:`remote_for_reader`: steps 3-4 for a build that may not write the cache
  (:func:`ecr_cache_tui.config.push.write_decision`): ``DescribeRepositories`` only (and
  ``GetAuthorizationToken`` for the registry's host when the repository is missing). No
  ``CreateRepository``, no lifecycle policy read or written, no resource tags: every call is
  one the README's reader policy allows, and a missing repository is a miss.
* :class:`LocalLook`: asks the daemon for an image once and keeps its labels, so a local
  hit's label check costs no second request.
* :func:`verify_hit`: the label check of every local or pulled hit (``verify-label``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from ecr_cache_tui.cachekey.inputs import LABEL, Manifest
from ecr_cache_tui.cachekey.verify import LabelCheck, check_label
from ecr_cache_tui.config.options import VerifyLabel
from ecr_cache_tui.errors import LabelMismatch
from ecr_cache_tui.hook.decision import Outcome
from ecr_cache_tui.hook.log import HookLog

if TYPE_CHECKING:
    from ecr_cache_tui.config import PluginConfig
    from ecr_cache_tui.ports import EcrApi, EngineApi

__all__ = ["LocalLook", "remote_for_reader", "verify_hit"]

T = TypeVar("T")


class EcrStep(Protocol):
    """Runs one ECR step with the hook's retries: ``step(what, action)``."""

    def __call__(self, what: str, action: Callable[[], T], /) -> T: ...


def remote_for_reader(
    config: PluginConfig, ecr: EcrApi, log: HookLog, step: EcrStep
) -> tuple[str, str | None]:
    """The registry's host and id for a build that does not write: nothing is created.

    Args:
        config: the validated configuration.
        ecr: ECR's control plane.
        log: the job log.
        step: runs one ECR step with the hook's retries (``step(what, action)``).

    Returns:
        ``(host, registry id)``; a missing repository is logged, and the host comes from
        ``registry-hostname`` or the registry login's endpoint.
    """
    name = config.ecr_name
    log.group(f":ecr: ecr-cache: repository {name} ({config.region}), read only")
    repo = step("describe the repository", lambda: ecr.describe_repository(name))
    if repo is not None:
        return config.registry_hostname or repo.host, repo.registry_id or config.account_id
    log.info(f"repository {name} does not exist; this build does not create it (a miss)")
    if config.registry_hostname:
        return config.registry_hostname, config.account_id
    auth = step("get the registry login", lambda: ecr.authorization(config.account_id))
    return auth.host, config.account_id


class LocalLook:
    """The daemon's answer for one image, asked once: present? with which labels?"""

    def __init__(self, engine: EngineApi) -> None:
        self._engine = engine
        self.labels: dict[str, str] | None = None

    def has(self, reference: str) -> bool:
        """Whether the daemon has ``reference`` (its labels kept in :attr:`labels`)."""
        self.labels = self._engine.local_labels(reference)
        return self.labels is not None


def verify_hit(
    outcome: Outcome,
    labels: dict[str, str] | None,
    *,
    manifest: Manifest,
    reference: str,
    mode: VerifyLabel,
    log: HookLog,
) -> tuple[Outcome, LabelCheck | None]:
    """The label check of a local or pulled hit; other outcomes pass unchanged.

    Args:
        outcome: the ladder's decision.
        labels: the image's labels, from the daemon (``None``: unknown, nothing to check).
        manifest: the manifest just computed.
        reference: ``image:tag``, for the messages.
        mode: ``verify-label``.
        log: the job log (one line for what was found).

    Returns:
        The outcome to go on with (``rebuild`` turns an image for other inputs into a miss,
        source ``mismatch``) and the check made, if any.

    Raises:
        LabelMismatch: ``verify-label: fail`` and the label names other inputs (exit 3).
    """
    if not outcome.hit or outcome.source not in ("local", "pulled") or labels is None:
        return outcome, None
    check = check_label(labels.get(LABEL), manifest)
    if check.verdict == "match":
        return outcome, check
    if check.verdict == "absent":
        log.warn(
            f"{reference} carries no inputs label (pushed by another tool, such as the "
            "reference plugin): used as it is, unchecked"
        )
        return outcome, check
    what = f"{reference} carries an inputs label for other inputs: {check.first}"
    if mode == "fail":
        raise LabelMismatch(f"{what}; verify-label is fail")
    if mode == "warn":
        log.warn(f"{what}; verify-label is warn: used as it is")
        return outcome, check
    log.warn(f"{what}; verify-label is rebuild: built again")
    return Outcome(hit=False, source="mismatch", detail=check.first), check
