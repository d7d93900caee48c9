"""Fixtures of the hook's end-to-end tests (the real shim against the services).

- ``agent``: a Buildkite agent (:class:`tests.hook.hookrun.Agent`) on the run's services, with a
  ``HOME`` of its own and moto emptied; when the test ends, no job log it ran may show the
  token (any of :data:`~tests.hook.hookrun.TOKEN_FORMS`) or a value of ``forbidden_in_log``.
- ``forbidden_in_log``: more values no job log may show; a module overrides it (the secrets and
  build-arg values its tests put in the environment).
- ``pipeline``: a fresh pipeline name, ``<module>-<hex>`` (``e2e-1a2b3c4d``).
- ``checkout``: a checkout with the module's ``DOCKERFILE`` and a ``package.json``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hook.hookrun import TOKEN_FORMS, Agent
from tests.services import Services, write_context


@pytest.fixture
def forbidden_in_log() -> tuple[str, ...]:
    return ()


@pytest.fixture
def agent(
    services: Services, moto_reset: None, tmp_path: Path, forbidden_in_log: tuple[str, ...]
) -> Iterator[Agent]:
    home = tmp_path / "home"
    home.mkdir()
    found = Agent(services=services, home=home, transcript=[])
    yield found
    for output in found.transcript:
        for secret in (*TOKEN_FORMS, *forbidden_in_log):
            assert secret not in output, f"{secret!r} leaked into the job log"


@pytest.fixture
def pipeline(request: pytest.FixtureRequest) -> str:
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    return f"{module.replace('_', '-')}-{secrets.token_hex(4)}"


@pytest.fixture
def checkout(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    dockerfile: str = request.module.DOCKERFILE
    return write_context(tmp_path / "checkout", dockerfile, {"package.json": '{"v": 1}\n'})
