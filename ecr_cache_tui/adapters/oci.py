"""Any OCI distribution registry as the maintainers' listing port (``registry-provider: oci``).

:class:`OciRegistry` serves the part of :class:`ecr_cache_tui.ports.EcrApi` that
:class:`ecr_cache_tui.service.CacheService` uses (repositories, images, deletion) and its
:class:`~ecr_cache_tui.ports.LabelReader`, over the distribution API, so ``ls``, ``diff``,
``rebuild``, ``prune`` and the TUI run unchanged on ``registry:2``, GHCR, Harbor or Artifact
Registry. What it reads:

=====================  =======================================================================
repositories           ``GET /v2/_catalog`` (paginated: ``n``, ``last``, ``Link: rel=next``)
tags                   ``GET /v2/<name>/tags/list`` (paginated the same way)
a tag's digest         the manifest's ``Docker-Content-Digest`` (else the sha256 of its bytes)
an image's size        its manifest's layers and config; an index: the sum over its entries'
pushed                 the image config's ``created``, else its label
                       ``org.opencontainers.image.created`` (a time before 1980, as
                       reproducible builds write, is no time at all: unknown, never expired)
labels                 the image config's ``config.Labels`` (the inputs manifest)
deletion               ``DELETE /v2/<name>/manifests/<digest>``: every tag on the digest goes
=====================  =======================================================================

A registry knows no lifecycle policies and no pull times: the service is told so
(:data:`ecr_cache_tui.model.OCI`) and shows them as unknown. Requests run concurrently, at most
:data:`MAX_IN_FLIGHT` at once over the whole adapter (however many repositories the service
lists at a time). Names and tags the distribution grammar does not allow are left out: a
hostile registry's names never reach a terminal or a delete.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from ecr_cache_tui.adapters.registry import (
    INDEX_TYPES,
    ManifestDocument,
    RegistryClient,
)
from ecr_cache_tui.config.parse import is_repository_name
from ecr_cache_tui.errors import (
    DeletionRefused,
    RegistryError,
    RepositoryNotFound,
    TagNotFound,
)
from ecr_cache_tui.model import (
    DeletedImage,
    DeleteFailure,
    ImageDetail,
    RegistryAuth,
    RepositoryInfo,
)

__all__ = ["CREATED_LABEL", "MAX_INDEX_ENTRIES", "MAX_IN_FLIGHT", "OciRegistry", "parse_time"]

#: Requests to the registry in flight at once, over the whole adapter.
MAX_IN_FLIGHT = 8
#: Entries of one image index read at most (a multi-platform image has a handful).
MAX_INDEX_ENTRIES = 64
#: The label a push time is read from when the config has no ``created``.
CREATED_LABEL = "org.opencontainers.image.created"

# The distribution spec's tag grammar.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:?\d\d)?"
)
# Reproducible builds write the epoch (or year 1) as the creation time: no time at all.
_NO_TIME_BEFORE = datetime(1980, 1, 2, tzinfo=timezone.utc)


def parse_time(text: object) -> datetime | None:
    """An RFC 3339 time as an image config writes it (nanoseconds too), in UTC; ``None`` for
    anything else, or a time before 1980 (a reproducible build's "no time")."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    found = _TIME.fullmatch(text.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        at = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        at -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return at if at >= _NO_TIME_BEFORE else None


class OciRegistry:
    """The cache repositories of one OCI registry, for the maintainers' service.

    Safe to call from several threads (the service lists repositories ``workers`` at a time).

    Args:
        client: the registry client (its host, login and scheme).
        in_flight: requests in flight at once over the whole adapter.
    """

    def __init__(self, client: RegistryClient, *, in_flight: int = MAX_IN_FLIGHT) -> None:
        self.client = client
        self.host = client.host
        self.in_flight = max(1, in_flight)
        self._gate = threading.BoundedSemaphore(self.in_flight)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def _workers(self) -> ThreadPoolExecutor:
        """The adapter's threads for a repository's manifests and configs: one pool for every
        repository (a pool, and its threads, per repository cost more than the requests)."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.in_flight, thread_name_prefix="oci")
            return self._pool

    def __repr__(self) -> str:
        return f"OciRegistry({self.host!r})"

    # -- repositories -----------------------------------------------------------------------

    def iter_repositories(self, prefix: str = "") -> Iterator[RepositoryInfo]:
        """Every repository of the catalog under ``prefix`` (names it could not hold left out)."""
        names = self.client.iter_names("_catalog", "repositories", "registry:catalog:*")
        for name in names:
            if name.startswith(prefix) and is_repository_name(name):
                yield self._info(name)

    def describe_repository(self, name: str) -> RepositoryInfo | None:
        """The repository ``name``, or ``None`` when the registry does not know it."""
        if not is_repository_name(name):
            return None
        try:
            with self._gate:
                next(iter(self._tag_names(name, page=1)), None)
        except RepositoryNotFound:
            return None
        return self._info(name)

    def _info(self, name: str) -> RepositoryInfo:
        return RepositoryInfo(
            name=name,
            arn="",
            uri=f"{self.host}/{name}",
            registry_id=self.host,
            created_at=None,
            tag_mutability="MUTABLE",
        )

    def _tag_names(self, name: str, *, page: int = 1000) -> Iterator[str]:
        scope = f"repository:{name}:pull"
        return self.client.iter_names(f"{name}/tags/list", "tags", scope, page=page)

    # -- images -----------------------------------------------------------------------------

    def image_tag_exists(self, name: str, tag: str) -> bool:
        """Whether ``name:tag`` exists (a ``HEAD``)."""
        if not _TAG.fullmatch(tag):
            return False
        with self._gate:
            return self.client.manifest_exists(name, tag)

    def iter_images(self, name: str) -> Iterator[ImageDetail]:
        """Every tagged image of ``name``: its tags, size and push time (a repository the
        catalog lists but that has no tags any more has none).

        Raises:
            RegistryError: a manifest or config the registry serves is not one (or too big).
        """
        try:
            with self._gate:
                tags = sorted({t for t in self._tag_names(name) if _TAG.fullmatch(t)})
        except RepositoryNotFound:
            return
        if not tags:
            return
        pool = self._workers()
        found = list(pool.map(lambda tag: self._manifest(name, tag), tags))
        by_digest: dict[str, tuple[ManifestDocument, list[str]]] = {}
        for tag, manifest in zip(tags, found, strict=True):
            if manifest is not None:
                by_digest.setdefault(manifest.digest, (manifest, []))[1].append(tag)
        details = list(pool.map(lambda item: self._detail(name, *item), by_digest.values()))
        yield from sorted(details, key=lambda d: d.digest)

    def _manifest(self, name: str, reference: str) -> ManifestDocument | None:
        """The manifest of a tag (``None``: deleted since the tag list was read)."""
        try:
            with self._gate:
                manifest = self.client.get_manifest(name, reference)
        except TagNotFound:
            return None
        if not _DIGEST.fullmatch(manifest.digest):
            raise RegistryError(f"{self.host}/{name}:{reference}: no valid digest")
        return manifest

    def _detail(self, name: str, manifest: ManifestDocument, tags: list[str]) -> ImageDetail:
        size, config = self._size_and_config(name, manifest)
        pushed = None
        if config is not None:
            blob = self._config(name, config)
            pushed = parse_time(blob.get("created")) or parse_time(_labels(blob).get(CREATED_LABEL))
        return ImageDetail(
            digest=manifest.digest,
            tags=tuple(sorted(tags)),
            pushed_at=pushed,
            size_bytes=size,
            last_pulled=None,
        )

    def _size_and_config(self, name: str, manifest: ManifestDocument) -> tuple[int, str | None]:
        """The image's size, and the digest of the config its push time is read from (for an
        index: the sum over its entries, and the first entry that is not an attestation)."""
        document = manifest.document
        if manifest.media_type not in INDEX_TYPES and "manifests" not in document:
            return _image_size(document), _config_digest(document)
        entries = [
            e
            for e in (document.get("manifests") or [])
            if isinstance(e, dict) and _DIGEST.fullmatch(str(e.get("digest", "")))
        ]
        if len(entries) > MAX_INDEX_ENTRIES:
            raise RegistryError(
                f"{self.host}/{name}@{manifest.digest}: an index of {len(entries)} images "
                f"(more than {MAX_INDEX_ENTRIES})"
            )
        size, config = 0, None
        for entry in entries:
            child = self._manifest(name, str(entry["digest"]))
            if child is None or "manifests" in child.document:
                continue  # nested indexes are not images of this one
            size += _image_size(child.document)
            platform = entry.get("platform")
            attestation = isinstance(platform, dict) and platform.get("os") == "unknown"
            if config is None and not attestation:
                config = _config_digest(child.document)
        return size, config

    def _config(self, name: str, digest: str) -> dict[str, Any]:
        try:
            with self._gate:
                return self.client.get_blob_json(name, digest)
        except TagNotFound:  # a config blob gone (garbage-collected): no time, no labels
            return {}

    # -- labels (the LabelReader) -----------------------------------------------------------

    def __call__(self, repository: str, tag: str) -> dict[str, str] | None:
        """The labels of ``repository:tag`` (``None`` when it has none)."""
        with self._gate:
            return self.client.image_labels(repository, tag) or None

    # -- deletion ---------------------------------------------------------------------------

    def batch_delete(
        self, name: str, tags: Iterable[str] = (), *, digests: Iterable[str] = ()
    ) -> tuple[tuple[DeletedImage, ...], tuple[DeleteFailure, ...]]:
        """Delete the manifests of ``tags`` and ``digests``, one at a time, in order.

        A tag or digest already gone is a failure coded ``ImageNotFound`` (as ECR's), not an
        error. The first refusal stops: nothing after it is tried.

        Raises:
            DeletionRefused: the registry does not allow deletion, and nothing was deleted.
        """
        targets: list[tuple[str | None, str | None]] = [(t, None) for t in tags]
        targets += [(None, d) for d in digests]
        deleted: list[DeletedImage] = []
        failures: list[DeleteFailure] = []
        for index, (tag, named) in enumerate(targets):
            digest = named
            try:
                if digest is None:
                    manifest = self._manifest(name, str(tag))
                    digest = manifest.digest if manifest is not None else None
                with self._gate:
                    gone = digest is not None and self.client.delete_manifest(name, digest)
            except DeletionRefused as refused:
                if not deleted:
                    raise
                failures += _not_tried(targets[index:], str(refused))
                break
            if gone:
                deleted.append(DeletedImage(str(digest), tag))
            else:
                failures.append(
                    DeleteFailure(tag, digest, "ImageNotFound", "Requested image not found")
                )
        return tuple(deleted), tuple(failures)

    # -- what a registry does not have ------------------------------------------------------

    def get_lifecycle_policy(self, name: str) -> str | None:
        """None: a registry has no lifecycle policies."""
        return None

    def put_lifecycle_policy(self, name: str, text: str) -> None:
        """Refused: a registry has no lifecycle policies."""
        raise RegistryError(f"{self.host}: an OCI registry has no lifecycle policies")

    def create_repository(self, name: str, tags: Mapping[str, str]) -> RepositoryInfo:
        """Refused: a registry creates repositories on the first push."""
        raise RegistryError(f"{self.host}: repositories are created by pushing to them")

    def list_tags(self, arn: str) -> dict[str, str]:
        """No resource tags on a registry."""
        return {}

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        """Refused: a registry has no resource tags."""
        raise RegistryError(f"{self.host}: an OCI registry has no resource tags")

    def authorization(self, registry_id: str | None = None) -> RegistryAuth:
        """Refused: the login comes from the Docker config, not from a token call."""
        raise RegistryError(f"{self.host}: no authorization token call on an OCI registry")


def _labels(config: Mapping[str, Any]) -> dict[str, Any]:
    inner = config.get("config")
    labels = inner.get("Labels") if isinstance(inner, dict) else None
    return labels if isinstance(labels, dict) else {}


def _size_of(entry: object) -> int:
    size = entry.get("size") if isinstance(entry, dict) else None
    return size if isinstance(size, int) and 0 <= size < 1 << 50 else 0


def _image_size(document: Mapping[str, Any]) -> int:
    layers = document.get("layers")
    total = _size_of(document.get("config"))
    if isinstance(layers, list):
        total += sum(_size_of(layer) for layer in layers)
    return total


def _config_digest(document: Mapping[str, Any]) -> str | None:
    config = document.get("config")
    digest = config.get("digest") if isinstance(config, dict) else None
    return str(digest) if isinstance(digest, str) and _DIGEST.fullmatch(digest) else None


def _not_tried(targets: list[tuple[str | None, str | None]], reason: str) -> list[DeleteFailure]:
    code = "UNSUPPORTED"
    return [DeleteFailure(tag, digest, code, reason) for tag, digest in targets]
