"""The demo's OCI registry: a small ``registry:2``-compatible endpoint on loopback, in-process.

``ecr-cache tui --demo`` shows it beside the demo ECR (``g`` switches between them), so the
``registry-provider: oci`` side (no policies, unknown last pulls, deletion by digest, prune)
can be tried without any account or Docker. It speaks just what the product reads: ``/v2/``,
the catalog and tag lists (paginated with ``n``, ``last`` and ``Link``), manifests by tag or
digest (``GET``/``HEAD`` with ``Docker-Content-Digest``), config blobs, and ``DELETE`` of a
manifest by digest (every tag on it goes, as on ``registry:2``). The product talks to it through
its real OCI adapter, over HTTP, as it would to any registry.

The data is generated like the demo ECR's (:mod:`.data`: seeded, ages from an injected
``now``): a few pipelines of two organisations, some images well past a month old.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ecr_cache_tui.cachekey import inputs as mf
from ecr_cache_tui.demo.data import (
    CONFIG_V1,
    LAYER,
    MANIFEST_V2,
    STACKS,
    InputsState,
    layer_digest,
    make_image,
)
from ecr_cache_tui.demo.served import Served

__all__ = ["DEMO_OCI_PIPELINES", "DemoRegistry"]

#: The demo registry's pipelines: (organisation, pipeline, images).
DEMO_OCI_PIPELINES: tuple[tuple[str, str, int], ...] = (
    ("platform", "ci-base", 9),
    ("platform", "docs", 4),
    ("platform", "terraform", 6),
    ("research", "notebooks", 12),
    ("research", "simulations", 3),
)
#: Names per catalog or tag-list page when the client does not ask (``registry:2``'s is 100).
PAGE = 100


@dataclass
class _Repository:
    tags: dict[str, str] = field(default_factory=dict)
    manifests: dict[str, bytes] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)


class DemoRegistry(Served):
    """A ``registry:2``-compatible registry on ``127.0.0.1`` with generated pipelines.

    Args:
        now: the instant ages are measured from.
        prefix: the cache prefix the repositories are under.
        seed: the generator's seed (same seed, same data).

    Attributes:
        host: ``127.0.0.1:PORT`` while running.
    """

    def __init__(self, *, now: datetime, prefix: str = "build-cache/", seed: int = 22) -> None:
        self.now = now
        self.prefix = prefix
        self.seed = seed
        self.repositories: dict[str, _Repository] = {}
        self.host = ""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> DemoRegistry:
        """Fill it and serve on a free loopback port (a daemon thread)."""
        self._fill()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def tags(self, repository: str) -> list[str]:
        """The tags of ``repository`` now, sorted."""
        with self._lock:
            found = self.repositories.get(repository)
            return sorted(found.tags) if found else []

    # -- generation -----------------------------------------------------------------------

    def _fill(self) -> None:
        rng = random.Random(self.seed)  # noqa: S311  (demo data, not secrets)
        for org, pipeline, count in DEMO_OCI_PIPELINES:
            name = f"{self.prefix}{org}/{pipeline}"
            repo = self.repositories.setdefault(name, _Repository())
            state = InputsState.initial(rng, "Dockerfile", "", rng.choice(STACKS))
            ages = sorted((rng.random() ** 1.3 * 75 for _ in range(count)), reverse=True)
            for n, days in enumerate(ages):
                if n:
                    state = state.evolve(rng)
                tag = f"{rng.getrandbits(128):032x}"
                image = make_image(
                    repository=name,
                    tag=tag,
                    pushed=self.now - timedelta(days=days, seconds=rng.randint(60, 3600)),
                    last_pull=None,
                    size=max(5_000_000, int(rng.lognormvariate(19.0, 0.7))),
                    labels={mf.LABEL: state.manifest(tag).to_label()},
                    rng=rng,
                )
                config = "sha256:" + hashlib.sha256(image.config_blob).hexdigest()
                repo.blobs[config] = image.config_blob
                body = json.dumps(
                    {
                        "schemaVersion": 2,
                        "mediaType": MANIFEST_V2,
                        "config": {
                            "mediaType": CONFIG_V1,
                            "size": len(image.config_blob),
                            "digest": config,
                        },
                        "layers": [
                            {"mediaType": LAYER, "size": size, "digest": layer_digest(tag, i)}
                            for i, size in enumerate(image.layers)
                        ],
                    }
                ).encode()
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                repo.manifests[digest] = body
                repo.tags[tag] = digest
                if n == count - 1:
                    repo.tags["latest"] = digest

    # -- what the handler asks ------------------------------------------------------------

    def page(self, names: list[str], query: dict[str, list[str]]) -> tuple[list[str], bool]:
        """One page of sorted ``names`` after ``last``, ``n`` long; and whether more follow."""
        size = _int(query.get("n", [""])[0], PAGE)
        last = query.get("last", [""])[0]
        after = [n for n in names if n > last] if last else names
        return after[:size], len(after) > size

    def manifest(self, name: str, reference: str) -> tuple[str, bytes] | None:
        with self._lock:
            repo = self.repositories.get(name)
            if repo is None:
                return None
            digest = repo.tags.get(reference, reference)
            body = repo.manifests.get(digest)
            return (digest, body) if body is not None else None

    def delete(self, name: str, digest: str) -> bool:
        with self._lock:
            repo = self.repositories.get(name)
            if repo is None or repo.manifests.pop(digest, None) is None:
                return False
            for tag in [t for t, d in repo.tags.items() if d == digest]:
                del repo.tags[tag]
            return True


def _int(text: str, default: int) -> int:
    return int(text) if text.isdigit() and 0 < int(text) <= 10_000 else default


def _handler(registry: DemoRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the TUI owns the terminal

        def _send(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, status: int, code: str) -> None:
            body = json.dumps({"errors": [{"code": code, "message": code.lower()}]}).encode()
            self._send(status, body, {"Content-Type": "application/json"})

        def _list(self, key: str, names: list[str], path: str, extra: dict[str, Any]) -> None:
            query = parse_qs(urlsplit(self.path).query)
            page, more = registry.page(names, query)
            headers = {"Content-Type": "application/json"}
            if more and page:
                size = _int(query.get("n", [""])[0], PAGE)
                headers["Link"] = f'<{path}?last={page[-1]}&n={size}>; rel="next"'
            self._send(200, json.dumps({**extra, key: page}).encode(), headers)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path in ("/v2", "/v2/"):
                self._send(200, b"{}", {"Content-Type": "application/json"})
            elif path == "/v2/_catalog":
                names = sorted(registry.repositories)
                self._list("repositories", names, path, {})
            elif path.endswith("/tags/list"):
                name = path[len("/v2/") : -len("/tags/list")]
                if name not in registry.repositories:
                    self._error(404, "NAME_UNKNOWN")
                    return
                self._list("tags", registry.tags(name), path, {"name": name})
            elif "/manifests/" in path:
                name, _, reference = path[len("/v2/") :].rpartition("/manifests/")
                found = registry.manifest(name, reference)
                if found is None:
                    self._error(404, "MANIFEST_UNKNOWN")
                    return
                digest, body = found
                headers = {"Content-Type": MANIFEST_V2, "Docker-Content-Digest": digest}
                self._send(200, body, headers)
            elif "/blobs/" in path:
                name, _, digest = path[len("/v2/") :].rpartition("/blobs/")
                repo = registry.repositories.get(name)
                blob = repo.blobs.get(digest) if repo else None
                if blob is None:
                    self._error(404, "BLOB_UNKNOWN")
                    return
                self._send(200, blob, {"Content-Type": "application/octet-stream"})
            else:
                self._error(404, "NAME_UNKNOWN")

        do_HEAD = do_GET

        def do_DELETE(self) -> None:
            path = urlsplit(self.path).path
            name, _, digest = path[len("/v2/") :].rpartition("/manifests/")
            if not digest.startswith("sha256:"):
                self._error(400, "UNSUPPORTED")
            elif registry.delete(name, digest):
                self._send(202)
            else:
                self._error(404, "MANIFEST_UNKNOWN")

    return Handler
