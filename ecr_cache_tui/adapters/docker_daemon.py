"""The Docker daemon through docker-py: image present? pull, tag, push.

:class:`Engine` talks to the daemon with the Docker SDK, with registry credentials handed over
per request (``auth_config``): nothing is ever written to the user's Docker config and
``docker login`` is never run. Builds go through the CLI (:mod:`.docker_cli`).

docker-py's and subprocess's exceptions are translated into :mod:`ecr_cache_tui.errors` here:
a pull of a tag that does not exist is :class:`~ecr_cache_tui.errors.TagNotFound`; any other
pull or push failure is :class:`~ecr_cache_tui.errors.RegistryError`; no daemon is
:class:`~ecr_cache_tui.errors.DaemonUnreachable`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ecr_cache_tui.adapters.docker_socket import labels_of
from ecr_cache_tui.errors import (
    AccessDenied,
    DaemonUnreachable,
    RegistryError,
    TagNotFound,
)
from ecr_cache_tui.model import Credentials, ProgressEvent

if TYPE_CHECKING:
    import docker
    from docker.models.images import Image

__all__ = ["Engine", "daemon_platform", "docker_client"]

#: The architecture names ``uname -m`` style values map to, for the variant of ARM daemons.
_ARM_VARIANTS = {"armv5l": "v5", "armv6l": "v6", "armv7l": "v7", "armv8l": "v8"}


def docker_client(
    env: Mapping[str, str] | None = None, *, timeout: int = 120
) -> docker.DockerClient:
    """A docker-py client for ``env``'s ``DOCKER_HOST`` (the local socket by default), pinged.

    Args:
        env: the environment to read ``DOCKER_HOST``/``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``
            from; ``None`` means docker-py's defaults (the process environment).
        timeout: seconds for each API call.

    Raises:
        DaemonUnreachable: nothing answers at that address.
    """
    # lazy: heavy: imported only by commands that talk to the daemon
    import docker  # noqa: PLC0415
    from docker.errors import DockerException  # noqa: PLC0415

    where = (env or {}).get("DOCKER_HOST") or "the default socket"
    try:
        client = docker.from_env(
            environment=dict(env) if env is not None else None, timeout=timeout
        )
        client.ping()
    except DockerException as exc:
        raise DaemonUnreachable(f"cannot reach the Docker daemon at {where}: {exc}") from exc
    except OSError as exc:
        raise DaemonUnreachable(f"cannot reach the Docker daemon at {where}: {exc}") from exc
    return client


def daemon_platform(client: docker.DockerClient) -> str:
    """The daemon's own platform, ``os/arch[/variant]`` as OCI spells it (``linux/amd64``).

    The daemon may be remote (``DOCKER_HOST``), so this is what a build without ``--platform``
    targets, not the agent's ``uname -m``.
    """
    # lazy: the Docker SDK loads only when asked (a local hit uses the socket)
    from docker.errors import DockerException  # noqa: PLC0415

    try:
        version = client.version()
        os_name = str(version.get("Os") or "linux")
        arch = str(version.get("Arch") or "amd64")
        variant = ""
        if arch == "arm":
            machine = str(client.info().get("Architecture") or "")
            variant = _ARM_VARIANTS.get(machine, "")
    except DockerException as exc:
        raise DaemonUnreachable(f"cannot ask the Docker daemon for its platform: {exc}") from exc
    return f"{os_name}/{arch}/{variant}" if variant else f"{os_name}/{arch}"


class Engine:
    """The Docker daemon, as the hook needs it: presence, pull, tag, push.

    Args:
        client: a docker-py client (from :func:`docker_client`).
    """

    def __init__(self, client: docker.DockerClient) -> None:
        self._client = client

    @property
    def client(self) -> docker.DockerClient:
        """The underlying docker-py client."""
        return self._client

    def platform(self) -> str:
        """See :func:`daemon_platform`."""
        return daemon_platform(self._client)

    def image_exists(self, reference: str) -> bool:
        """Whether the daemon has ``reference`` (``repo:tag``) locally."""
        # lazy: the Docker SDK loads only when asked (a local hit uses the socket)
        from docker.errors import DockerException, ImageNotFound, NotFound  # noqa: PLC0415

        try:
            self._client.images.get(reference)
        except (ImageNotFound, NotFound):
            return False
        except DockerException as exc:
            raise DaemonUnreachable(f"cannot inspect image {reference}: {exc}") from exc
        return True

    def local_labels(self, reference: str) -> dict[str, str] | None:
        """The labels of a local image; ``None`` when the daemon has no such image."""
        image = self._image(reference)
        return None if image is None else labels_of(image.attrs)

    def image_labels(self, reference: str) -> dict[str, str]:
        """The labels of a local image (empty when it has none or is absent)."""
        image = self._image(reference)
        return {} if image is None else {str(k): str(v) for k, v in (image.labels or {}).items()}

    def _image(self, reference: str) -> Image | None:
        """The daemon's image ``reference`` (inspected); ``None`` when it has no such image."""
        # lazy: the Docker SDK loads only when asked (a local hit uses the socket)
        from docker.errors import DockerException, ImageNotFound, NotFound  # noqa: PLC0415

        try:
            image = self._client.images.get(reference)
        except (ImageNotFound, NotFound):
            return None
        except DockerException as exc:
            raise DaemonUnreachable(f"cannot inspect image {reference}: {exc}") from exc
        return image

    def pull(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        platform: str | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        """Pull ``repository:tag`` with ``credentials`` given to the daemon for this request.

        Raises:
            TagNotFound: the registry has no such tag (or repository): a cache miss.
            AccessDenied: the registry refused the credentials.
            RegistryError: any other failure (network, 5xx, …): worth retrying.
        """
        # lazy: the Docker SDK loads only when asked (a local hit uses the socket)
        from docker.errors import APIError, DockerException, NotFound  # noqa: PLC0415

        ref = f"{repository}:{tag}"
        try:
            stream = self._client.api.pull(
                repository,
                tag=tag,
                stream=True,
                decode=True,
                auth_config=credentials.auth_config() if credentials else None,
                platform=platform,
            )
            self._consume(stream, f"pull {ref}", on_progress)
        except NotFound as exc:
            raise TagNotFound(f"pull {ref}: not found ({_explain(exc)})") from exc
        except APIError as exc:
            raise _registry_error(f"pull {ref}", _explain(exc)) from exc
        except DockerException as exc:
            raise RegistryError(f"pull {ref}: {exc}") from exc

    def tag(self, source: str, repository: str, tag: str) -> None:
        """Tag the local image ``source`` as ``repository:tag``."""
        # lazy: the Docker SDK loads only when asked (a local hit uses the socket)
        from docker.errors import DockerException  # noqa: PLC0415

        try:
            ok = self._client.api.tag(source, repository, tag, force=True)
        except DockerException as exc:
            raise DaemonUnreachable(f"tag {source} as {repository}:{tag}: {exc}") from exc
        if not ok:
            raise DaemonUnreachable(f"tag {source} as {repository}:{tag}: the daemon refused")

    def push(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        """Push ``repository:tag`` with ``credentials`` for this request.

        Raises:
            AccessDenied: the registry refused the credentials.
            RegistryError: the push failed (registry down, 5xx, …).
        """
        # lazy: the Docker SDK loads only when asked (a local hit uses the socket)
        from docker.errors import DockerException  # noqa: PLC0415

        ref = f"{repository}:{tag}"
        try:
            stream = self._client.api.push(
                repository,
                tag=tag,
                stream=True,
                decode=True,
                auth_config=credentials.auth_config() if credentials else None,
            )
            self._consume(stream, f"push {ref}", on_progress)
        except DockerException as exc:
            raise _registry_error(f"push {ref}", _explain(exc)) from exc

    @staticmethod
    def _consume(
        stream: Iterable[Any],
        action: str,
        on_progress: Callable[[ProgressEvent], None] | None,
    ) -> None:
        # The daemon reports most pull/push failures inside a 200 stream, not as HTTP errors.
        for item in stream:
            if not isinstance(item, dict):
                continue
            error = item.get("error") or (item.get("errorDetail") or {}).get("message")
            if error:
                text = str(error)
                if _NOT_FOUND.search(text):
                    raise TagNotFound(f"{action}: not found ({text})")
                raise _registry_error(action, text)
            if on_progress is not None and item.get("status"):
                on_progress(
                    ProgressEvent(
                        layer=str(item.get("id") or ""),
                        status=str(item["status"]),
                        progress=str(item.get("progress") or ""),
                    )
                )


# What the daemon says when a registry has no such manifest (dockerd 20.10 to 28).
_NOT_FOUND = re.compile(r"manifest unknown|not found: manifest|manifest for .* not found", re.I)
_DENIED = re.compile(r"unauthorized|authentication required|denied|no basic auth", re.I)


def _explain(exc: Exception) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)


def _registry_error(action: str, text: str) -> RegistryError | AccessDenied:
    if _DENIED.search(text) and not _NOT_FOUND.search(text):
        return AccessDenied(f"{action}: {text}")
    return RegistryError(f"{action}: {text}")
