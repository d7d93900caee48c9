"""The Docker daemon's unix socket, asked directly: the cheapest way to ask it anything.

A local hit asks the daemon whether it has the image (``GET /images/<ref>/json``), and its
platform (``GET /version``) only once per run of the daemon and day (:class:`SocketEngine`
keeps the answer in the host's state). Through docker-py that costs importing the SDK (about
0.2-0.3 s, with requests and urllib3); through the CLI, one more process (``docker image
inspect``: 20-70 ms here, by CLI version). A raw HTTP/1.0 request over the socket with the
standard library costs well under a millisecond, so the hook asks that way whenever the daemon
is a unix socket, and lets docker-py do the rest (pull, tag, push) only when it must
(:class:`SocketEngine`).

Which socket (:func:`socket_path`), as the docker CLI and docker-py would pick it:
``DOCKER_HOST=unix:///path`` gives ``/path``; any other ``DOCKER_HOST`` (``tcp://``, ``ssh://``,
``npipe://``, ``fd://``) gives ``None`` and the caller uses docker-py for everything (TLS,
ssh tunnels are its business). Without ``DOCKER_HOST``, a Docker context other than
``default`` (``DOCKER_CONTEXT``, or ``currentContext`` in the Docker config) also gives
``None``: docker-py resolves contexts itself. Otherwise ``/var/run/docker.sock``.
"""

from __future__ import annotations

import _socket  # see DaemonSocket.get
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecr_cache_tui import boundedjson
from ecr_cache_tui.errors import DaemonUnreachable
from ecr_cache_tui.host_records import DaemonRecord

if TYPE_CHECKING:
    from ecr_cache_tui.model import Credentials, ProgressEvent
    from ecr_cache_tui.ports import EngineApi, HostStateApi

__all__ = [
    "DAEMON_RECORD_SECONDS",
    "DEFAULT_SOCKET",
    "DaemonSocket",
    "SocketEngine",
    "labels_of",
    "socket_path",
]

DEFAULT_SOCKET = "/var/run/docker.sock"

#: ``uname -m`` style names of 32-bit ARM daemons and their OCI variants (as docker_daemon).
_ARM_VARIANTS = {"armv5l": "v5", "armv6l": "v6", "armv7l": "v7", "armv8l": "v8"}

#: What may appear in an image reference (and so, unescaped, in the request path).
_REFERENCE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@")


def socket_path(env: Mapping[str, str]) -> str | None:
    """The unix socket of the daemon ``env`` names, or ``None`` when it is not one (see the
    module docs)."""
    host = env.get("DOCKER_HOST", "")
    if host:
        if host.startswith("unix://"):
            return host.removeprefix("unix://") or DEFAULT_SOCKET
        return None
    context = env.get("DOCKER_CONTEXT", "") or _current_context(env)
    if context and context != "default":
        return None
    return DEFAULT_SOCKET


def _current_context(env: Mapping[str, str]) -> str:
    if env.get("DOCKER_CONFIG"):
        path = Path(env["DOCKER_CONFIG"]) / "config.json"
    elif env.get("HOME"):
        path = Path(env["HOME"]) / ".docker" / "config.json"
    else:
        return ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    context = data.get("currentContext") if isinstance(data, dict) else None
    return context if isinstance(context, str) else ""


class DaemonSocket:
    """HTTP/1.0 requests to the Docker daemon over its unix socket, standard library only.

    Args:
        path: the socket.
        timeout: seconds to connect and for each read.
    """

    def __init__(self, path: str, *, timeout: float = 60.0) -> None:
        self.path = path
        self.timeout = timeout

    def get(self, target: str) -> tuple[int, bytes]:
        """``GET target``: the status and the body.

        Raises:
            DaemonUnreachable: nothing answers on the socket, or it does not speak HTTP.
        """
        request = f"GET {target} HTTP/1.0\r\nHost: docker\r\nUser-Agent: ecr-cache\r\n\r\n"
        chunks: list[bytes] = []
        # The C module that ``socket`` wraps: one unix socket needs connect, sendall and recv,
        # and importing ``socket`` (its enums, selectors) costs ~2 ms of every local hit.
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.path)
            sock.sendall(request.encode("ascii"))
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError as exc:
            raise DaemonUnreachable(
                f"cannot reach the Docker daemon at unix://{self.path}: {exc}"
            ) from exc
        finally:
            sock.close()
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].split()
        if (
            len(status_line) < 2
            or not status_line[0].startswith(b"HTTP/")
            or not status_line[1].isdigit()
        ):
            raise DaemonUnreachable(
                f"the Docker daemon at unix://{self.path} answered {head[:60]!r}, not HTTP"
            )
        return int(status_line[1]), body

    def get_json(self, target: str) -> Any:
        """``GET target``, which must answer 200 with JSON."""
        status, body = self.get(target)
        if status != 200:
            raise DaemonUnreachable(
                f"the Docker daemon at unix://{self.path} answered {status} to GET {target}: "
                f"{_message(body)}"
            )
        try:
            return _decode(body)
        except ValueError as exc:
            raise DaemonUnreachable(
                f"the Docker daemon at unix://{self.path} sent unreadable JSON for GET {target}"
            ) from exc

    def identity(self) -> str | None:
        """This daemon's run: the socket and its file's device, inode and change time (a
        daemon that starts makes its socket anew); ``None`` when it cannot be told."""
        try:
            found = Path(self.path).stat()
        except OSError:
            return None
        return f"unix://{self.path} {found.st_dev}:{found.st_ino}:{found.st_ctime_ns}"

    def ping(self) -> None:
        """Raise :class:`DaemonUnreachable` unless the daemon answers ``/_ping``."""
        status, body = self.get("/_ping")
        if status != 200:
            raise DaemonUnreachable(
                f"the Docker daemon at unix://{self.path} answered {status} to /_ping: "
                f"{_message(body)}"
            )

    def platform(self) -> str:
        """The daemon's ``os/arch[/variant]`` (see :func:`.docker_daemon.daemon_platform`)."""
        version = self.get_json("/version")
        os_name = str(version.get("Os") or "linux")
        arch = str(version.get("Arch") or "amd64")
        if arch == "arm":
            machine = str(self.get_json("/info").get("Architecture") or "")
            variant = _ARM_VARIANTS.get(machine, "")
            if variant:
                return f"{os_name}/{arch}/{variant}"
        return f"{os_name}/{arch}"

    def image_exists(self, reference: str) -> bool:
        """Whether the daemon has ``reference`` (``repo:tag``), as ``docker image inspect``."""
        if not reference or not set(reference) <= _REFERENCE_CHARS:
            raise DaemonUnreachable(f"cannot inspect image {reference!r}: not a reference")
        status, body = self.get(f"/images/{reference}/json")
        if status == 200:
            return True
        if status == 404:
            return False
        raise DaemonUnreachable(f"cannot inspect image {reference}: {status} {_message(body)}")

    def local_labels(self, reference: str) -> dict[str, str] | None:
        """The labels of ``reference`` (``None``: the daemon has no such image), from the same
        ``GET /images/<ref>/json`` that :meth:`image_exists` makes."""
        if not reference or not set(reference) <= _REFERENCE_CHARS:
            raise DaemonUnreachable(f"cannot inspect image {reference!r}: not a reference")
        status, body = self.get(f"/images/{reference}/json")
        if status == 404:
            return None
        if status != 200:
            raise DaemonUnreachable(f"cannot inspect image {reference}: {status} {_message(body)}")
        try:
            data = _decode(body)
        except ValueError as exc:
            raise DaemonUnreachable(
                f"the Docker daemon at unix://{self.path} sent unreadable JSON for {reference}"
            ) from exc
        return labels_of(data)


def labels_of(inspect: Any) -> dict[str, str]:
    """``Config.Labels`` of an image inspect document, string values only (others dropped)."""
    config = inspect.get("Config") if isinstance(inspect, dict) else None
    labels = config.get("Labels") if isinstance(config, dict) else None
    if not isinstance(labels, dict):
        return {}
    return {str(k): v for k, v in labels.items() if isinstance(v, str)}


#: An answer of the daemon decoded at most this long (an image's inspect with a 1 MiB label
#: and its history is far below) and this deep; labels come from whoever pushed the image.
_MAX_ANSWER = 16 << 20
_MAX_DEPTH = 64


def _decode(body: bytes) -> Any:
    return boundedjson.loads(body, max_chars=_MAX_ANSWER, max_depth=_MAX_DEPTH)


def _message(body: bytes) -> str:
    try:
        data = _decode(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip()
    message = data.get("message") if isinstance(data, dict) else None
    return str(message) if message else body[:200].decode("utf-8", "replace").strip()


#: How long the host's record of a daemon's platform is trusted (the same run of the daemon).
DAEMON_RECORD_SECONDS = 24 * 3600


class SocketEngine:
    """:class:`ecr_cache_tui.ports.EngineApi`: questions over the socket, work through docker-py.

    ``platform`` and ``image_exists`` go to :class:`DaemonSocket`; ``pull``, ``tag`` and
    ``push`` to the engine ``make_engine`` makes, on first use (so a local hit never imports
    the SDK).

    The platform is asked once per run of the daemon and day and kept in ``host`` (when given):
    ``GET /version`` costs the daemon about 5 ms (it asks containerd and the runtime), a
    tenth of a local hit, and a daemon's platform cannot change while it runs.
    """

    def __init__(
        self,
        daemon: DaemonSocket,
        make_engine: Callable[[], EngineApi],
        *,
        host: HostStateApi | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.daemon = daemon
        self._make_engine = make_engine
        self._engine: EngineApi | None = None
        self._host = host
        self._now = now

    @property
    def engine(self) -> EngineApi:
        """The docker-py engine, made now if not yet."""
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    def platform(self) -> str:
        host = self._host
        identity = self.daemon.identity() if host is not None else None
        if host is None or identity is None:
            return self.daemon.platform()
        record = host.daemon_platform(identity)
        if record is not None and 0 <= self._now() - record.asked_at < DAEMON_RECORD_SECONDS:
            return record.platform
        platform = self.daemon.platform()
        host.save_daemon_platform(DaemonRecord(identity, platform, self._now()))
        return platform

    def image_exists(self, reference: str) -> bool:
        return self.daemon.image_exists(reference)

    def local_labels(self, reference: str) -> dict[str, str] | None:
        return self.daemon.local_labels(reference)

    def pull(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        platform: str | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        self.engine.pull(repository, tag, credentials, platform=platform, on_progress=on_progress)

    def tag(self, source: str, repository: str, tag: str) -> None:
        self.engine.tag(source, repository, tag)

    def push(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        self.engine.push(repository, tag, credentials, on_progress=on_progress)
