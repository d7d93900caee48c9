"""An OCI registry on loopback that wants a bearer token from its realm (which wants Basic
``user:pass``), serving one image (:data:`IMAGE`) and an index (:data:`INDEX`): what the
registry client and the base-image resolution are tested against where ``docker-registry``
cannot play a token service."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONFIG = json.dumps({"config": {"Labels": {"k": "v"}}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
IMAGE = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"digest": CONFIG_DIGEST},
    "layers": [],
}
INDEX = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"digest": "sha256:attest", "platform": {"os": "unknown", "architecture": "unknown"}},
        {"digest": "sha256:arm", "platform": {"os": "linux", "architecture": "arm64"}},
        {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
    ],
}


class BearerRegistry:
    """A registry that wants a bearer token from its realm, which wants Basic user:pass."""

    def __init__(self, *, fail_with: int = 0) -> None:
        self.seen: list[str] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                registry.seen.append(f"{self.command} {self.path}")
                auth = self.headers.get("Authorization", "")
                if self.path.startswith("/token"):
                    good = base64.b64encode(b"user:pass").decode()
                    if auth != f"Basic {good}":
                        self._send(401)
                        return
                    self._send(200, json.dumps({"token": "tok"}).encode())
                    return
                if auth != "Bearer tok":
                    realm = f"http://{self.headers['Host']}/token"
                    challenge = f'Bearer realm="{realm}",service="reg"'
                    self._send(401, headers={"WWW-Authenticate": challenge})
                    return
                if fail := registry.fail_with:
                    self._send(fail)
                    return
                docs = {
                    "/v2/team/app/manifests/index": INDEX,
                    "/v2/team/app/manifests/sha256:amd": IMAGE,
                    "/v2/team/app/manifests/v1": IMAGE,
                }
                if self.path in docs:
                    doc = docs[self.path]
                    self._send(200, json.dumps(doc).encode(), {"Content-Type": doc["mediaType"]})
                elif self.path == f"/v2/team/app/blobs/{CONFIG_DIGEST}":
                    self._send(200, CONFIG)
                elif self.path.startswith("/v2/team/app/"):
                    body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN"}]}).encode()
                    self._send(404, body)
                else:
                    self._send(404, json.dumps({"errors": [{"code": "NAME_UNKNOWN"}]}).encode())

            do_HEAD = do_GET

        self.fail_with = fail_with
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
