"""The core's vocabulary: the values that cross layers, frozen.

The adapters return these (never boto's dicts or docker-py's objects), the hook and the
maintainers' service take and give them, the commands and the TUI show them. Nothing here does
I/O; nothing here imports an adapter.

* ECR and the registry: :class:`RegistryKind`, :class:`RepositoryInfo`, :class:`RegistryAuth`,
  :class:`ImageDetail`, :class:`ImageManifest`, :class:`DeletedImage`, :class:`DeleteFailure`;
* the Docker engine: :class:`Credentials`, :class:`ProgressEvent`;
* the maintainers' views: :class:`PipelineSummary`, :class:`PipelineStats`, :class:`TagInfo`,
  :class:`EvictionItem`, :class:`EvictionPlan`, :class:`EvictionResult`, :class:`PolicyView`,
  :class:`PolicyPlan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ecr_cache_tui import lifecycle

__all__ = [
    "ECR",
    "OCI",
    "Credentials",
    "DeleteFailure",
    "DeletedImage",
    "EvictionItem",
    "EvictionPlan",
    "EvictionResult",
    "ImageDetail",
    "ImageManifest",
    "PipelineStats",
    "PipelineSummary",
    "PolicyPlan",
    "PolicyView",
    "ProgressEvent",
    "PrunePlan",
    "PruneResult",
    "RegistryAuth",
    "RegistryKind",
    "RepositoryInfo",
    "TagInfo",
]


# -- ECR and the registry ------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryKind:
    """What the registry behind the maintainers' service knows and can do.

    Attributes:
        name: ``ECR`` or ``OCI`` (for headers and messages).
        lifecycle_policies: it keeps server-side expiry policies (ECR); without them there
            is no max age to show or set, only ``ecr-cache prune``.
        pull_times: it records when an image was last pulled (ECR's
            ``lastRecordedPullTime``); without it a last pull is unknown, never "never".
        deletes_tags: a tag can be deleted alone (ECR); otherwise a delete removes the
            manifest, and with it every tag on the same digest (the distribution API).
    """

    name: str = "ECR"
    lifecycle_policies: bool = True
    pull_times: bool = True
    deletes_tags: bool = True


#: Amazon ECR.
ECR = RegistryKind()
#: Any OCI distribution registry (``registry:2``, GHCR, Harbor, Artifact Registry, …).
OCI = RegistryKind("OCI", lifecycle_policies=False, pull_times=False, deletes_tags=False)


@dataclass(frozen=True)
class RepositoryInfo:
    """One ECR repository.

    Attributes:
        name: the repository name, e.g. ``build-cache/acme/web``.
        arn: its ARN (what resource tags are attached to).
        uri: the image reference without a tag,
            ``123456789012.dkr.ecr.eu-west-1.amazonaws.com/build-cache/acme/web``.
        registry_id: the AWS account id of the registry.
        created_at: when it was created (timezone-aware).
        tag_mutability: ``MUTABLE`` or ``IMMUTABLE``.
    """

    name: str
    arn: str
    uri: str
    registry_id: str
    created_at: datetime | None
    tag_mutability: str

    @property
    def host(self) -> str:
        """The registry host of :attr:`uri` (``<account>.dkr.ecr.<region>.amazonaws.com``)."""
        return self.uri.split("/", 1)[0]


@dataclass(frozen=True)
class RegistryAuth:
    """Credentials for ECR's data plane (the registry), from an authorization token.

    ``password`` is kept out of ``repr`` so a logged or printed value never shows it.
    """

    username: str
    password: str = field(repr=False)
    endpoint: str
    expires_at: datetime | None

    @property
    def host(self) -> str:
        """:attr:`endpoint` without its scheme (``123….dkr.ecr.eu-west-1.amazonaws.com``)."""
        return self.endpoint.split("://", 1)[-1].rstrip("/")


@dataclass(frozen=True)
class ImageDetail:
    """One image (manifest) in a repository: every tag pointing at it, size and times.

    Attributes:
        digest: ``sha256:…`` of the manifest.
        tags: the tags pointing at it (empty for an untagged image), sorted.
        pushed_at: when it was pushed.
        size_bytes: ECR's compressed size of the image's layers.
        last_pulled: ECR's ``lastRecordedPullTime`` (``None``: never pulled, or not recorded).
    """

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime | None
    size_bytes: int
    last_pulled: datetime | None = None


@dataclass(frozen=True)
class DeletedImage:
    """An image id BatchDeleteImage removed (a tag, or a whole image by digest)."""

    digest: str
    tag: str | None


@dataclass(frozen=True)
class DeleteFailure:
    """An image id BatchDeleteImage could not remove, with ECR's reason."""

    tag: str | None
    digest: str | None
    code: str
    reason: str


@dataclass(frozen=True)
class ImageManifest:
    """A tag's manifest as the registry stores it (BatchGetImage)."""

    digest: str
    media_type: str
    text: str = field(repr=False)


# -- the Docker engine --------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """A registry login handed to the daemon for one request. ``password`` is never logged."""

    username: str
    password: str

    def __repr__(self) -> str:  # keep the secret out of tracebacks and debug output
        return f"Credentials(username={self.username!r}, password=<redacted>)"

    def auth_config(self) -> dict[str, str]:
        """The ``auth_config`` docker-py sends with a pull or push."""
        return {"username": self.username, "password": self.password}


@dataclass(frozen=True)
class ProgressEvent:
    """One line of pull/push progress from the daemon (already decoded)."""

    layer: str
    status: str
    progress: str = ""


# -- the maintainers' views ---------------------------------------------------------------


@dataclass(frozen=True)
class PipelineStats:
    """The figures of one cache repository (two ECR calls: images and policy).

    Attributes:
        tag_count: tags in the repository (``latest`` included).
        image_count: images (digests), tagged or not.
        total_bytes: sum of the images' sizes; layers shared by images are counted once per
            image, so this is an upper bound of what ECR bills.
        newest_push: the most recent push, ``None`` for an empty repository.
        max_age_days: what the lifecycle policy enforces, ``None`` when there is no policy or
            one this tool did not write (see ``has_policy``).
        has_policy: whether the repository has any lifecycle policy.
        monthly_cost_usd: ``total_bytes`` at the configured price per GB-month.
        never_pulled_bytes: the size of the images ECR records no pull of (0 when the
            registry records no pulls: see ``pulls_known``).
        policies_known: the registry has lifecycle policies (ECR); otherwise ``max_age_days``
            and ``has_policy`` say nothing, and the max age shows as unknown.
        pulls_known: the registry records pulls; otherwise last pulls are unknown.
    """

    tag_count: int
    image_count: int
    total_bytes: int
    newest_push: datetime | None
    max_age_days: int | None
    has_policy: bool
    monthly_cost_usd: float
    never_pulled_bytes: int = 0
    policies_known: bool = True
    pulls_known: bool = True


@dataclass(frozen=True)
class PipelineSummary:
    """One cache repository as a pipeline: ``build-cache/<organisation>/<pipeline>``.

    ``stats`` is ``None`` until loaded (:meth:`CacheService.pipeline_stats`).
    """

    repository: str
    organisation: str
    pipeline: str
    uri: str
    created_at: datetime | None
    stats: PipelineStats | None = None


@dataclass(frozen=True)
class TagInfo:
    """One tag of a cache repository.

    Attributes:
        expires_at: when the current policy expires it (``None``: no recognised policy).
        is_latest: the tag points at the same image as ``latest`` (``latest`` itself too).
        other_tags: the other tags on the same image.
        uri: the full image reference, ``<repository uri>:<tag>``.
        pulls_known: the registry records pulls; otherwise ``last_pulled`` is unknown (not
            "never").
    """

    tag: str
    digest: str
    pushed_at: datetime | None
    size_bytes: int
    last_pulled: datetime | None
    expires_at: datetime | None
    is_latest: bool
    other_tags: tuple[str, ...]
    uri: str
    pulls_known: bool = True


@dataclass(frozen=True)
class EvictionItem:
    """One tag an eviction removes, and the tags on the same image that it does not.

    ``goes_with``: on a registry that deletes whole manifests, the tags on the same image that
    go with it (each is an item of the plan too, whether or not it was asked for).
    """

    tag: str
    digest: str
    pushed_at: datetime | None
    size_bytes: int
    shared_with: tuple[str, ...] = ()
    goes_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvictionPlan:
    """Exactly what :meth:`CacheService.evict` will delete.

    Attributes:
        everything: every image of the repository goes (deleted by digest, tags and all,
            untagged images included); otherwise only the listed tags are removed, and an
            image that still carries another tag (``shared_with``) stays under that tag.
        items: the tags removed, newest push first.
        untagged: digests of untagged images deleted (only when ``everything``).
        untagged_bytes: their size.
        by_digest: the images of the items are deleted by digest, every tag on them included
            (a registry that cannot delete a tag alone, and ``ecr-cache prune``).
    """

    repository: str
    uri: str
    everything: bool
    items: tuple[EvictionItem, ...]
    untagged: tuple[str, ...] = ()
    untagged_bytes: int = 0
    by_digest: bool = False

    @property
    def freed_bytes(self) -> int:
        """The size of the images deleted whole (one that keeps another tag stays)."""
        sizes = {i.digest: i.size_bytes for i in self.items if not i.shared_with}
        return sum(sizes.values()) + self.untagged_bytes

    @property
    def image_count(self) -> int:
        """How many images are deleted whole."""
        return len({i.digest for i in self.items if not i.shared_with}) + len(self.untagged)

    @property
    def digests(self) -> tuple[str, ...]:
        """Every digest the plan touches, in order, once."""
        seen = dict.fromkeys([i.digest for i in self.items] + list(self.untagged))
        return tuple(seen)

    @property
    def empty(self) -> bool:
        """Nothing to delete."""
        return not self.items and not self.untagged


@dataclass(frozen=True)
class EvictionResult:
    """What ECR deleted, and what it refused with its reasons."""

    repository: str
    deleted: tuple[DeletedImage, ...]
    failures: tuple[DeleteFailure, ...]

    @property
    def ok(self) -> bool:
        """Everything planned was deleted."""
        return not self.failures


@dataclass(frozen=True)
class PrunePlan:
    """What ``prune`` deletes from one repository: images pushed at or before ``cutoff``,
    by digest (``eviction.by_digest``), minus the newest ``keep`` and ``latest``'s.

    ``images`` are the expired images as listed, for the re-check just before deleting.
    """

    eviction: EvictionPlan
    days: int
    keep: int
    cutoff: datetime
    kept: int
    images: tuple[ImageDetail, ...] = field(default=(), repr=False)

    @property
    def repository(self) -> str:
        """The repository pruned."""
        return self.eviction.repository


@dataclass(frozen=True)
class PruneResult:
    """What a prune deleted, found already gone, or spared because it changed since listed."""

    repository: str
    deleted: tuple[DeletedImage, ...]
    freed_bytes: int
    gone: tuple[str, ...] = ()
    spared: tuple[str, ...] = ()
    failures: tuple[DeleteFailure, ...] = ()

    @property
    def ok(self) -> bool:
        """Nothing planned failed (gone and spared images are not failures)."""
        return not self.failures


@dataclass(frozen=True)
class PolicyView:
    """A repository's lifecycle policy (``text`` ``None``: it has none; ``known`` False: the
    registry has no policies at all, so there is nothing to know)."""

    repository: str
    text: str | None
    max_age_days: int | None
    known: bool = True


@dataclass(frozen=True)
class PolicyPlan:
    """A max-age change, before and after, and what it would expire at once.

    Attributes:
        saving_usd_month: the monthly storage cost of the images that would expire at once
            (at the service's price per GB-month).
    """

    repository: str
    before_text: str | None
    after_text: str
    before_days: int | None
    after_days: int
    preview: lifecycle.ExpiryPreview
    saving_usd_month: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether applying it writes anything (the same policy is not rewritten)."""
        return self.before_text is None or not lifecycle.same_policy(
            self.before_text, self.after_text
        )
