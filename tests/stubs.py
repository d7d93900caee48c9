"""ECR's answers as botocore's ``Stubber`` is told them (pagination and errors moto cannot do)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.stub import Stubber

ACCOUNT = "123456789012"


def repository_item(
    name: str,
    *,
    region: str = "eu-west-1",
    created: datetime = datetime(2024, 1, 1, tzinfo=timezone.utc),
) -> dict[str, Any]:
    """One repository of a ``DescribeRepositories`` answer."""
    return {
        "repositoryName": name,
        "repositoryArn": f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}",
        "registryId": ACCOUNT,
        "repositoryUri": f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}",
        "createdAt": created,
        "imageTagMutability": "MUTABLE",
    }


def stubbed_client(code: str, operation: str = "describe_repositories") -> Any:
    """An ECR client whose ``operation`` always fails with the error ``code``."""
    client = boto3.client(
        "ecr", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    stubber = Stubber(client)
    for _ in range(10):  # whatever the retries, the same answer
        stubber.add_client_error(operation, service_error_code=code, http_status_code=400)
    stubber.activate()
    return client
