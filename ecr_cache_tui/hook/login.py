"""The registry login for one hook run: fetched on first use, renewed once when refused.

An ECR authorization token lasts 12 hours, but it can expire (or be revoked) between the pull
and the push of one long job. Every registry operation of the hook (the manifest check, the
label read, the pull, the push) goes through :meth:`Login.authorized`: a refusal (401 or 403,
:class:`~ecr_cache_tui.errors.AccessDenied`) is answered with one fresh login (one
``GetAuthorizationToken``) and one more try; a second refusal is the operation's failure.

Fetching itself is retried by the caller's ``fetch`` (throttling, within the step's budget);
when it still fails, :class:`~ecr_cache_tui.errors.LoginUnavailable` is raised, and raised
again at once on later uses: a login that could not be had is not asked for again and again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ecr_cache_tui.errors import AccessDenied, LoginUnavailable, RemoteError

if TYPE_CHECKING:  # a local hit never imports ecr_cache_tui.model (see host_records)
    from ecr_cache_tui.model import Credentials

__all__ = ["Login"]

T = TypeVar("T")


class Login:
    """The registry login of one run.

    Args:
        fetch: gets a login (a credential helper's, or an ECR token); ``None`` is anonymous.
        renewable: whether a refusal is worth a fresh fetch (ECR tokens expire; a fixed login
            from the Docker config does not change by asking again).
        say: where a renewal is reported (one line).
    """

    def __init__(
        self,
        fetch: Callable[[], Credentials | None],
        *,
        renewable: bool,
        say: Callable[[str], None],
    ) -> None:
        self._fetch = fetch
        self._renewable = renewable
        self._say = say
        self._current: list[Credentials | None] = []
        self._failed: LoginUnavailable | None = None
        self.fetches = 0

    def get(self) -> Credentials | None:
        """The current login, fetched on first use.

        Raises:
            LoginUnavailable: it could not be fetched (now or before).
        """
        if not self._current:
            self._current.append(self._get_fresh())
        return self._current[0]

    def renew(self) -> Credentials | None:
        """Fetch a fresh login and use it from now on."""
        fresh = self._get_fresh()
        self._current[:] = [fresh]
        return fresh

    def authorized(self, what: str, action: Callable[[Credentials | None], T]) -> T:
        """``action(login)``; refused, ``action(fresh login)`` once more.

        Raises:
            AccessDenied: refused again with the fresh login (or not renewable).
            LoginUnavailable: no login could be had.
        """
        login = self.get()
        try:
            return action(login)
        except AccessDenied as exc:
            if not self._renewable:
                raise
            self._say(
                f"{what}: the registry refused the login ({exc}); trying once more with a fresh one"
            )
            return action(self.renew())

    def _get_fresh(self) -> Credentials | None:
        if self._failed is not None:
            raise self._failed
        try:
            login = self._fetch()
        except LoginUnavailable as exc:
            self._failed = exc
            raise
        except RemoteError as exc:
            self._failed = LoginUnavailable(f"no registry login: {exc}")
            raise self._failed from exc
        self.fetches += 1
        return login
