"""ECR's answers as botocore's ``Stubber`` is told them (pagination and errors moto cannot do)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

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
