"""Fill a real registry fast: blobs and manifests pushed straight over the distribution API.

No daemon and no build: an image is a config blob, a few layer blobs (any bytes: the registry
checks digests, not tar files) and a manifest naming them, so a test knows every digest and
size it pushed and can compare what ``ecr-cache`` lists with it.

Import as ``from tests.ocipush import Pusher``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import requests

__all__ = ["DOCKER_MANIFEST", "OCI_INDEX", "Pushed", "Pusher", "sha256"]

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Pushed:
    """One manifest pushed: its digest, and the image size as the registry's manifests say."""

    digest: str
    size: int
    manifest: bytes


class Pusher:
    """Pushes to ``host`` (plain HTTP), with a Basic login when ``auth`` is given."""

    def __init__(self, host: str, auth: tuple[str, str] | None = None) -> None:
        self.base = f"http://{host}/v2"
        self.session = requests.Session()
        if auth:
            self.session.auth = auth

    def blob(self, repository: str, data: bytes) -> str:
        """Upload ``data`` as a blob (an upload session, then one ``PUT``); its digest."""
        digest = sha256(data)
        started = self.session.post(f"{self.base}/{repository}/blobs/uploads/", timeout=30)
        _ok(started)
        location = started.headers["Location"]
        if location.startswith("/"):
            location = self.base.removesuffix("/v2") + location
        response = self.session.put(
            location,
            params={"digest": digest},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            timeout=30,
        )
        _ok(response)
        return digest

    def image(
        self,
        repository: str,
        tags: Sequence[str],
        *,
        seed: str,
        created: str | None = "2026-01-01T00:00:00Z",
        labels: Mapping[str, str] | None = None,
        layer_sizes: Sequence[int] = (1000, 2000),
    ) -> Pushed:
        """Push an image (config + layers of ``layer_sizes`` bytes, unique by ``seed``) as
        each of ``tags``; returns its digest and size (config + layers)."""
        layers = [
            {
                "mediaType": DOCKER_LAYER,
                "size": n,
                "digest": self.blob(repository, _bytes(seed, i, n)),
            }
            for i, n in enumerate(layer_sizes)
        ]
        config: dict[str, object] = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": dict(labels or {})},
            "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        }
        if created is not None:
            config["created"] = created
        config_bytes = json.dumps(config).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {
                "mediaType": DOCKER_CONFIG,
                "size": len(config_bytes),
                "digest": self.blob(repository, config_bytes),
            },
            "layers": layers,
        }
        body = json.dumps(manifest).encode()
        for tag in tags:
            self.put_manifest(repository, tag, body, DOCKER_MANIFEST)
        if not tags:
            self.put_manifest(repository, sha256(body), body, DOCKER_MANIFEST)
        return Pushed(sha256(body), len(config_bytes) + sum(layer_sizes), body)

    def index(self, repository: str, tag: str, children: Sequence[Pushed]) -> Pushed:
        """Push an OCI index of ``children`` (linux/amd64, linux/arm64, …) as ``tag``."""
        arches = ("amd64", "arm64", "s390x", "ppc64le")
        document = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": DOCKER_MANIFEST,
                    "digest": child.digest,
                    "size": len(child.manifest),
                    "platform": {"os": "linux", "architecture": arches[i]},
                }
                for i, child in enumerate(children)
            ],
        }
        body = json.dumps(document).encode()
        self.put_manifest(repository, tag, body, OCI_INDEX)
        return Pushed(sha256(body), sum(c.size for c in children), body)

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> None:
        response = self.session.put(
            f"{self.base}/{repository}/manifests/{reference}",
            data=body,
            headers={"Content-Type": media_type},
            timeout=30,
        )
        _ok(response)

    def tags(self, repository: str) -> list[str]:
        """The registry's own tag list of ``repository`` (empty when it has none)."""
        response = self.session.get(f"{self.base}/{repository}/tags/list", timeout=30)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return sorted(response.json().get("tags") or [])

    def digest(self, repository: str, tag: str) -> str | None:
        """The digest the registry serves for ``repository:tag`` (``None``: no such tag)."""
        response = self.session.head(
            f"{self.base}/{repository}/manifests/{tag}",
            headers={"Accept": f"{DOCKER_MANIFEST}, {OCI_INDEX}"},
            timeout=30,
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.headers["Docker-Content-Digest"]


def _ok(response: requests.Response) -> None:
    if response.status_code >= 400:
        request = f"{response.request.method} {response.url}"
        raise AssertionError(f"{request}: {response.status_code} {response.text[:500]}")


def _bytes(seed: str, index: int, size: int) -> bytes:
    block = hashlib.sha256(f"{seed}/{index}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]
