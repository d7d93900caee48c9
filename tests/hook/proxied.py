"""A job environment whose ECR (moto) and registry are each behind a :class:`FaultProxy` of the
test's own: the proxies count every request and inject what the test scripts
(``tests/hook/test_faults.py``, ``tests/hook/test_e2e_writers.py``)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecr_cache_tui.adapters.registry import RegistryClient
from tests.faultproxy import FaultProxy
from tests.hook.hookrun import Agent, HookRun
from tests.services import ECR_PASSWORD, ECR_USER


@dataclass
class ProxiedJob:
    agent: Agent
    ecr: FaultProxy
    registry: FaultProxy
    checkout: Path
    pipeline: str
    docker: Any
    #: The pipeline's repository, and its image as the job names it (through the proxy).
    name: str = field(init=False)
    image: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"build-cache/acme/{self.pipeline}"
        self.image = f"{self.registry.host}/{self.name}"

    def config(self, **options: Any) -> dict[str, Any]:
        return {
            "cache-on": ["package.json"],
            "registry-hostname": self.registry.host,
            "additional-build-args": "--network=host",
            **options,
        }

    def environment(self) -> dict[str, str]:
        """What each run of the job adds to the agent's environment: ECR through its proxy."""
        return {"AWS_ENDPOINT_URL_ECR": self.ecr.url}

    def run(self, config: dict[str, Any] | None = None, **extra: str) -> HookRun:
        env = {**self.environment(), **extra}
        return self.agent.run(self.checkout, config or self.config(), self.pipeline, env)

    def client(self) -> RegistryClient:
        """The registry itself (not through its proxy), with the ECR login."""
        return RegistryClient(self.registry.upstream, (ECR_USER, ECR_PASSWORD))

    def in_registry(self, tag: str) -> bool:
        return self.client().manifest_exists(self.name, tag)

    def digest(self, tag: str) -> str | None:
        with contextlib.suppress(Exception):
            return self.client().get_manifest(self.name, tag).digest
        return None

    def forget_local(self, *tags: str) -> None:
        """Remove the pipeline's ``tags`` from the daemon: the next job must ask the registry."""
        for tag in tags:
            with contextlib.suppress(Exception):
                self.docker.images.remove(f"{self.image}:{tag}", force=True)
