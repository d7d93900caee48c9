"""Fixtures for the maintainers' commands: moto's ECR in-process, and running ``ecr-cache``.

The commands build their own boto3 client (as in production); ``mock_aws`` intercepts it, and
the seeding helpers here write through the same adapter.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ecr_cache_tui import cli
from ecr_cache_tui.adapters.ecr import Ecr
from tests.images import MEDIA_TYPE, manifest_text

REGION = "eu-west-1"


class MotoEcr:
    """moto's ECR, with helpers to seed repositories and images."""

    def __init__(self) -> None:
        client: Any = boto3.client("ecr", region_name=REGION)
        self.client = client
        self.ecr = Ecr(client)

    def repo(self, name: str) -> None:
        if self.ecr.describe_repository(name) is None:
            self.ecr.create_repository(name, {})

    def push(self, name: str, tag: str, seed: str) -> None:
        self.repo(name)
        self.client.put_image(
            repositoryName=name,
            imageManifest=manifest_text(seed),
            imageTag=tag,
            imageManifestMediaType=MEDIA_TYPE,
        )

    def age(self, name: str, tag: str, days: float) -> None:
        """Make the image tagged ``tag`` look pushed ``days`` ago (moto stamps pushes now)."""
        from moto.ecr.models import ecr_backends

        repository = ecr_backends["123456789012"][REGION].repositories[name]
        for image in repository.images:
            if tag in image.image_tags:
                image.image_pushed_at -= int(days * 86400)

    def tags(self, name: str) -> list[str]:
        return sorted(t for i in self.ecr.iter_images(name) for t in i.tags)


@pytest.fixture
def moto_ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoEcr]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield MotoEcr()


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
