"""moto's ECR in-process: the one harness for tests of the real ECR adapter without the services.

The ``moto_ecr`` fixture (``tests/conftest.py``) opens :func:`in_process_ecr`: the process's
AWS variables pointed at nothing real (fake credentials, ``AWS_DEFAULT_REGION`` = :data:`REGION`,
no endpoint or profile), so a client the product builds itself (``adapters.aws.ecr_client``)
lands in the same moto as :attr:`MotoEcr.client`. Tests of logic use ``tests.fakes.FakeEcr``;
the end-to-end tests use the moto server that ``scripts/test`` starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest

from ecr_cache_tui.adapters.ecr import Ecr
from tests.images import MEDIA_TYPE, manifest_text

__all__ = ["ACCOUNT", "REGION", "MotoEcr", "in_process_ecr"]

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account


def _client() -> Any:
    """An ECR client as ``boto3.client("ecr")`` makes it, sharing the process's data loader.

    ``mock_aws`` drops boto3's default session, so each test's ``boto3.client`` made a new one,
    whose loader parsed ``endpoints.json`` and ECR's model again: 0.1 s of each test. The
    loader only caches those files; credentials, region and handlers are still the new
    session's, read from this test's environment.
    """
    import botocore.session

    session = botocore.session.get_session()
    session.register_component("data_loader", _loader())
    return session.create_client("ecr", region_name=REGION)


@cache
def _loader() -> Any:
    import botocore.loaders

    return botocore.loaders.create_loader()


class MotoEcr:
    """moto's ECR through the real adapter, with helpers to seed repositories and images."""

    def __init__(self) -> None:
        self.client = _client()
        self.ecr = Ecr(self.client)

    def repo(self, name: str) -> None:
        if self.ecr.describe_repository(name) is None:
            self.ecr.create_repository(name, {})

    def push(self, name: str, tag: str, seed: str, **manifest: int) -> None:
        """Put an image made from ``seed`` under ``tag`` (``manifest``: its sizes)."""
        self.repo(name)
        self.client.put_image(
            repositoryName=name,
            imageManifest=manifest_text(seed, **manifest),
            imageTag=tag,
            imageManifestMediaType=MEDIA_TYPE,
        )

    def age(self, name: str, tag: str, days: float) -> None:
        """Make the image tagged ``tag`` look pushed ``days`` ago (moto stamps pushes now)."""
        from moto.ecr.models import ecr_backends

        repository = ecr_backends[ACCOUNT][REGION].repositories[name]
        for image in repository.images:
            if tag in image.image_tags:
                image.image_pushed_at -= int(days * 86400)

    def tags(self, name: str) -> list[str]:
        return sorted(t for i in self.ecr.iter_images(name) for t in i.tags)


@contextmanager
def in_process_ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoEcr]:
    """moto's ECR for the duration of the block, with the environment pointed at it."""
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with mock_aws():
        yield MotoEcr()
