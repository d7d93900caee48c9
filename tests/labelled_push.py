"""Images with labels, pushed to the htpasswd registry and recorded in moto as ECR would have
them (moto knows nothing of what the registry holds): the cached tags of the commands' tests.
The ``pusher`` fixture (``tests/commands/conftest.py``) makes one."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ecr_cache_tui.adapters.registry import RegistryClient

if TYPE_CHECKING:
    import docker
    from mypy_boto3_ecr import ECRClient

    from tests.services import Services


class Pusher:
    """Builds ``busybox + labels``, pushes it to the auth registry, records the push in moto."""

    def __init__(
        self,
        services: Services,
        docker_client: docker.DockerClient,
        ecr_client: ECRClient,
        workdir: Path,
    ) -> None:
        self.services = services
        self.docker = docker_client
        self.ecr = ecr_client
        self.workdir = workdir

    def push(self, repository: str, tag: str, labels: dict[str, str]) -> None:
        services = self.services
        context = self.workdir / tag
        context.mkdir()
        (context / "Dockerfile").write_text(f"FROM {services.busybox_image}\n")
        reference = f"{services.auth_registry}/{repository}"
        self.docker.images.build(
            path=str(context), labels=labels, tag=f"{reference}:{tag}", rm=True
        )
        for line in self.docker.images.push(
            reference, tag=tag, auth_config=services.auth_config, stream=True, decode=True
        ):
            assert "error" not in line, line
        document = RegistryClient(
            services.auth_registry, (services.auth_username, services.auth_password)
        ).get_manifest(repository, tag)
        with contextlib.suppress(self.ecr.exceptions.RepositoryAlreadyExistsException):
            self.ecr.create_repository(repositoryName=repository)
        self.ecr.put_image(
            repositoryName=repository,
            imageManifest=json.dumps(document.document),
            imageManifestMediaType=document.media_type,
            imageTag=tag,
        )
