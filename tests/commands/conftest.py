"""Fixtures for the maintainers' commands: running ``ecr-cache`` in-process.

The commands build their own boto3 client (as in production); the ``moto_ecr`` fixture
(``tests/moto_harness.py``) intercepts it, and its seeding helpers write through the same
adapter. ``pusher`` (:class:`tests.labelled_push.Pusher`) makes cached tags on the real
services: labelled images in the htpasswd registry, recorded in moto.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from ecr_cache_tui import cli
from tests import moto_harness
from tests.labelled_push import Pusher
from tests.moto_harness import MotoEcr
from tests.services import Services

if TYPE_CHECKING:
    import docker
    from mypy_boto3_ecr import ECRClient

REGION = moto_harness.REGION


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def ecr_cache(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``ecr_cache("ls", "--json", stdin="y\\n")`` runs the CLI in-process."""

    def run(*argv: str, stdin: str = "") -> Result:
        capsys.readouterr()
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def ecr_cache_cli(ecr_cache: Any) -> Any:
    """The same as ``ecr_cache``, for modules where that name is a helper."""
    return ecr_cache


@pytest.fixture
def denied_credentials(moto_ecr: MotoEcr, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Switch on moto's IAM checks and use a user allowed nothing in ECR."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    iam: Any = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    # What moto's set_initial_no_auth_action_count(0) decorator does, as a fixture.
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    yield


@pytest.fixture
def pusher(
    services: Services, docker_client: docker.DockerClient, ecr_client: ECRClient, tmp_path: Path
) -> Pusher:
    """Pushes labelled images to the htpasswd registry and records them in moto."""
    return Pusher(services, docker_client, ecr_client, tmp_path)
