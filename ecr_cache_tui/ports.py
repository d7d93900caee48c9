"""The protocols the core needs from the world, in one place.

The hook's flow (:mod:`ecr_cache_tui.hook.flow`) and the maintainers' service
(:mod:`ecr_cache_tui.service`) are written against these; the adapters implement them and
:mod:`ecr_cache_tui.wiring` decides which adapter serves which. Tests pass in-memory fakes
(``tests/fakes.py``) for fast logic tests and the real adapters end to end.

==================  =========================================================
protocol            served by
==================  =========================================================
:class:`EcrApi`     :class:`ecr_cache_tui.adapters.ecr.Ecr`
:class:`RegistryApi` :class:`ecr_cache_tui.adapters.registry.RegistryClient`
:class:`EngineApi`  :class:`ecr_cache_tui.adapters.docker_daemon.Engine`
:class:`Builder`    :class:`ecr_cache_tui.adapters.docker_cli.DockerCli`
:class:`Annotator`  :class:`ecr_cache_tui.adapters.buildkite.Buildkite`
:class:`LabelReader` :class:`ecr_cache_tui.adapters.labels.RegistryLabelReader`
:class:`HostStateApi` :class:`ecr_cache_tui.adapters.host_state.HostState`
:class:`BaseImageResolver` :class:`ecr_cache_tui.adapters.base_images.RegistryBaseImages`
:class:`CacheServiceApi` :class:`ecr_cache_tui.service.CacheService`
==================  =========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # only annotations: the hook's local hit never imports ecr_cache_tui.model
    from datetime import datetime

    from ecr_cache_tui.cachekey.baseimages import ImageName
    from ecr_cache_tui.cachekey.inputs import Change, Manifest
    from ecr_cache_tui.host_records import (
        BaseImageRecord,
        DaemonRecord,
        EnsuredRecord,
        LockBusy,
        PendingPush,
        RepositoryKey,
    )
    from ecr_cache_tui.model import (
        Credentials,
        DeletedImage,
        DeleteFailure,
        EvictionPlan,
        EvictionResult,
        ImageDetail,
        PipelineStats,
        PipelineSummary,
        PolicyPlan,
        PolicyView,
        ProgressEvent,
        PrunePlan,
        PruneResult,
        RegistryAuth,
        RegistryKind,
        RepositoryInfo,
        TagInfo,
    )

__all__ = [
    "Annotator",
    "BaseImageResolver",
    "BuildLock",
    "Builder",
    "CacheServiceApi",
    "EcrApi",
    "EngineApi",
    "HostStateApi",
    "LabelReader",
    "RegistryApi",
]


class EcrApi(Protocol):
    """ECR's control plane (:class:`ecr_cache_tui.adapters.ecr.Ecr`; a fake in fast tests).

    "Missing" is an answer where the caller asks (``describe_repository``,
    ``get_lifecycle_policy``, ``image_tag_exists``) and an error
    (:class:`~ecr_cache_tui.errors.RepositoryNotFound`,
    :class:`~ecr_cache_tui.errors.TagNotFound`) where it assumed the thing exists.
    """

    def describe_repository(self, name: str) -> RepositoryInfo | None: ...

    def create_repository(self, name: str, tags: Mapping[str, str]) -> RepositoryInfo: ...

    def list_tags(self, arn: str) -> dict[str, str]: ...

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None: ...

    def get_lifecycle_policy(self, name: str) -> str | None: ...

    def put_lifecycle_policy(self, name: str, text: str) -> None: ...

    def authorization(self, registry_id: str | None = None) -> RegistryAuth: ...

    def iter_repositories(self, prefix: str = "") -> Iterator[RepositoryInfo]: ...

    def image_tag_exists(self, name: str, tag: str) -> bool: ...

    def iter_images(self, name: str) -> Iterator[ImageDetail]: ...

    def batch_delete(
        self, name: str, tags: Iterable[str] = (), *, digests: Iterable[str] = ()
    ) -> tuple[tuple[DeletedImage, ...], tuple[DeleteFailure, ...]]: ...


class EngineApi(Protocol):
    """The Docker daemon (:class:`ecr_cache_tui.adapters.docker_daemon.Engine`)."""

    def platform(self) -> str: ...

    def image_exists(self, reference: str) -> bool: ...

    def local_labels(self, reference: str) -> dict[str, str] | None:
        """The labels of the daemon's ``reference`` (``None``: it has no such image): the one
        inspect that tells a local hit and gives its inputs label (no network)."""
        ...

    def pull(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        platform: str | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None: ...

    def tag(self, source: str, repository: str, tag: str) -> None: ...

    def push(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None: ...


class Builder(Protocol):
    """``docker build`` (:class:`ecr_cache_tui.adapters.docker_cli.DockerCli`)."""

    def has_buildkit(self) -> bool: ...

    def build(self, args: list[str], *, buildkit: bool, on_line: Callable[[str], None]) -> None: ...


class RegistryApi(Protocol):
    """An OCI registry (:class:`ecr_cache_tui.adapters.registry.RegistryClient`)."""

    def manifest_exists(self, repository: str, reference: str) -> bool: ...

    def image_labels(
        self, repository: str, reference: str, *, platform: str | None = None
    ) -> dict[str, str]: ...


class BuildLock(Protocol):
    """A held per-tag build lock of the host (released when the holder's process dies)."""

    def release(self) -> None: ...


class HostStateApi(Protocol):
    """What the hook keeps about its host, shared by every agent of the host
    (:class:`ecr_cache_tui.adapters.host_state.HostState`; see :mod:`ecr_cache_tui.hook.host`).

    None of it is needed for a job to succeed: an unreadable or unwritable state answers
    "nothing known" (and warns once), which only costs the fast path.
    """

    def ensured(self, key: RepositoryKey) -> EnsuredRecord | None: ...

    def save_ensured(self, record: EnsuredRecord) -> None: ...

    def pending_push(self, reference: str) -> PendingPush | None: ...

    def save_pending_push(self, pending: PendingPush) -> None: ...

    def clear_pending_push(self, reference: str) -> None: ...

    def base_image(self, name: str, platform: str) -> BaseImageRecord | None: ...

    def save_base_image(self, record: BaseImageRecord) -> None: ...

    def daemon_platform(self, daemon: str) -> DaemonRecord | None: ...

    def save_daemon_platform(self, record: DaemonRecord) -> None: ...

    def try_build_lock(self, reference: str) -> BuildLock | LockBusy | None:
        """The lock, held now; or who holds it; or ``None`` when this host has no locks."""
        ...


class BaseImageResolver(Protocol):
    """Resolves a base image to its manifest digest through its registry
    (:class:`ecr_cache_tui.adapters.base_images.RegistryBaseImages`)."""

    def digest(self, image: ImageName, platform: str) -> str:
        """The digest of ``image``'s manifest for ``platform`` (an index's entry for it).

        Raises:
            RemoteError: the registry could not be asked, refused, or has no such image.
        """
        ...


class Annotator(Protocol):
    """``buildkite-agent annotate`` (:class:`~ecr_cache_tui.adapters.buildkite.Buildkite`)."""

    def annotate(self, body: str, *, style: str, context: str, append: bool = False) -> str | None:
        """Write (or with ``append`` add to) the annotation ``context``; a problem as text.

        Bounded to a few seconds; never raises.
        """


class LabelReader(Protocol):
    """Reads the labels of ``repository:tag`` from the registry (``None``: no labels found).

    Raises :class:`~ecr_cache_tui.errors.TagNotFound` when the registry has no such tag, or
    another :class:`~ecr_cache_tui.errors.RemoteError` when it cannot be asked.
    """

    def __call__(self, repository: str, tag: str) -> dict[str, str] | None: ...


class CacheServiceApi(Protocol):
    """The maintainers' operations (:class:`ecr_cache_tui.service.CacheService`), as the CLI and
    the TUI use them. ``plan_*`` never changes anything; ``evict``/``apply_policy`` do."""

    prefix: str
    kind: RegistryKind

    def list_pipelines(
        self, *, with_stats: bool = False, workers: int = 8
    ) -> list[PipelineSummary]: ...

    def pipeline_stats(self, repository: str) -> PipelineStats: ...

    def iter_pipeline_stats(
        self, repositories: Sequence[str], *, workers: int = 8
    ) -> Generator[tuple[str, PipelineStats | Exception], None, None]: ...

    def list_tags(self, repository: str) -> list[TagInfo]: ...

    def resolve(self, pipeline: str) -> str: ...

    def read_manifest(self, repository: str, tag: str) -> Manifest | None: ...

    def diff(self, repository: str, tag_a: str, tag_b: str) -> tuple[Change, ...]: ...

    def plan_eviction(
        self, repository: str, tags: Sequence[str] | None = None, *, force: bool = False
    ) -> EvictionPlan: ...

    def evict(self, plan: EvictionPlan) -> EvictionResult: ...

    def get_policy(self, repository: str) -> PolicyView: ...

    def plan_policy(self, repository: str, days: int, *, force: bool = False) -> PolicyPlan: ...

    def plan_policies(
        self, repositories: Sequence[str], days: int, *, workers: int = 8
    ) -> tuple[PolicyPlan, ...]: ...

    def apply_policy(self, plan: PolicyPlan) -> bool: ...

    def plan_prune(
        self,
        repository: str,
        days: int,
        *,
        keep: int = 1,
        before: datetime | None = None,
        force: bool = False,
    ) -> PrunePlan: ...

    def prune(self, plan: PrunePlan) -> PruneResult: ...
