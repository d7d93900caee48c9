"""The real services ``scripts/test`` starts, as one value the tests can pass around.

``scripts/services.py start`` exports where everything is (``ECR_CACHE_TEST_*``, ``DOCKER_HOST``);
:meth:`Services.from_environ` reads it back, :meth:`Services.check` proves each one answers.
:func:`requirement` decides what a test that needs them does when they are absent: skip on a
developer's machine (with the command to run instead), fail in CI or under ``scripts/test``,
where a service that did not start is a broken run, never a skip.

Import from tests as ``from tests.services import Services, unique_name``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "ECR_PASSWORD",
    "ECR_USER",
    "Builder",
    "Services",
    "ServicesUnavailable",
    "decode_authorization_token",
    "requirement",
    "unique_name",
    "worker_set",
    "write_context",
]

ECR_USER = "AWS"
ECR_PASSWORD = "123456789012-auth-token"  # moto's fixed get_authorization_token answer
HOW_TO_RUN = "run the suite with scripts/test (it starts dockerd, the registries and moto)"

Builder = Literal["legacy", "buildkit"]

_REQUIRED = {
    "docker_host": "DOCKER_HOST",
    "registry": "ECR_CACHE_TEST_REGISTRY",
    "auth_registry": "ECR_CACHE_TEST_AUTH_REGISTRY",
    "moto_url": "ECR_CACHE_TEST_MOTO_URL",
    "run_dir": "ECR_CACHE_TEST_RUN_DIR",
}


class ServicesUnavailable(Exception):
    """A service is not configured or does not answer; the message says which."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


def requirement(environ: Mapping[str, str]) -> Literal["required", "optional"]:
    """``required`` under scripts/test (``ECR_CACHE_TEST_SERVICES``) or in CI (``CI``).

    Required means a missing or dead service fails the test; optional means it is skipped.
    """
    if _truthy(environ.get("ECR_CACHE_TEST_SERVICES")) or _truthy(environ.get("CI")):
        return "required"
    return "optional"


@dataclass(frozen=True)
class Services:
    """Where the run's services are. Every address is on 127.0.0.1, every port picked free.

    Attributes:
        docker_host: ``unix:///tmp/ect.XXXXXX/docker.sock`` (dockerd 20.10, no bridge network:
            builds and containers use ``host`` or ``none`` networking).
        registry: ``127.0.0.1:PORT`` of a plain registry (no auth, deletes enabled).
        auth_registry: ``127.0.0.1:PORT`` of a registry behind basic auth ``AWS`` /
            ``123456789012-auth-token``: ECR's data plane, as moto's token unlocks it.
        moto_url: ``http://127.0.0.1:PORT`` of moto_server (the ECR control plane).
        run_dir: the run's directory (logs in ``logs/``); removed when the run ends.
        registry_ctl: executable: ``registry_ctl stop|start|status auth|plain``.
        buildkit_cli: a ``docker`` CLI with BuildKit built in (Debian's ``/usr/bin/docker``).
        legacy_cli: a ``docker`` CLI for the legacy builder (with ``DOCKER_BUILDKIT=0``).
    """

    docker_host: str
    registry: str
    auth_registry: str
    moto_url: str
    run_dir: Path
    registry_ctl: Path
    buildkit_cli: str = "/usr/bin/docker"
    legacy_cli: str = "/usr/bin/docker"
    busybox_image: str = "local/busybox:latest"
    storage_driver: str = ""
    region: str = "eu-west-1"
    auth_username: str = ECR_USER
    auth_password: str = ECR_PASSWORD

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Services:
        """Read what ``scripts/services.py start`` exported.

        Raises:
            ServicesUnavailable: a variable is missing (the message lists them).
        """
        missing = [var for var in _REQUIRED.values() if not environ.get(var)]
        if missing:
            raise ServicesUnavailable(f"not set: {', '.join(missing)}; {HOW_TO_RUN}")
        run_dir = Path(environ["ECR_CACHE_TEST_RUN_DIR"])
        return cls(
            docker_host=environ["DOCKER_HOST"],
            registry=environ["ECR_CACHE_TEST_REGISTRY"],
            auth_registry=environ["ECR_CACHE_TEST_AUTH_REGISTRY"],
            moto_url=environ["ECR_CACHE_TEST_MOTO_URL"].rstrip("/"),
            run_dir=run_dir,
            registry_ctl=Path(
                environ.get("ECR_CACHE_TEST_REGISTRY_CTL") or run_dir / "registry-ctl"
            ),
            buildkit_cli=environ.get("ECR_CACHE_TEST_DOCKER_BUILDKIT_CLI") or "/usr/bin/docker",
            legacy_cli=environ.get("ECR_CACHE_TEST_DOCKER_LEGACY_CLI") or "/usr/bin/docker",
            busybox_image=environ.get("ECR_CACHE_TEST_BUSYBOX_IMAGE") or "local/busybox:latest",
            storage_driver=environ.get("ECR_CACHE_TEST_STORAGE_DRIVER", ""),
            region=environ.get("AWS_DEFAULT_REGION") or "eu-west-1",
        )

    # --- health ------------------------------------------------------------------------------

    def check(self, timeout: float = 5.0) -> None:
        """Prove every service answers as itself.

        Raises:
            ServicesUnavailable: naming the first service that does not.
        """
        if not self.docker_host.startswith("unix://"):
            raise ServicesUnavailable(f"DOCKER_HOST={self.docker_host} is not the run's socket")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(self.docker_host.removeprefix("unix://"))
                sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                reply = sock.recv(4096)
        except OSError as error:
            raise ServicesUnavailable(f"dockerd at {self.docker_host}: {error}") from error
        if not reply.startswith(b"HTTP/1.") or not reply.rstrip().endswith(b"OK"):
            raise ServicesUnavailable(f"dockerd at {self.docker_host} answered {reply[:80]!r}")
        for name, host, expected in (
            ("registry", self.registry, 200),
            ("auth registry", self.auth_registry, 401),
        ):
            status = http_status(f"http://{host}/v2/", timeout=timeout)
            if status != expected:
                raise ServicesUnavailable(f"{name} at {host}: /v2/ gave {status}, not {expected}")
        status = http_status(f"{self.moto_url}/moto-api/reset", method="POST", timeout=timeout)
        if status != 200:
            raise ServicesUnavailable(f"moto at {self.moto_url}: reset gave {status}")

    # --- moto --------------------------------------------------------------------------------

    def reset_moto(self) -> None:
        """Forget every repository, image and policy moto holds."""
        status = http_status(f"{self.moto_url}/moto-api/reset", method="POST")
        if status != 200:
            raise ServicesUnavailable(f"moto reset at {self.moto_url} gave {status}")

    def aws_env(self) -> dict[str, str]:
        """What a process needs to use moto as ECR (boto3 reads ``AWS_ENDPOINT_URL_ECR``)."""
        return {
            "AWS_ENDPOINT_URL_ECR": self.moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    # --- docker ------------------------------------------------------------------------------

    @property
    def auth_config(self) -> dict[str, str]:
        """Credentials for the auth registry, as the Docker SDK's ``auth_config`` takes them."""
        return {"username": self.auth_username, "password": self.auth_password}

    def env(self, *, moto: bool = False, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """An environment for a subprocess: ``base`` (default: ours) on this run's daemon.

        Args:
            moto: also point AWS at moto (:meth:`aws_env`).
            base: the environment to start from; ``os.environ`` when None.
        """
        env = dict(os.environ if base is None else base)
        env["DOCKER_HOST"] = self.docker_host
        env.pop("DOCKER_CONTEXT", None)
        if moto:
            env.update(self.aws_env())
        return env

    def docker_cli(self, builder: Builder) -> tuple[list[str], dict[str, str]]:
        """``(argv prefix, env)`` to run ``docker`` with the given builder on this daemon.

        There is no bridge network: pass ``--network=host`` to ``docker build`` when the
        Dockerfile has a ``RUN`` step (BuildKit fails with "network bridge not found").
        """
        env = self.env()
        if builder == "buildkit":
            env["DOCKER_BUILDKIT"] = "1"
            return [self.buildkit_cli], env
        env["DOCKER_BUILDKIT"] = "0"
        return [self.legacy_cli], env

    # --- registries --------------------------------------------------------------------------

    def registry_control(
        self, action: Literal["stop", "start", "status"], which: Literal["auth", "plain"] = "auth"
    ) -> str:
        """Stop, start or query a registry (same port, same storage after a restart)."""
        done = subprocess.run(
            [str(self.registry_ctl), action, which],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.strip()

    @contextlib.contextmanager
    def registry_stopped(self, which: Literal["auth", "plain"] = "auth") -> Iterator[None]:
        """Within the block the registry is down (pushes and pulls fail); started again after."""
        self.registry_control("stop", which)
        try:
            yield
        finally:
            self.registry_control("start", which)


def worker_set(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables that point this pytest-xdist worker at its own set of services.

    ``scripts/test`` starts one set (dockerd, registries, moto) per worker and lists each set's
    variables in ``RUN_DIR/env.json``; worker ``gwI`` takes set I. Empty outside a worker (the
    environment already names set 0) or when the services were not started.

    Raises:
        ServicesUnavailable: the worker has no set of its own (more workers than sets: they
            would race each other on one moto and one daemon).
    """
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    run_dir = environ.get("ECR_CACHE_TEST_RUN_DIR")
    if not worker or not run_dir:
        return {}
    try:
        sets = json.loads((Path(run_dir) / "env.json").read_text())["sets"]
    except (OSError, ValueError, KeyError) as error:
        message = f"cannot read the services' sets in {run_dir}: {error}"
        raise ServicesUnavailable(message) from error
    index = int(worker.removeprefix("gw"))
    if index >= len(sets):
        raise ServicesUnavailable(
            f"worker {worker} has no set of services: {len(sets)} were started for "
            f"{len(sets)} worker(s); give the number of workers to scripts/test "
            "(ECR_CACHE_TEST_WORKERS=N or -n N), which starts one set each"
        )
    return {str(k): str(v) for k, v in sets[index].items()}


def http_status(url: str, method: str = "GET", timeout: float = 5.0) -> int:
    """The status of one request; 0 when nothing answered."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def decode_authorization_token(token: str) -> tuple[str, str]:
    """ECR's ``authorizationToken`` (base64 of ``user:password``) as ``(user, password)``."""
    user, _, password = base64.b64decode(token).decode().partition(":")
    return user, password


def unique_name(prefix: str = "t", hint: str = "") -> str:
    """A fresh repository name, valid for ECR and any registry: ``prefix/hint-1a2b3c4d``."""
    slug = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:40].strip("-")
    tail = f"{slug}-{secrets.token_hex(4)}" if slug else secrets.token_hex(4)
    prefix = re.sub(r"[^a-z0-9/._-]+", "-", prefix.lower()).strip("/-._") or "t"
    return f"{prefix}/{tail}"


def write_context(directory: Path, dockerfile: str, files: Mapping[str, str] | None = None) -> Path:
    """Write a build context: ``Dockerfile`` plus ``files`` (relative path -> text)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(dockerfile)
    for relative, text in (files or {}).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory
