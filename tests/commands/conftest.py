"""Fixtures for the maintainers' commands: running ``ecr-cache`` in-process.

The commands build their own boto3 client (as in production); the ``moto_ecr`` fixture
(``tests/moto_harness.py``) intercepts it, and its seeding helpers write through the same
adapter.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from ecr_cache_tui import cli
from tests import moto_harness
from tests.moto_harness import MotoEcr

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
