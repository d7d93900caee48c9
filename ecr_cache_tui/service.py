"""The maintainers' cache service: what ``ecr-cache ls|rebuild|policy|diff`` and the TUI do.

One headless layer over the ECR adapter and a label reader, used by both the scripted commands
and the Textual app (which calls it from workers): list the cache repositories and their tags,
read and compare the inputs manifests stored on images, plan and carry out evictions, read and
change max-age policies. Every destructive operation is split in two: ``plan_*`` says exactly
what will happen (and has no side effect), the matching ``evict``/``apply_policy`` does it, so
the CLI and the TUI can show the plan and ask before anything changes.

The decisions are pure functions (:func:`split_repository`, :func:`monthly_cost_usd`,
:func:`group_by_organisation`, :func:`build_eviction_plan`, :func:`tag_infos`, …) tested
without AWS; :class:`CacheService` only fetches and hands over.

Design for thousands of repositories: :meth:`CacheService.list_pipelines` is one paginated
listing; the per-repository figures (:meth:`CacheService.pipeline_stats`, two calls each) are
loaded lazily by the TUI, or all at once (on a small thread pool) with ``with_stats=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from datetime import datetime, timezone

from ecr_cache_tui import lifecycle, pruning
from ecr_cache_tui.cachekey.inputs import LABEL, Change, Manifest
from ecr_cache_tui.cachekey.inputs import diff as diff_manifests
from ecr_cache_tui.config.options import CACHE_PREFIX
from ecr_cache_tui.config.parse import is_repository_name
from ecr_cache_tui.errors import (
    ConfigError,
    NoPolicies,
    OutsidePrefix,
    RegistryError,
    RepositoryNotFound,
    TagNotFound,
)
from ecr_cache_tui.model import (
    ECR,
    EvictionItem,
    EvictionPlan,
    EvictionResult,
    ImageDetail,
    PipelineStats,
    PipelineSummary,
    PolicyPlan,
    PolicyView,
    PrunePlan,
    PruneResult,
    RegistryKind,
    RepositoryInfo,
    TagInfo,
)
from ecr_cache_tui.ports import EcrApi, LabelReader
from ecr_cache_tui.text import show

__all__ = [
    "DEFAULT_PRICE_PER_GB_MONTH",
    "CacheService",
    "build_eviction_plan",
    "group_by_organisation",
    "monthly_cost_usd",
    "pipeline_stats_from",
    "split_repository",
    "tag_infos",
]

#: ECR's storage price in USD per GB-month (us-east-1 and most regions, 2024).
DEFAULT_PRICE_PER_GB_MONTH = 0.10
_GB = 1024**3


# -- values ---------------------------------------------------------------------------------


# -- pure logic -----------------------------------------------------------------------------


def split_repository(repository: str, prefix: str) -> tuple[str, str]:
    """``("acme", "web")`` for ``build-cache/acme/web``; organisation ``""`` when there is none.

    A deeper name keeps the rest as the pipeline (``build-cache/acme/web/deps`` → ``acme``,
    ``web/deps``); a name outside ``prefix`` is split as it is.
    """
    rest = repository[len(prefix) :] if prefix and repository.startswith(prefix) else repository
    organisation, sep, pipeline = rest.partition("/")
    return (organisation, pipeline) if sep else ("", organisation)


def monthly_cost_usd(total_bytes: int, price_per_gb_month: float) -> float:
    """Storage cost of ``total_bytes`` for a month, in USD (GB = 2^30 bytes, as AWS bills)."""
    return round(total_bytes / _GB * price_per_gb_month, 4)


def pipeline_stats_from(
    images: Sequence[ImageDetail],
    policy_text: str | None,
    price_per_gb_month: float,
    kind: RegistryKind = ECR,
) -> PipelineStats:
    """The :class:`PipelineStats` of a repository's images and lifecycle policy (on a registry
    that records no pulls, nothing counts as never pulled)."""
    pushes = [i.pushed_at for i in images if i.pushed_at is not None]
    total = sum(i.size_bytes for i in images)
    never = sum(i.size_bytes for i in images if i.last_pulled is None) if kind.pull_times else 0
    return PipelineStats(
        tag_count=sum(len(i.tags) for i in images),
        image_count=len(images),
        total_bytes=total,
        newest_push=max(pushes) if pushes else None,
        max_age_days=lifecycle.max_age_days(policy_text),
        has_policy=policy_text is not None,
        monthly_cost_usd=monthly_cost_usd(total, price_per_gb_month),
        never_pulled_bytes=never,
        policies_known=kind.lifecycle_policies,
        pulls_known=kind.pull_times,
    )


def group_by_organisation(
    pipelines: Iterable[PipelineSummary],
) -> dict[str, list[PipelineSummary]]:
    """Pipelines by organisation, organisations sorted, pipelines sorted within each."""
    groups: dict[str, list[PipelineSummary]] = {}
    for p in sorted(pipelines, key=lambda p: (p.organisation, p.pipeline)):
        groups.setdefault(p.organisation, []).append(p)
    return groups


def tag_infos(
    images: Iterable[ImageDetail],
    uri: str,
    max_age_days: int | None,
    *,
    pulls_known: bool = True,
) -> list[TagInfo]:
    """One :class:`TagInfo` per tag (untagged images left out), newest push first."""
    images = list(images)
    latest_digest = next((i.digest for i in images if "latest" in i.tags), None)
    infos = [
        TagInfo(
            tag=tag,
            digest=image.digest,
            pushed_at=image.pushed_at,
            size_bytes=image.size_bytes,
            last_pulled=image.last_pulled,
            expires_at=(
                lifecycle.expires_at(image.pushed_at, max_age_days)
                if max_age_days is not None and image.pushed_at is not None
                else None
            ),
            is_latest=image.digest == latest_digest,
            other_tags=tuple(t for t in image.tags if t != tag),
            uri=f"{uri}:{tag}",
            pulls_known=pulls_known,
        )
        for image in images
        for tag in image.tags
    ]
    return sorted(infos, key=_newest_first)


def build_eviction_plan(
    repository: str,
    uri: str,
    images: Sequence[ImageDetail],
    tags: Sequence[str] | None,
    *,
    by_digest: bool = False,
) -> EvictionPlan:
    """What deleting ``tags`` (``None``: everything) from ``repository`` removes.

    ``by_digest``: the registry deletes whole manifests, so every tag on the image of a named
    tag goes too; those tags are items of the plan, each naming the tags it goes with.

    Raises:
        TagNotFound: a named tag does not exist (nothing is planned then: all or nothing).
    """
    by_tag = {tag: image for image in images for tag in image.tags}
    untagged_bytes = 0
    if tags is None:
        chosen = sorted(by_tag)
        untagged = tuple(i.digest for i in images if not i.tags)
        untagged_bytes = sum(i.size_bytes for i in images if not i.tags)
    else:
        missing = [t for t in dict.fromkeys(tags) if t not in by_tag]
        if missing:
            raise TagNotFound(
                f"{repository} has no tag {', '.join(missing)}", repository=repository
            )
        chosen = list(dict.fromkeys(tags))
        untagged = ()
        if by_digest:  # every tag on a chosen image goes with it
            chosen += [t for tag in list(chosen) for t in by_tag[tag].tags if t not in chosen]
    selected = set(chosen)
    items = [
        EvictionItem(
            tag=tag,
            digest=by_tag[tag].digest,
            pushed_at=by_tag[tag].pushed_at,
            size_bytes=by_tag[tag].size_bytes,
            shared_with=tuple(t for t in by_tag[tag].tags if t not in selected),
            goes_with=tuple(t for t in by_tag[tag].tags if t != tag) if by_digest else (),
        )
        for tag in chosen
    ]
    return EvictionPlan(
        repository=repository,
        uri=uri,
        everything=tags is None,
        items=tuple(sorted(items, key=_newest_first)),
        untagged=untagged,
        untagged_bytes=untagged_bytes,
        by_digest=by_digest,
    )


def _check_days(days: int) -> None:
    if days < 1:
        raise ConfigError(
            f"max-age-days: {days} is not allowed; use a whole number >= 1",
            option="max-age-days",
        )


def _newest_first(item: TagInfo | EvictionItem) -> tuple[float, str]:
    pushed = item.pushed_at.timestamp() if item.pushed_at else float("-inf")
    return (-pushed, item.tag)


# -- the service ----------------------------------------------------------------------------


class CacheService:
    """The maintainers' operations on the cache repositories under ``prefix``.

    Args:
        ecr: the ECR adapter.
        labels: reads an image's labels from the registry (for inputs manifests).
        prefix: the cache prefix; repositories outside it are listed by nobody and changed
            only with ``force``.
        clock: the current time (timezone-aware UTC), for expiry previews.
        price_per_gb_month: for the monthly cost estimate.
        registry_hostname: ``host[:port]`` that image references (copied URIs, ``docker pull``
            lines) use instead of the ECR host, as the plugin's ``registry-hostname`` does.
        kind: what the registry knows and can do (:data:`~ecr_cache_tui.model.ECR`, or
            :data:`~ecr_cache_tui.model.OCI` for ``registry-provider: oci``, whose adapter
            serves ``ecr``: no policies, no pull times, deletes by digest).
    """

    def __init__(
        self,
        ecr: EcrApi,
        labels: LabelReader,
        *,
        prefix: str = CACHE_PREFIX,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        price_per_gb_month: float = DEFAULT_PRICE_PER_GB_MONTH,
        registry_hostname: str | None = None,
        kind: RegistryKind = ECR,
    ) -> None:
        self.ecr = ecr
        self.kind = kind
        self.labels = labels
        self.prefix = prefix
        self.clock = clock
        self.price_per_gb_month = price_per_gb_month
        self.registry_hostname = registry_hostname

    def _uri(self, repository_uri: str, name: str) -> str:
        """The image reference people pull: the repository URI, or the registry override's."""
        return f"{self.registry_hostname}/{name}" if self.registry_hostname else repository_uri

    # -- listing --------------------------------------------------------------------------

    def list_pipelines(
        self, *, with_stats: bool = False, workers: int = 8
    ) -> list[PipelineSummary]:
        """Every repository under the prefix, sorted by name.

        Args:
            with_stats: also load each one's :class:`PipelineStats` (two calls per repository,
                ``workers`` at a time); otherwise ``stats`` is ``None``, for lazy loading.
            workers: concurrent repositories when loading stats.
        """
        summaries = sorted(
            (
                PipelineSummary(
                    repository=r.name,
                    organisation=split_repository(r.name, self.prefix)[0],
                    pipeline=split_repository(r.name, self.prefix)[1],
                    uri=self._uri(r.uri, r.name),
                    created_at=r.created_at,
                )
                for r in self.ecr.iter_repositories(self.prefix)
            ),
            key=lambda s: s.repository,
        )
        if not with_stats or not summaries:
            return summaries
        found = dict(self.iter_pipeline_stats([s.repository for s in summaries], workers=workers))
        loaded = []
        for s in summaries:
            result = found[s.repository]
            if isinstance(result, Exception):
                raise result
            loaded.append(replace(s, stats=result))
        return loaded

    def iter_pipeline_stats(
        self, repositories: Sequence[str], *, workers: int = 8
    ) -> Generator[tuple[str, PipelineStats | Exception], None, None]:
        """The figures of each of ``repositories`` as they come (``workers`` at a time).

        One repository failing does not stop the rest: its error is yielded in place of its
        figures. Closing the iterator early cancels the calls not started yet.
        """
        if not repositories:
            return
        pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(repositories))))
        futures = {pool.submit(self.pipeline_stats, r): r for r in repositories}
        try:
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result()
                except Exception as exc:
                    yield futures[future], exc
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def pipeline_stats(self, repository: str) -> PipelineStats:
        """Tag count, size, newest push, max age and cost of ``repository``."""
        images = list(self.ecr.iter_images(repository))
        policy = self._policy_text(repository)
        return pipeline_stats_from(images, policy, self.price_per_gb_month, self.kind)

    def list_tags(self, repository: str) -> list[TagInfo]:
        """The tags of ``repository``, newest push first, with expiry under its policy."""
        info = self._describe(repository)
        images = list(self.ecr.iter_images(repository))
        days = lifecycle.max_age_days(self._policy_text(repository))
        uri = self._uri(info.uri, repository)
        return tag_infos(images, uri, days, pulls_known=self.kind.pull_times)

    def resolve(self, pipeline: str) -> str:
        """The repository for ``org/pipeline`` or a full repository name.

        A name is tried as given, then under the prefix (``acme/web`` →
        ``build-cache/acme/web``).

        Raises:
            ConfigError: ``pipeline`` is empty.
            RepositoryNotFound: neither exists.
        """
        name = pipeline.strip().strip("/")
        if not name:
            raise ConfigError("PIPELINE: empty; give org/pipeline or a repository name")
        candidates = [name]
        if self.prefix and not name.startswith(self.prefix):
            candidates.insert(0, self.prefix + name)
        candidates = [c for c in candidates if is_repository_name(c)]
        if not candidates:
            raise ConfigError(
                f"PIPELINE: {show(pipeline)} is not valid: expected org/pipeline or a repository "
                "name (lower-case letters, digits, '.', '_', '-' between them, '/'-separated)"
            )
        for candidate in candidates:
            if self.ecr.describe_repository(candidate) is not None:
                return candidate
        tried = " or ".join(candidates)
        raise RepositoryNotFound(
            f"no cache repository for {pipeline!r} (looked for {tried})", looked_up=True
        )

    # -- inputs manifests -------------------------------------------------------------------

    def read_manifest(self, repository: str, tag: str) -> Manifest | None:
        """The inputs manifest on ``repository:tag``; ``None`` if the image carries none.

        Raises:
            TagNotFound: ECR has no such tag.
            RegistryError: the label is there but is not a manifest.
        """
        self._require_tag(repository, tag)
        return self._manifest_label(repository, tag)

    def _require_tag(self, repository: str, tag: str) -> None:
        if not self.ecr.image_tag_exists(repository, tag):
            raise TagNotFound(f"{repository} has no tag {tag!r}", repository=repository)

    def _manifest_label(self, repository: str, tag: str) -> Manifest | None:
        labels = self.labels(repository, tag) or {}
        text = labels.get(LABEL)
        if text is None:
            return None
        try:
            return Manifest.from_label(text)
        except ValueError as exc:
            raise RegistryError(f"{repository}:{tag}: label {LABEL} is unreadable: {exc}") from exc

    def diff(self, repository: str, tag_a: str, tag_b: str) -> tuple[Change, ...]:
        """How the inputs of ``tag_b`` differ from those of ``tag_a``.

        Raises:
            TagNotFound: either tag does not exist.
            RegistryError: either image carries no inputs manifest (not built by this tool).
        """
        # Both tags are checked in ECR before the registry is asked about either.
        for tag in (tag_a, tag_b):
            self._require_tag(repository, tag)
        manifests = []
        for tag in (tag_a, tag_b):
            found = self._manifest_label(repository, tag)
            if found is None:
                raise RegistryError(
                    f"{repository}:{tag} carries no inputs manifest (label {LABEL}); "
                    "it was not built by ecr-cache"
                )
            manifests.append(found)
        return diff_manifests(manifests[0], manifests[1])

    # -- eviction ---------------------------------------------------------------------------

    def plan_eviction(
        self, repository: str, tags: Sequence[str] | None = None, *, force: bool = False
    ) -> EvictionPlan:
        """Exactly what evicting ``tags`` (``None``: every image) would delete. No side effect.

        Raises:
            ConfigError: ``repository`` is outside the prefix and ``force`` is not set.
            TagNotFound: a named tag does not exist.
        """
        self._guard(repository, force)
        info = self._describe(repository)
        images = list(self.ecr.iter_images(repository))
        uri = self._uri(info.uri, repository)
        by_digest = not self.kind.deletes_tags
        return build_eviction_plan(repository, uri, images, tags, by_digest=by_digest)

    def evict(self, plan: EvictionPlan) -> EvictionResult:
        """Carry out ``plan``: delete by digest when ``everything`` or ``by_digest``, by tag
        otherwise."""
        if plan.empty:
            return EvictionResult(plan.repository, (), ())
        if plan.everything or plan.by_digest:
            deleted, failures = self.ecr.batch_delete(plan.repository, digests=plan.digests)
        else:
            deleted, failures = self.ecr.batch_delete(plan.repository, [i.tag for i in plan.items])
        return EvictionResult(plan.repository, deleted, failures)

    # -- prune ------------------------------------------------------------------------------

    def plan_prune(
        self,
        repository: str,
        days: int,
        *,
        keep: int = pruning.DEFAULT_KEEP,
        before: datetime | None = None,
        force: bool = False,
    ) -> PrunePlan:
        """What pruning ``repository`` to ``days`` deletes (:mod:`ecr_cache_tui.pruning`). No
        side effect.

        Args:
            before: the cut-off, computed once for many repositories (default: ``days`` before
                the clock's now).

        Raises:
            ConfigError: ``days`` < 1, ``keep`` < 0, or ``repository`` outside the prefix
                without ``force``.
        """
        _check_days(days)
        if keep < 0:
            raise ConfigError(
                f"keep: {keep} is not allowed; use a whole number >= 0", option="keep"
            )
        self._guard(repository, force)
        info = self._describe(repository)
        images = list(self.ecr.iter_images(repository))
        cut = before if before is not None else pruning.cutoff(self.clock(), days)
        decision = pruning.decide(images, before=cut, keep=keep)
        tagged = [t for i in decision.expired for t in i.tags]
        eviction = build_eviction_plan(
            repository, self._uri(info.uri, repository), decision.expired, tagged, by_digest=True
        )
        untagged = tuple(i.digest for i in decision.expired if not i.tags)
        eviction = replace(
            eviction,
            untagged=untagged,
            untagged_bytes=sum(i.size_bytes for i in images if i.digest in untagged),
        )
        return PrunePlan(eviction, days, keep, cut, decision.kept, decision.expired)

    def prune(self, plan: PrunePlan) -> PruneResult:
        """Carry out ``plan`` after the same decision on a fresh listing (same cut-off): what
        changed since is spared, what is gone is counted, never an error."""
        if plan.eviction.empty:
            return PruneResult(plan.repository, (), 0)
        try:
            fresh = list(self.ecr.iter_images(plan.repository))
        except RepositoryNotFound:
            fresh = []
        delete, gone, spared = pruning.recheck(
            plan.images, fresh, before=plan.cutoff, keep=plan.keep
        )
        deleted, failures = (
            self.ecr.batch_delete(plan.repository, digests=delete) if delete else ((), ())
        )
        already = tuple(f.digest for f in failures if f.code == "ImageNotFound" and f.digest)
        failures = tuple(f for f in failures if f.digest not in already)
        sizes = {i.digest: i.size_bytes for i in plan.images}
        freed = sum(sizes.get(d.digest, 0) for d in {d.digest: d for d in deleted}.values())
        return PruneResult(plan.repository, tuple(deleted), freed, gone + already, spared, failures)

    # -- policy -----------------------------------------------------------------------------

    def get_policy(self, repository: str) -> PolicyView:
        """The lifecycle policy of ``repository`` and the max age it enforces (``known`` False
        on a registry without policies)."""
        if not self.kind.lifecycle_policies:
            return PolicyView(repository, None, None, known=False)
        text = self.ecr.get_lifecycle_policy(repository)
        return PolicyView(repository, text, lifecycle.max_age_days(text))

    def plan_policy(self, repository: str, days: int, *, force: bool = False) -> PolicyPlan:
        """The policy change to ``days`` and what it would expire at once. No side effect.

        Raises:
            ConfigError: ``days`` < 1, or ``repository`` is outside the prefix without ``force``.
        """
        _check_days(days)
        self._guard(repository, force)
        self._need_policies(repository)
        before = self.ecr.get_lifecycle_policy(repository)
        images = list(self.ecr.iter_images(repository))
        named = [
            (", ".join(i.tags) or i.digest, i.pushed_at, i.size_bytes)
            for i in images
            if i.pushed_at is not None
        ]
        preview = lifecycle.preview_expiry(named, days, self.clock())
        return PolicyPlan(
            repository=repository,
            before_text=before,
            after_text=lifecycle.policy_text(days),
            before_days=lifecycle.max_age_days(before),
            after_days=days,
            preview=preview,
            saving_usd_month=monthly_cost_usd(preview.expiring_bytes, self.price_per_gb_month),
        )

    def plan_policies(
        self, repositories: Sequence[str], days: int, *, workers: int = 8
    ) -> tuple[PolicyPlan, ...]:
        """:meth:`plan_policy` for each of ``repositories`` (in their order), ``workers`` at a
        time. No side effect; one failing fails the whole plan.

        Raises:
            ConfigError: as :meth:`plan_policy` (``days`` is checked before any call).
        """
        _check_days(days)
        if not repositories:
            return ()
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(repositories)))) as pool:
            return tuple(pool.map(lambda r: self.plan_policy(r, days), repositories))

    def apply_policy(self, plan: PolicyPlan) -> bool:
        """Write ``plan``'s policy; returns whether anything was written."""
        if not plan.changed:
            return False
        self._need_policies(plan.repository)
        self.ecr.put_lifecycle_policy(plan.repository, plan.after_text)
        return True

    # -- helpers ----------------------------------------------------------------------------

    def _policy_text(self, repository: str) -> str | None:
        if not self.kind.lifecycle_policies:
            return None
        return self.ecr.get_lifecycle_policy(repository)

    def _need_policies(self, repository: str) -> None:
        if not self.kind.lifecycle_policies:
            raise NoPolicies(
                f"{repository}: an {self.kind.name} registry has no lifecycle policies; "
                "its tags are expired by hand instead",
                repository=repository,
            )

    def _describe(self, repository: str) -> RepositoryInfo:
        info = self.ecr.describe_repository(repository)
        if info is None:
            raise RepositoryNotFound(f"repository {repository} does not exist", looked_up=True)
        return info

    def _guard(self, repository: str, force: bool) -> None:
        if not force and not repository.startswith(self.prefix):
            raise OutsidePrefix(
                f"{repository}: outside the cache prefix {self.prefix!r}",
                repository=repository,
                prefix=self.prefix,
            )
