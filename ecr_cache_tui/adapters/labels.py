"""Image labels read from the registry that serves the ECR repositories (the inputs manifest).

:class:`RegistryLabelReader` serves :class:`ecr_cache_tui.ports.LabelReader` for the
maintainers' service: one registry client per host, logged in with an ECR token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ecr_cache_tui.adapters.registry import RegistryClient
from ecr_cache_tui.errors import AccessDenied, RepositoryNotFound
from ecr_cache_tui.ports import EcrApi

__all__ = ["RegistryLabelReader"]


class RegistryLabelReader:
    """Reads image labels from the registry that serves the ECR repositories.

    The host is each repository URI's (ECR's data plane) unless ``registry_hostname`` is given
    (a FIPS or dual-stack endpoint, a proxy, a local registry in tests); the login is an ECR
    authorization token, fetched once and reused. Safe to call from several threads.

    Args:
        ecr: the ECR adapter (for the token and the repository URI).
        registry_hostname: ``host[:port]`` to read from instead of the repository's host.
        client_factory: builds a registry client for ``(host, (user, password))``; by
            default :class:`ecr_cache_tui.adapters.registry.RegistryClient`.
    """

    def __init__(
        self,
        ecr: EcrApi,
        *,
        registry_hostname: str | None = None,
        client_factory: Callable[[str, tuple[str, str]], RegistryClient] | None = None,
    ) -> None:
        self._ecr = ecr
        self._hostname = registry_hostname
        self._factory = client_factory
        self._clients: dict[str, RegistryClient] = {}
        self._lock = threading.Lock()

    def __call__(self, repository: str, tag: str) -> dict[str, str] | None:
        """The labels of ``repository:tag`` (``None`` when the image has none).

        A refused login is retried once with a fresh token: ECR tokens last 12 hours, and a
        TUI session may outlive one.
        """
        try:
            return self._client(repository).image_labels(repository, tag) or None
        except AccessDenied:
            self._forget(repository)
            return self._client(repository).image_labels(repository, tag) or None

    def _forget(self, repository: str) -> None:
        with self._lock:
            if self._hostname is not None:
                self._clients.pop(self._hostname, None)
            else:
                self._clients.clear()

    def _client(self, repository: str) -> RegistryClient:
        host = self._hostname
        if host is None:
            info = self._ecr.describe_repository(repository)
            if info is None:
                raise RepositoryNotFound(f"repository {repository} does not exist")
            host = info.host
        with self._lock:
            client = self._clients.get(host)
            if client is None:
                auth = self._ecr.authorization()
                factory = self._factory or _registry_client
                client = factory(host, (auth.username, auth.password))
                self._clients[host] = client
            return client


def _registry_client(host: str, credentials: tuple[str, str]) -> RegistryClient:
    return RegistryClient(host, credentials)
