"""Base images resolved to manifest digests through their registries (``base-image-digests``).

:class:`RegistryBaseImages` serves :class:`ecr_cache_tui.ports.BaseImageResolver` with
:class:`~ecr_cache_tui.adapters.registry.RegistryClient` (one per registry host, so a token
learned from one challenge serves every image of that host): a ``HEAD`` of the manifest with
the Docker and OCI manifest and index types, token (``WWW-Authenticate: Bearer``) or basic
auth, and for a multi-platform index one bounded ``GET`` to pick the build's platform.

Which login a host gets is the composition's choice (:mod:`ecr_cache_tui.wiring`): the Docker
config and its credential helpers, an ECR token for an ECR host.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ecr_cache_tui.adapters.registry import RegistryClient
from ecr_cache_tui.cachekey.baseimages import DOCKER_HUB, ImageName
from ecr_cache_tui.model import Credentials

__all__ = ["DOCKER_HUB_CONFIG_KEY", "RegistryBaseImages", "ecr_registry_of"]

#: The key the ``docker`` CLI files Docker Hub's login under (in ``auths`` and for helpers).
DOCKER_HUB_CONFIG_KEY = "https://index.docker.io/v1/"

#: Seconds per request: a base image is worth a short wait, not a job's worth of it.
TIMEOUT = 10.0

_ECR_HOST = re.compile(
    r"(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
)


def ecr_registry_of(host: str) -> tuple[str, str] | None:
    """``(account, region)`` of an ECR registry host, or ``None`` for any other host."""
    match = _ECR_HOST.fullmatch(host)
    return (match["account"], match["region"]) if match else None


def config_key(image: ImageName) -> str:
    """Where the Docker config keeps ``image``'s registry login (Docker Hub's is a URL)."""
    return DOCKER_HUB_CONFIG_KEY if image.domain == DOCKER_HUB else image.domain


class RegistryBaseImages:
    """:class:`ecr_cache_tui.ports.BaseImageResolver` over the registry HTTP API.

    Args:
        login: the login for a registry host (``None``: anonymous); asked once per host.
        client: makes the client of one host (tests inject one with another session).
    """

    def __init__(
        self,
        login: Callable[[ImageName], Credentials | None],
        *,
        client: Callable[[str, tuple[str, str] | None], RegistryClient] | None = None,
    ) -> None:
        self._login = login
        self._make = client or (lambda host, creds: RegistryClient(host, creds, timeout=TIMEOUT))
        self._clients: dict[str, RegistryClient] = {}

    def digest(self, image: ImageName, platform: str) -> str:
        """See :meth:`ecr_cache_tui.ports.BaseImageResolver.digest`."""
        client = self._clients.get(image.host)
        if client is None:
            found = self._login(image)
            creds = (found.username, found.password) if found is not None else None
            client = self._clients[image.host] = self._make(image.host, creds)
        return client.manifest_digest(image.repository, image.reference, platform)
