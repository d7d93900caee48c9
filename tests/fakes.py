"""In-memory fakes of the core's protocols (:mod:`ecr_cache_tui.ports`), for fast logic tests.

The real adapters are tested against moto, the registry and dockerd; these stand in for them
where a test is about the core's decisions, not about the world. One fake per port, used by
every test that needs one; a test that needs a fault asks the fake for it (``fail``,
``refusals``, ``pull_error``) rather than writing another fake.

- :class:`FakeEcr`: :class:`~ecr_cache_tui.ports.EcrApi` over dicts: repositories, resource
  tags, lifecycle policies, images (a digest and its tags), batch delete, authorization; each
  call recorded by its AWS operation name, scripted failures, optional latency on a clock.
- :class:`FakeEngine`: :class:`~ecr_cache_tui.ports.EngineApi` over two sets of references
  (in the daemon, in the registry); pulls and pushes recorded, refused or failed on request.
- :class:`FakeBuilder`: :class:`~ecr_cache_tui.ports.Builder`; records each build's arguments
  and prints a line carrying :data:`TOKEN` (for the redaction checks).
- :class:`FakeRegistry`: :class:`~ecr_cache_tui.ports.RegistryApi` over the engine's remote set,
  its :meth:`~FakeRegistry.client` the flow's registry factory (records each login).
- :class:`FakeHostState`: :class:`~ecr_cache_tui.ports.HostStateApi` in memory.
- :class:`FakeBaseImages`: :class:`~ecr_cache_tui.ports.BaseImageResolver` over fixed digests.
- :class:`FakeClock`: monotonic seconds that pass when slept on (or when a fake call takes time).
- :class:`FakeAnnotator`: :class:`~ecr_cache_tui.ports.Annotator` that records each annotation.
- :class:`FakeLog`: the hook's :class:`~ecr_cache_tui.hook.log.HookLog` writing to memory.
- :func:`labels_from_mapping`: a :class:`~ecr_cache_tui.ports.LabelReader` over fixed data.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ecr_cache_tui.cachekey.baseimages import ImageName
from ecr_cache_tui.errors import (
    AccessDenied,
    BuildError,
    RemoteError,
    RepositoryNotFound,
    TagNotFound,
)
from ecr_cache_tui.hook.log import HookLog
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
    ImageDetail,
    ProgressEvent,
    RegistryAuth,
    RepositoryInfo,
)
from ecr_cache_tui.ports import LabelReader

__all__ = [
    "ACCOUNT",
    "TOKEN",
    "FakeAnnotator",
    "FakeBaseImages",
    "FakeBuilder",
    "FakeClock",
    "FakeEcr",
    "FakeEngine",
    "FakeHostState",
    "FakeLog",
    "FakeRegistry",
    "labels_from_mapping",
]

ACCOUNT = "123456789012"
#: The registry password :class:`FakeEcr` hands out, and that :class:`FakeBuilder` prints.
TOKEN = "secret-ecr-token-value"


class FakeClock:
    """Monotonic seconds that advance only when slept on, or when a fake call takes time."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


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

    Every call of the protocol is appended to :attr:`calls` under its AWS operation name
    (``DescribeRepositories``, ``GetAuthorizationToken``, ...), then takes its time on the clock
    and raises what :meth:`fail` scripted for it, if anything; seeding (:meth:`push`,
    :meth:`add_repository`) and looking (:meth:`tags_of`) are not calls.

    Args:
        now: the clock :meth:`push` stamps images with (moto's is the real one).
        region: the region in repository URIs.
        token: the password each authorization returns; ``{n}`` in it is that call's number.
        clock: advanced by ``latency`` on each call (botocore's own retries take time).
        latency: seconds a call of each operation takes on ``clock``.
        allow: the only operations that may be called (a reader's IAM policy): any other
            call fails the test; ``None``: every one.
    """

    def __init__(
        self,
        *,
        now: datetime | None = None,
        region: str = "eu-west-1",
        token: str = TOKEN,
        clock: FakeClock | None = None,
        latency: Mapping[str, float] | None = None,
        allow: Iterable[str] | None = None,
    ) -> None:
        self.now = now or datetime.now(timezone.utc)
        self.host = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com"
        self.region = region
        self.token = token
        self.clock = clock
        self.latency = dict(latency or {})
        self.allow = None if allow is None else frozenset(allow)
        self.calls: list[str] = []
        self._failures: dict[str, list[Exception]] = {}
        self._repos: dict[str, _Repository] = {}

    def fail(self, operation: str, *errors: Exception) -> None:
        """The next calls of ``operation`` raise ``errors``, one each, in order."""
        self._failures.setdefault(operation, []).extend(errors)

    def _call(self, operation: str) -> None:
        if self.allow is not None and operation not in self.allow:
            raise AssertionError(f"{operation} called, outside {sorted(self.allow)}")
        self.calls.append(operation)
        if self.clock is not None:
            self.clock.now += self.latency.get(operation, 0.0)
        scripted = self._failures.get(operation)
        if scripted:
            raise scripted.pop(0)

    # -- seeding ------------------------------------------------------------------------

    def add_repository(
        self, name: str, *, tags: Mapping[str, str] | None = None, policy: str | None = None
    ) -> RepositoryInfo:
        """Create ``name`` (with its resource tags and lifecycle policy), not as a call."""
        info = self._create(name, tags or {})
        self._repos[name].policy = policy
        return info

    def tags_of(self, name: str) -> dict[str, str]:
        """The resource tags of ``name`` (not a call)."""
        return dict(self._repo(name).tags)

    def push(self, name: str, tag: str, seed: str, *, size: int = 1024, age_days: float = 0) -> str:
        """Put an image (its digest derived from ``seed``) under ``tag``, creating ``name``."""
        self._create(name, {})
        repo = self._repos[name]
        digest = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
        repo.images.setdefault(digest, (self.now - timedelta(days=age_days), size))
        repo.tagged[tag] = digest  # a tag moves to the newest image, as in ECR
        return digest

    # -- EcrApi -------------------------------------------------------------------------

    def describe_repository(self, name: str) -> RepositoryInfo | None:
        self._call("DescribeRepositories")
        repo = self._repos.get(name)
        return repo.info if repo else None

    def create_repository(self, name: str, tags: Mapping[str, str]) -> RepositoryInfo:
        self._call("CreateRepository")
        return self._create(name, tags)

    def list_tags(self, arn: str) -> dict[str, str]:
        self._call("ListTagsForResource")
        return dict(self._by_arn(arn).tags)

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        self._call("TagResource")
        self._by_arn(arn).tags.update(tags)

    def get_lifecycle_policy(self, name: str) -> str | None:
        self._call("GetLifecyclePolicy")
        return self._repo(name).policy

    def put_lifecycle_policy(self, name: str, text: str) -> None:
        self._call("PutLifecyclePolicy")
        self._repo(name).policy = text

    def authorization(self, registry_id: str | None = None) -> RegistryAuth:
        self._call("GetAuthorizationToken")
        number = str(self.calls.count("GetAuthorizationToken"))
        return RegistryAuth("AWS", self.token.replace("{n}", number), f"https://{self.host}", None)

    def iter_repositories(self, prefix: str = "") -> Iterator[RepositoryInfo]:
        self._call("DescribeRepositories")
        return iter([r.info for n, r in sorted(self._repos.items()) if n.startswith(prefix)])

    def image_tag_exists(self, name: str, tag: str) -> bool:
        self._call("DescribeImages")
        repo = self._repos.get(name)
        return repo is not None and tag in repo.tagged

    def iter_images(self, name: str) -> Iterator[ImageDetail]:
        self._call("DescribeImages")
        repo = self._repo(name)
        for digest, (pushed_at, size) in repo.images.items():
            tags = tuple(sorted(t for t, d in repo.tagged.items() if d == digest))
            yield ImageDetail(digest, tags, pushed_at, size)

    def batch_delete(
        self, name: str, tags: Iterable[str] = (), *, digests: Iterable[str] = ()
    ) -> tuple[tuple[DeletedImage, ...], tuple[DeleteFailure, ...]]:
        self._call("BatchDeleteImage")
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

    def _create(self, name: str, tags: Mapping[str, str]) -> RepositoryInfo:
        if name not in self._repos:
            arn = f"arn:aws:ecr:{self.region}:{ACCOUNT}:repository/{name}"
            info = RepositoryInfo(name, arn, f"{self.host}/{name}", ACCOUNT, self.now, "MUTABLE")
            self._repos[name] = _Repository(info, dict(tags))
        return self._repos[name].info

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
        self.daemons: dict[str, DaemonRecord] = {}

    def daemon_platform(self, daemon: str) -> DaemonRecord | None:
        return self.daemons.get(daemon)

    def save_daemon_platform(self, record: DaemonRecord) -> None:
        self.daemons[record.daemon] = record

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


@dataclass
class FakeEngine:
    """The Docker daemon over two sets of ``repository:tag`` references: ``local`` (in the
    daemon) and ``remote`` (in the registry). A pull of a reference not in ``remote`` is
    :class:`~ecr_cache_tui.errors.TagNotFound`; a push adds to it. ``labels`` are the labels of
    local images, by reference; one not in it has ``default_labels``.

    ``calls`` records each pull, tag and push (``"pull <tag>"``); ``used`` the password each
    pull or push went out with (``"push <password>"``); ``inspected`` each local label read.
    ``refusals`` makes that many pulls or pushes (``{"push": 1}``) fail as a refused login;
    ``pull_error``/``push_error`` make every one fail with that error.
    """

    local: set[str] = field(default_factory=set)
    remote: set[str] = field(default_factory=set)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    default_labels: dict[str, str] = field(default_factory=dict)
    pull_error: Exception | None = None
    push_error: Exception | None = None
    refusals: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    inspected: list[str] = field(default_factory=list)

    def platform(self) -> str:
        return "linux/amd64"

    def image_exists(self, reference: str) -> bool:
        return reference in self.local

    def local_labels(self, reference: str) -> dict[str, str] | None:
        self.inspected.append(reference)
        if reference not in self.local:
            return None
        return dict(self.labels.get(reference, self.default_labels))

    def pull(
        self,
        repository: str,
        tag: str,
        credentials: Credentials | None,
        *,
        platform: str | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        self._gate("pull", credentials)
        self.calls.append(f"pull {tag}")
        if self.pull_error:
            raise self.pull_error
        if f"{repository}:{tag}" not in self.remote:
            raise TagNotFound(tag)
        self.local.add(f"{repository}:{tag}")

    def tag(self, source: str, repository: str, tag: str) -> None:
        self.calls.append(f"tag {tag}")

    def push(self, repository: str, tag: str, credentials: Credentials | None, **_: object) -> None:
        self._gate("push", credentials)
        self.calls.append(f"push {tag}")
        if self.push_error:
            raise self.push_error
        self.remote.add(f"{repository}:{tag}")

    def _gate(self, what: str, credentials: Credentials | None) -> None:
        self.used.append(f"{what} {credentials.password if credentials else ''}")
        if self.refusals.get(what, 0):
            self.refusals[what] -= 1
            raise AccessDenied(f"{what}: unauthorized: authentication required")


@dataclass
class FakeBuilder:
    """``docker build``: records each build's arguments, prints a line carrying :data:`TOKEN`,
    and fails (:class:`~ecr_cache_tui.errors.BuildError` saying ``message``) when ``fail`` is
    set."""

    buildkit: bool = True
    fail: bool = False
    message: str = "docker build exited with status 1"
    args: list[list[str]] = field(default_factory=list)

    def has_buildkit(self) -> bool:
        return self.buildkit

    def build(self, args: list[str], *, buildkit: bool, on_line: Callable[[str], None]) -> None:
        self.args.append(args)
        on_line(f"step using {TOKEN}")
        if self.fail:
            raise BuildError(self.message)


@dataclass
class FakeRegistry:
    """An OCI registry holding what ``engine.remote`` holds, with ``labels`` on every image.

    :meth:`client` is the flow's registry factory: it records the password of each login
    (``logins``) and answers for that host. The first ``refusals`` requests are refused
    (:class:`~ecr_cache_tui.errors.AccessDenied`, as a 401).
    """

    engine: FakeEngine
    labels: dict[str, str] = field(default_factory=dict)
    refusals: int = 0
    host: str = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
    logins: list[str] = field(default_factory=list)

    def client(self, host: str, login: Credentials | None) -> FakeRegistry:
        self.host = host
        self.logins.append(login.password if login else "")
        return self

    def manifest_exists(self, repository: str, reference: str) -> bool:
        self._gate()
        return f"{self.host}/{repository}:{reference}" in self.engine.remote

    def image_labels(
        self, repository: str, reference: str, *, platform: str | None = None
    ) -> dict[str, str]:
        self._gate()
        if f"{self.host}/{repository}:{reference}" not in self.engine.remote:
            raise TagNotFound(reference)
        return dict(self.labels)

    def _gate(self) -> None:
        if self.refusals:
            self.refusals -= 1
            raise AccessDenied("401 unauthorized")


@dataclass
class FakeAnnotator:
    """``buildkite-agent annotate``: records ``(body, style, context, append)``; answers
    ``problem`` (``None``: it worked)."""

    problem: str | None = None
    calls: list[tuple[str, str, str, bool]] = field(default_factory=list)

    def annotate(self, body: str, *, style: str, context: str, append: bool = False) -> str | None:
        self.calls.append((body, style, context, append))
        return self.problem


class FakeLog(HookLog):
    """The hook's log, written to memory: :attr:`text` is what the job log would show."""

    def __init__(self) -> None:
        self.out = io.StringIO()
        super().__init__(self.out)

    @property
    def text(self) -> str:
        return self.out.getvalue()
