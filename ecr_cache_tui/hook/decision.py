"""Hit or miss: the ladder of SPEC §4 step 6, cheapest check first, and the retry policy.

The ladder is pure: each check is a zero-argument callable supplied by the flow, so the order,
the retries and the meaning of each failure are tested without a daemon or a registry::

    force-rebuild                       -> miss (forced)
    image already in the local daemon   -> hit (local), nothing pulled
    tag absent from the registry        -> miss (not found)
    skip-pull-from-cache                -> hit (registry), nothing pulled
    pull succeeds                       -> hit (pulled)
    pull says "not found"               -> miss (not found)
    anything else, after retries        -> warning, miss (unavailable)

The registry check (a ``HEAD`` of the manifest) comes before the pull: it is one cheap request,
it makes "not found" a typed answer instead of a parsed daemon message, and it is what real
ECR and any OCI registry answer without a single AWS API call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from ecr_cache_tui.errors import RemoteError, RepositoryNotFound, TagNotFound

__all__ = ["Outcome", "RetryPolicy", "decide", "retry"]

T = TypeVar("T")

Source = Literal["local", "registry", "pulled", "forced", "not-found", "unavailable"]


@dataclass(frozen=True)
class Outcome:
    """The decision: ``hit`` or not, and where it came from (for the summary line)."""

    hit: bool
    source: Source
    detail: str = ""

    @property
    def word(self) -> str:
        """``hit`` or ``miss``."""
        return "hit" if self.hit else "miss"


@dataclass(frozen=True)
class RetryPolicy:
    """How often to retry a failed registry request, and how long to wait before each retry."""

    delays: tuple[float, ...] = (0.5, 1.0, 2.0)

    @property
    def attempts(self) -> int:
        """Total attempts: the first one plus one per delay."""
        return len(self.delays) + 1


def retry(
    action: Callable[[], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    on_retry: Callable[[int, RemoteError], None] | None = None,
) -> T:
    """Run ``action``, retrying :class:`RemoteError` with backoff.

    "Not found" (:class:`TagNotFound`, :class:`RepositoryNotFound`) is an answer, not a failure:
    it is raised at once.
    """
    for attempt, delay in enumerate((*policy.delays, None), start=1):
        try:
            return action()
        except (TagNotFound, RepositoryNotFound):
            raise
        except RemoteError as exc:
            if delay is None:
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def decide(
    *,
    force: bool,
    skip_pull: bool,
    in_daemon: Callable[[], bool],
    tag_exists: Callable[[], bool],
    pull: Callable[[], None],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    warn: Callable[[str], None],
    on_retry: Callable[[int, RemoteError], None] | None = None,
) -> Outcome:
    """Walk the ladder (see the module docs) and return the outcome.

    Args:
        force: ``force-rebuild`` (or ``ECR_CACHE_FORCE_REBUILD=true``).
        skip_pull: ``skip-pull-from-cache``.
        in_daemon: whether the local daemon already has the image.
        tag_exists: whether the registry has the tag (may raise :class:`RemoteError`).
        pull: pull the image (raises :class:`TagNotFound` or another :class:`RemoteError`).
        policy: retries for ``tag_exists`` and ``pull``.
        sleep: waits between retries (injected: tests do not sleep).
        warn: where a failure that degrades to a miss is reported.
        on_retry: told about each retry (attempt number, error).
    """
    if force:
        return Outcome(hit=False, source="forced", detail="force-rebuild")
    if in_daemon():
        return Outcome(hit=True, source="local")
    try:
        exists = retry(tag_exists, policy, sleep, on_retry)
    except (TagNotFound, RepositoryNotFound):
        exists = False
    except RemoteError as exc:
        warn(f"cannot check the cache ({exc}); building instead")
        return Outcome(hit=False, source="unavailable", detail=str(exc))
    if not exists:
        return Outcome(hit=False, source="not-found")
    if skip_pull:
        return Outcome(hit=True, source="registry")
    try:
        retry(pull, policy, sleep, on_retry)
    except (TagNotFound, RepositoryNotFound) as exc:
        return Outcome(hit=False, source="not-found", detail=str(exc))
    except RemoteError as exc:
        warn(f"cannot pull the cached image ({exc}); building instead")
        return Outcome(hit=False, source="unavailable", detail=str(exc))
    return Outcome(hit=True, source="pulled")
