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
    no registry login at all            -> raised (exit 3): nothing can be asked

A local or pulled hit is then checked by the flow against its inputs label
(:mod:`ecr_cache_tui.hook.writers`): an image for other inputs becomes a miss (``mismatch``)
under ``verify-label: rebuild``.

Retries back off (:class:`RetryPolicy`) within a budget in total time, logged as they go; a
refused login is not retried here but answered by the flow with one fresh token
(:mod:`ecr_cache_tui.hook.login`).

The registry check (a ``HEAD`` of the manifest) comes before the pull: it is one cheap request,
it makes "not found" a typed answer instead of a parsed daemon message, and it is what real
ECR and any OCI registry answer without a single AWS API call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from ecr_cache_tui.config.settings import DEFAULT_RETRY_SECONDS
from ecr_cache_tui.errors import (
    AccessDenied,
    LoginUnavailable,
    RemoteError,
    RepositoryNotFound,
    TagNotFound,
)
from ecr_cache_tui.records import Record

__all__ = [
    "ECR_RETRY",
    "NOT_RETRIED",
    "Attempt",
    "Outcome",
    "RetryPolicy",
    "decide",
    "retry",
]


T = TypeVar("T")

Source = Literal["local", "registry", "pulled", "forced", "not-found", "unavailable", "mismatch"]


class Outcome(Record):
    """The decision: ``hit`` or not, and where it came from (for the summary line)."""

    hit: bool
    source: Source
    detail: str = ""

    @property
    def word(self) -> str:
        """``hit`` or ``miss``."""
        return "hit" if self.hit else "miss"


class RetryPolicy(Record):
    """How often to retry a failed request, how long to wait before each retry, and for how long.

    Attributes:
        delays: the wait before each retry; one attempt more than there are delays, at most.
        budget: seconds a step keeps retrying, its attempts included: no retry starts once
            its delay would end past the budget (an attempt under way is never cut short).
    """

    delays: tuple[float, ...] = (0.5, 1.0, 2.0)
    budget: float = DEFAULT_RETRY_SECONDS

    @property
    def attempts(self) -> int:
        """Total attempts at most: the first one plus one per delay."""
        return len(self.delays) + 1

    def with_budget(self, seconds: float) -> RetryPolicy:
        """The same delays within another budget."""
        return self._replace(budget=seconds)


#: ECR's control plane throttles (``ThrottlingException``): back off for longer, within the
#: same budget. botocore retries each call a few times itself first (``adapters.aws``).
ECR_RETRY = RetryPolicy(delays=(1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0, 15.0))


class Attempt(Record):
    """A failed attempt, as :func:`retry` reports it.

    Attributes:
        number: which attempt failed (from 1).
        error: why.
        delay: seconds before the next attempt, or ``None``: no more attempts.
        elapsed: seconds since the first attempt started.
        budget: the policy's budget.
    """

    number: int
    error: RemoteError
    delay: float | None
    elapsed: float
    budget: float

    def describe(self, what: str) -> str:
        """One log line: ``pull x: attempt 2 failed (...); retrying in 1.0s (56s of 60s left)``."""
        head = f"{what}: attempt {self.number} failed ({self.error})"
        if self.delay is None:
            return f"{head}; giving up after {self.elapsed:.1f}s (retry budget {self.budget:.0f}s)"
        left = max(0.0, self.budget - self.elapsed)
        return f"{head}; retrying in {self.delay:.1f}s ({left:.0f}s of {self.budget:.0f}s left)"


#: Errors that are answers, not failures: retrying them would get the same answer. A refused
#: login is answered by the flow with a fresh token (:mod:`ecr_cache_tui.hook.login`), not by
#: sending the same one again; no login at all means there is nothing to retry with.
NOT_RETRIED: tuple[type[RemoteError], ...] = (
    TagNotFound,
    RepositoryNotFound,
    AccessDenied,
    LoginUnavailable,
)


def retry(
    action: Callable[[], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    on_retry: Callable[[Attempt], None] | None = None,
    *,
    clock: Callable[[], float] | None = None,
    retry_on: tuple[type[RemoteError], ...] = (RemoteError,),
) -> T:
    """Run ``action``, retrying ``retry_on`` errors with backoff within the policy's budget.

    "Not found", a refused login and a missing login (:data:`NOT_RETRIED`) are raised at once.
    ``on_retry`` hears of every failed attempt, the last one too (its ``delay`` is ``None``).
    Without a ``clock`` only the number of delays limits the attempts.
    """
    start = clock() if clock is not None else 0.0
    for number, planned in enumerate((*policy.delays, None), start=1):
        try:
            return action()
        except NOT_RETRIED:
            raise
        except retry_on as exc:
            elapsed = clock() - start if clock is not None else 0.0
            over = clock is not None and planned is not None and elapsed + planned > policy.budget
            delay = None if over else planned
            if on_retry is not None:
                on_retry(Attempt(number, exc, delay, elapsed, policy.budget))
            if delay is None:
                raise
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
    on_retry: Callable[[str, Attempt], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> Outcome:
    """Walk the ladder (see the module docs) and return the outcome.

    Args:
        force: ``force-rebuild`` (set by the option or the job's environment).
        skip_pull: ``skip-pull-from-cache``.
        in_daemon: whether the local daemon already has the image.
        tag_exists: whether the registry has the tag (may raise :class:`RemoteError`).
        pull: pull the image (raises :class:`TagNotFound` or another :class:`RemoteError`).
        policy: retries for ``tag_exists`` and ``pull``.
        sleep: waits between retries (injected: tests do not sleep).
        warn: where a failure that degrades to a miss is reported.
        on_retry: told about each failed attempt (``"cache check"`` or ``"pull"``, and how).
        clock: monotonic seconds, for the policy's budget.

    Raises:
        LoginUnavailable: no registry login could be had: nothing here can be asked.
    """

    def told(what: str) -> Callable[[Attempt], None] | None:
        if on_retry is None:
            return None
        return lambda attempt: on_retry(what, attempt)

    if force:
        return Outcome(hit=False, source="forced", detail="force-rebuild")
    if in_daemon():
        return Outcome(hit=True, source="local")
    try:
        exists = retry(tag_exists, policy, sleep, told("cache check"), clock=clock)
    except (TagNotFound, RepositoryNotFound):
        exists = False
    except LoginUnavailable:
        raise
    except RemoteError as exc:
        warn(f"cannot check the cache ({exc}); building instead")
        return Outcome(hit=False, source="unavailable", detail=str(exc))
    if not exists:
        return Outcome(hit=False, source="not-found")
    if skip_pull:
        return Outcome(hit=True, source="registry")
    try:
        retry(pull, policy, sleep, told("pull"), clock=clock)
    except (TagNotFound, RepositoryNotFound) as exc:
        return Outcome(hit=False, source="not-found", detail=str(exc))
    except LoginUnavailable:
        raise
    except RemoteError as exc:
        warn(f"cannot pull the cached image ({exc}); building instead")
        return Outcome(hit=False, source="unavailable", detail=str(exc))
    return Outcome(hit=True, source="pulled")
