"""In-memory fakes of the core's protocols (:mod:`ecr_cache_tui.ports`), for fast logic tests.

The real adapters are tested against moto, the registry and dockerd; these stand in for them
where a test is about the core's decisions, not about the world.

- :class:`FakeEcr`: :class:`~ecr_cache_tui.ports.EcrApi` over dicts: repositories, resource
  tags, lifecycle policies, images (a digest and its tags), batch delete, authorization.
- :func:`labels_from_mapping`: a :class:`~ecr_cache_tui.ports.LabelReader` over fixed data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ecr_cache_tui.cachekey.baseimages import ImageName
from ecr_cache_tui.errors import RemoteError, RepositoryNotFound
from ecr_cache_tui.hook.records import (
    BaseImageRecord,
    EnsuredRecord,
    LockBusy,
    PendingPush,
    RepositoryKey,
)
from ecr_cache_tui.model import (
    DeletedImage,
    DeleteFailure,
    ImageDetail,
    RegistryAuth,
    RepositoryInfo,
)
from ecr_cache_tui.ports import LabelReader

__all__ = ["ACCOUNT", "FakeEcr", "FakeHostState", "labels_from_mapping"]

ACCOUNT = "123456789012"


@dataclass
class _Repository:
    info: RepositoryInfo
    tags: dict[str, str]
    policy: str | None = None
    #: digest → (pushed at, size); tag → digest.
    images: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    tagged: dict[str, str] = field(default_factory=dict)


class FakeEcr:
    """ECR's control plane in memory, answering as :class:`~ecr_cache_tui.adapters.ecr.Ecr`.

    Args:
        now: the clock :meth:`push` stamps images with (moto's is the real one).
        region: the region in repository URIs.
    """

    def __init__(self, *, now: datetime | None = None, region: str = "eu-west-1") -> None:
        self.now = now or datetime.now(timezone.utc)
        self.host = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com"
        self.region = region
        self._repos: dict[str, _Repository] = {}

    # -- seeding ------------------------------------------------------------------------

    def push(self, name: str, tag: str, seed: str, *, size: int = 1024, age_days: float = 0) -> str:
        """Put an image (its digest derived from ``seed``) under ``tag``, creating ``name``."""
        if name not in self._repos:
            self.create_repository(name, {})
        repo = self._repos[name]
        digest = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
        repo.images.setdefault(digest, (self.now - timedelta(days=age_days), size))
        repo.tagged[tag] = digest  # a tag moves to the newest image, as in ECR
        return digest

    # -- EcrApi -------------------------------------------------------------------------

    def describe_repository(self, name: str) -> RepositoryInfo | None:
        repo = self._repos.get(name)
        return repo.info if repo else None

    def create_repository(self, name: str, tags: Mapping[str, str]) -> RepositoryInfo:
        if name not in self._repos:
            arn = f"arn:aws:ecr:{self.region}:{ACCOUNT}:repository/{name}"
            info = RepositoryInfo(name, arn, f"{self.host}/{name}", ACCOUNT, self.now, "MUTABLE")
            self._repos[name] = _Repository(info, dict(tags))
        return self._repos[name].info

    def list_tags(self, arn: str) -> dict[str, str]:
        return dict(self._by_arn(arn).tags)

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        self._by_arn(arn).tags.update(tags)

    def get_lifecycle_policy(self, name: str) -> str | None:
        return self._repo(name).policy

    def put_lifecycle_policy(self, name: str, text: str) -> None:
        self._repo(name).policy = text

    def authorization(self, registry_id: str | None = None) -> RegistryAuth:
        account = registry_id or ACCOUNT
        return RegistryAuth("AWS", f"{account}-auth-token", f"https://{self.host}", None)

    def iter_repositories(self, prefix: str = "") -> Iterator[RepositoryInfo]:
        return iter([r.info for n, r in sorted(self._repos.items()) if n.startswith(prefix)])

    def image_tag_exists(self, name: str, tag: str) -> bool:
        repo = self._repos.get(name)
        return repo is not None and tag in repo.tagged

    def iter_images(self, name: str) -> Iterator[ImageDetail]:
        repo = self._repo(name)
        for digest, (pushed_at, size) in repo.images.items():
            tags = tuple(sorted(t for t, d in repo.tagged.items() if d == digest))
            yield ImageDetail(digest, tags, pushed_at, size)

    def batch_delete(
        self, name: str, tags: Iterable[str] = (), *, digests: Iterable[str] = ()
    ) -> tuple[tuple[DeletedImage, ...], tuple[DeleteFailure, ...]]:
        repo = self._repo(name)
        deleted: list[DeletedImage] = []
        failures: list[DeleteFailure] = []
        for tag in tags:
            digest = repo.tagged.pop(tag, None)
            if digest is None:
                failures.append(
                    DeleteFailure(tag, None, "ImageNotFound", "Requested image not found")
                )
                continue
            deleted.append(DeletedImage(digest, tag))
            if digest not in repo.tagged.values():  # the image goes with its last tag
                del repo.images[digest]
        for digest in digests:
            if repo.images.pop(digest, None) is None:
                failures.append(
                    DeleteFailure(None, digest, "ImageNotFound", "Requested image not found")
                )
                continue
            for tag in [t for t, d in repo.tagged.items() if d == digest]:
                del repo.tagged[tag]
            deleted.append(DeletedImage(digest, None))
        return tuple(deleted), tuple(failures)

    # -- helpers ------------------------------------------------------------------------

    def _repo(self, name: str) -> _Repository:
        try:
            return self._repos[name]
        except KeyError:
            raise RepositoryNotFound(f"RepositoryNotFoundException: {name} not found") from None

    def _by_arn(self, arn: str) -> _Repository:
        for repo in self._repos.values():
            if repo.info.arn == arn:
                return repo
        raise RepositoryNotFound(f"RepositoryNotFoundException: {arn} not found")


def labels_from_mapping(data: Mapping[tuple[str, str], Mapping[str, str]]) -> LabelReader:
    """A :class:`LabelReader` over fixed data (the demo and fast tests)."""

    def read(repository: str, tag: str) -> dict[str, str] | None:
        found = data.get((repository, tag))
        return dict(found) if found is not None else None

    return read


class FakeHostState:
    """:class:`ecr_cache_tui.ports.HostStateApi` in memory; ``holders`` are locks held by others.

    ``busy_for`` makes a held lock answer busy that many more times before it is free (a
    builder that finishes), ``None`` for ever.
    """

    def __init__(self) -> None:
        self.records: dict[RepositoryKey, EnsuredRecord] = {}
        self.pending: dict[str, PendingPush] = {}
        self.holders: dict[str, str] = {}
        self.busy_for: int | None = None
        self.held: list[str] = []
        self.released: list[str] = []
        self.base_images: dict[tuple[str, str], BaseImageRecord] = {}

    def base_image(self, name: str, platform: str) -> BaseImageRecord | None:
        return self.base_images.get((name, platform))

    def save_base_image(self, record: BaseImageRecord) -> None:
        self.base_images[(record.name, record.platform)] = record

    def ensured(self, key: RepositoryKey) -> EnsuredRecord | None:
        return self.records.get(key)

    def save_ensured(self, record: EnsuredRecord) -> None:
        self.records[record.key] = record

    def pending_push(self, reference: str) -> PendingPush | None:
        return self.pending.get(reference)

    def save_pending_push(self, pending: PendingPush) -> None:
        self.pending[pending.reference] = pending

    def clear_pending_push(self, reference: str) -> None:
        self.pending.pop(reference, None)

    def try_build_lock(self, reference: str) -> _FakeLock | LockBusy | None:
        if reference in self.holders:
            if self.busy_for is None or self.busy_for > 0:
                if self.busy_for is not None:
                    self.busy_for -= 1
                return LockBusy(self.holders[reference])
            del self.holders[reference]
        self.held.append(reference)
        return _FakeLock(self, reference)


class FakeBaseImages:
    """:class:`ecr_cache_tui.ports.BaseImageResolver` over ``digests`` (``str(name)`` ->
    digest); a name in ``failing`` raises its error. ``asked`` lists each question."""

    def __init__(
        self,
        digests: Mapping[str, str] | None = None,
        failing: Mapping[str, RemoteError] | None = None,
    ) -> None:
        self.digests = dict(digests or {})
        self.failing = dict(failing or {})
        self.asked: list[tuple[str, str]] = []

    def digest(self, image: ImageName, platform: str) -> str:
        self.asked.append((str(image), platform))
        if str(image) in self.failing:
            raise self.failing[str(image)]
        return self.digests[str(image)]


class _FakeLock:
    def __init__(self, state: FakeHostState, reference: str) -> None:
        self.state, self.reference = state, reference

    def release(self) -> None:
        self.state.released.append(self.reference)
