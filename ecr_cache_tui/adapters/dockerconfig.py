"""Registry credentials from the user's Docker config, read-only (never written).

Lookup order is the docker CLI's own: ``credHelpers[host]``, then ``credsStore``, then the
plain ``auths`` entry. Helpers are the ``docker-credential-<name>`` programs, asked with
``get`` and the host on stdin (the credential-helper protocol); ``amazon-ecr-login`` is one, so
an agent already set up for ECR that way is used as it is.

The config lives at ``$DOCKER_CONFIG/config.json``, else ``$HOME/.docker/config.json``.
"""

from __future__ import annotations

import base64
import binascii
import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecr_cache_tui.model import Credentials

__all__ = ["DockerConfig"]


@dataclass(frozen=True)
class DockerConfig:
    """The parts of a Docker ``config.json`` that say how to log in to a registry.

    Args:
        auths: the ``auths`` map (host -> entry with ``auth`` or ``username``/``password``).
        cred_helpers: ``credHelpers`` (host -> helper suffix).
        creds_store: ``credsStore`` (helper suffix for every host), or empty.
        env: the environment helpers run with (their ``PATH`` finds them).
        runner: ``subprocess.run``-alike, injected for tests.
    """

    auths: Mapping[str, Any]
    cred_helpers: Mapping[str, str]
    creds_store: str
    env: Mapping[str, str]
    runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run

    @classmethod
    def load(
        cls,
        env: Mapping[str, str],
        *,
        runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    ) -> DockerConfig:
        """Read the config ``env`` points at; an absent or unreadable one is empty."""
        if env.get("DOCKER_CONFIG"):
            path = Path(env["DOCKER_CONFIG"]) / "config.json"
        else:
            path = Path(env.get("HOME") or Path.home()) / ".docker" / "config.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(
            auths=data.get("auths") or {},
            cred_helpers=data.get("credHelpers") or {},
            creds_store=str(data.get("credsStore") or ""),
            env=env,
            runner=runner,
        )

    def helper_for(self, host: str) -> str | None:
        """The credential helper serving ``host``, if any."""
        return self.cred_helpers.get(host) or self.creds_store or None

    def credentials(self, host: str, *, helpers_only: bool = False) -> Credentials | None:
        """The login for ``host``, or ``None`` if the config has none.

        Args:
            host: ``host[:port]``.
            helpers_only: ignore plain ``auths`` entries (for ECR, whose tokens expire within
                12 hours: a stored one is more likely stale than not).
        """
        helper = self.helper_for(host)
        if helper:
            found = self._from_helper(helper, host)
            if found is not None or self.cred_helpers.get(host):
                return found
        if helpers_only:
            return None
        return self._from_auths(host)

    def _from_helper(self, helper: str, host: str) -> Credentials | None:
        try:
            done = self.runner(
                [f"docker-credential-{helper}", "get"],
                input=host,
                env=dict(self.env),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0:
            return None
        try:
            data = json.loads(done.stdout)
            username, secret = str(data["Username"]), str(data["Secret"])
        except (ValueError, KeyError, TypeError):
            return None
        return Credentials(username, secret) if secret else None

    def _from_auths(self, host: str) -> Credentials | None:
        for key in (host, f"https://{host}", f"http://{host}", f"https://{host}/v1/"):
            entry = self.auths.get(key)
            if not isinstance(entry, dict):
                continue
            if entry.get("username") and entry.get("password"):
                return Credentials(str(entry["username"]), str(entry["password"]))
            if entry.get("auth"):
                try:
                    decoded = base64.b64decode(str(entry["auth"])).decode()
                except (binascii.Error, UnicodeDecodeError):
                    return None
                user, sep, password = decoded.partition(":")
                return Credentials(user, password) if sep else None
        return None
