"""Publish small images and indexes to a real registry over its HTTP API (for digest tests).

No Docker daemon involved: blobs are uploaded monolithically and manifests ``PUT`` as written,
so a test knows each manifest's exact bytes, hence its digest, and can republish a tag.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import requests

__all__ = ["OCI_INDEX", "OCI_MANIFEST", "RegistryPusher"]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class RegistryPusher:
    """Pushes to ``http://<host>`` (with a basic login when given)."""

    def __init__(self, host: str, login: tuple[str, str] | None = None) -> None:
        self.base = f"http://{host}/v2"
        self.session = requests.Session()
        if login is not None:
            self.session.auth = login

    def blob(self, repository: str, data: bytes) -> str:
        digest = _digest(data)
        start = self.session.post(f"{self.base}/{repository}/blobs/uploads/", timeout=30)
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.base.removesuffix("/v2") + location
        sep = "&" if "?" in location else "?"
        done = self.session.put(f"{location}{sep}digest={digest}", data=data, timeout=30)
        assert done.status_code == 201, done.text
        return digest

    def manifest(self, repository: str, reference: str, document: dict[str, Any]) -> str:
        """``PUT`` ``document`` (its ``mediaType`` as the content type); returns its digest."""
        body = json.dumps(document).encode()
        done = self.session.put(
            f"{self.base}/{repository}/manifests/{reference}",
            data=body,
            headers={"Content-Type": str(document["mediaType"])},
            timeout=30,
        )
        assert done.status_code == 201, done.text
        return _digest(body)

    def image(self, repository: str, reference: str, seed: str, *, arch: str = "amd64") -> str:
        """An OCI image (one config, no layers) distinct for each ``seed``; its digest."""
        config = json.dumps(
            {
                "architecture": arch,
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": []},
                "config": {"Labels": {"seed": seed}},
            }
        ).encode()
        config_digest = self.blob(repository, config)
        return self.manifest(
            repository,
            reference,
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": len(config),
                },
                "layers": [],
            },
        )

    def index(
        self,
        repository: str,
        reference: str,
        entries: dict[str, str],
        *,
        padding: int = 0,
    ) -> str:
        """An OCI index of ``{"os/arch[/variant]": manifest digest}``; its digest."""
        manifests = []
        for platform, digest in entries.items():
            os_name, arch, *variant = platform.split("/")
            described: dict[str, Any] = {"os": os_name, "architecture": arch}
            if variant:
                described["variant"] = variant[0]
            size = len(
                self.session.get(
                    f"{self.base}/{repository}/manifests/{digest}",
                    headers={"Accept": OCI_MANIFEST},
                    timeout=30,
                ).content
            )
            manifests.append(
                {"mediaType": OCI_MANIFEST, "digest": digest, "size": size, "platform": described}
            )
        document: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": manifests,
        }
        if padding:
            document["annotations"] = {"padding": "x" * padding}
        return self.manifest(repository, reference, document)
