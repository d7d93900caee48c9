"""Image manifests for seeding moto's ECR with ``put_image`` (moto stores what it is given)."""

from __future__ import annotations

import json

MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def manifest_text(seed: str, *, size: int = 1000, config_size: int = 7) -> str:
    """A well-formed image manifest, distinct for each one-character ``seed``."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": config_size,
                "digest": "sha256:" + seed * 64,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": size,
                    "digest": "sha256:" + seed * 64,
                }
            ],
        }
    )
