"""An embedded, in-process ECR (moto) filled with realistic cache repositories: ``tui --demo``.

Anyone can try the TUI with no AWS account: :class:`DemoEcr` starts ``moto.mock_aws()``, creates
repositories under ``build-cache/<organisation>/<pipeline>`` with images and lifecycle policies,
and hands out an ECR client for the rest of the product to use exactly as it would use AWS
(every read and every change the product makes goes through botocore and moto's API handlers).
The client comes from the product's own :func:`~ecr_cache_tui.adapters.aws.botocore_session`
(so it parses times as the product's clients do), with the demo's endpoint and credentials.

The fill itself calls moto's backend model (``create_repository``, ``put_image``,
``put_lifecycle_policy``: the methods moto's API handlers call) rather than boto3: a boto3 call
through ``mock_aws`` costs about 6 ms of request signing and serialising, which made the default
demo take 5 s to start and the benchmark's 12,000-image fill over a minute.

Everything is generated from a seeded :class:`random.Random` and an injected ``now``, so two
demos with the same :class:`DemoScale` hold the same data (snapshot tests rely on it).

Two things moto cannot show, and how the demo gets them:

* moto stamps every image ``imagePushedAt = now`` and has no ``lastRecordedPullTime``. After
  each ``put_image`` the demo sets ``image_pushed_at`` and ``last_recorded_pull_time`` on
  moto's own image object; ``describe_images`` then returns them like ECR does. The
  alternative, wrapping the client to rewrite responses, would put a demo-only layer between
  the product and its client; this keeps the client untouched.
* moto reports an image's size as its *config* blob's size (ECR sums the layers). The demo's
  manifests therefore carry the intended total size in ``config.size``.

Image labels (where the hook stores the inputs manifest, :data:`manifest.LABEL`) live in the
config blob, which a real reader fetches from the registry. The demo keeps its generated config
blobs in memory; :meth:`DemoEcr.read_labels` resolves ``repository:tag`` with ECR's
``batch_get_image`` to the manifest, then the config digest to the blob, as a registry-backed
reader would.

One thing moto does too slowly: its generic response serialiser (moto 5's ``ActionResult``,
which looks up every member of the output shape on the model object through a chain of
attribute aliases) takes about 4 s to encode ``DescribeImages`` for 10,000 images, most of the
time of listing the benchmark's big pipeline. While a demo runs, ``ECRResponse.describe_images``
is replaced by :func:`_describe_images_json`: the same parameters, the same backend call
(``ecr_backend.describe_images``, so a missing repository or image raises moto's own
exceptions, serialised by moto as before), then a direct ``json.dumps`` of exactly the body
moto's serialiser writes for ECR's JSON protocol: the members moto would find on its image
object, in the shape's order, ``imageTags`` left out when empty, timestamps as epoch seconds
truncated to milliseconds, no ``nextToken`` (moto returns one page). The request still goes
from the client through botocore, moto's stubber and moto's response class, so the
client the product uses is untouched. It is installed by :meth:`DemoEcr.start` and removed by
:meth:`DemoEcr.stop` (counted, so overlapping demos share it), never left in place for other
``mock_aws`` users. ``tests/tui/test_demo.py`` proves it equal: the parsed responses (all
images, chosen ``imageIds``, the errors) compared with moto's own serialiser's for the same data.
``ListImages`` is left to moto: it encodes two strings per tag (0.6 s for 10,000) and the product
never calls it.

moto is in the ``demo`` extra and is imported only when a demo starts.
"""

from __future__ import annotations

import calendar
import functools
import gc
import hashlib
import json
import random
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from ecr_cache_tui import lifecycle
from ecr_cache_tui import manifest as mf
from ecr_cache_tui.errors import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

    from ecr_cache_tui.service import CacheService

__all__ = [
    "BENCH_SCALE",
    "DEMO_ACCOUNT",
    "DEMO_NOW",
    "DEMO_REGION",
    "DemoEcr",
    "DemoScale",
    "demo_service",
]

#: moto's fixed account id.
DEMO_ACCOUNT = "123456789012"
DEMO_REGION = "eu-west-1"
#: The instant the demo's data is generated around when no clock is given (tests pin it).
DEMO_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_V1 = "application/vnd.docker.container.image.v1+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

_ORGANISATIONS = ("acme", "globex", "initech", "umbrella", "hooli", "wayne-ent", "stark-ind")
_PIPELINES = (
    "web",
    "api",
    "worker",
    "mobile-app",
    "payments",
    "search",
    "checkout",
    "docs",
    "data-pipeline",
    "ml-training",
    "infra",
    "billing",
    "auth-service",
    "notifications",
    "frontend",
    "backend",
    "admin",
    "reporting",
    "etl",
    "gateway",
    "inventory",
    "analytics",
    "cli",
    "sdk-python",
    "sdk-node",
    "e2e-tests",
    "storybook",
    "marketing-site",
)
_STACKS: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    # (cache-on patterns, files matched, build args)
    (
        ("package-lock.json", "**/package.json"),
        (
            "package-lock.json",
            "package.json",
            "packages/ui/package.json",
            "packages/core/package.json",
        ),
        ("NODE_ENV", "NPM_REGISTRY"),
    ),
    (("requirements*.txt",), ("requirements.txt", "requirements-dev.txt"), ("PYTHON_VERSION",)),
    (("go.sum", "go.mod"), ("go.sum", "go.mod"), ("GOPROXY",)),
    (("Gemfile.lock", ".ruby-version"), ("Gemfile.lock", ".ruby-version"), ("BUNDLE_WITHOUT",)),
    (
        ("poetry.lock", "pyproject.toml#.tool.poetry.dependencies"),
        ("poetry.lock", "pyproject.toml"),
        ("POETRY_VERSION",),
    ),
    (("Cargo.lock",), ("Cargo.lock",), ("RUST_VERSION", "TARGET_ARCH=x86_64")),
)
_MAX_AGES = (30, 30, 30, 14, 14, 7, 60, 90)


@dataclass(frozen=True)
class DemoScale:
    """How much data the demo generates.

    Attributes:
        pipelines: repositories to create, spread over ``organisations``.
        organisations: how many organisations (first of a fixed list, then ``org-N``).
        min_tags: fewest checksum tags in a repository.
        max_tags: most checksum tags in a repository.
        big_pipeline_tags: if non-zero, the first repository gets this many tags instead
            (the benchmark's "one pipeline with 10,000 tags").
        seed: seed of the generator: same scale, same seed, same data.
    """

    pipelines: int = 64
    organisations: int = 5
    min_tags: int = 1
    max_tags: int = 24
    big_pipeline_tags: int = 0
    seed: int = 6


#: The benchmark's scale: 2,000 pipelines, one of them with 10,000 tags.
BENCH_SCALE = DemoScale(pipelines=2000, organisations=7, max_tags=6, big_pipeline_tags=10_000)


@dataclass(frozen=True)
class _DemoImage:
    repository: str
    tag: str
    pushed_at: datetime
    last_pull: datetime | None
    size: int
    config_blob: bytes
    layers: tuple[int, ...] = field(default=())


class DemoEcr:
    """moto's ECR in this process, filled with cache repositories; a context manager.

    Args:
        scale: how much to generate.
        now: the instant ages are measured from (defaults to :data:`DEMO_NOW`).
        region: the region of the client and of every repository URI.
        prefix: the cache prefix repositories are created under.

    Attributes:
        client: a boto3 ECR client served by moto (valid while the demo runs).
        repositories: every repository name created, in creation order.
    """

    def __init__(
        self,
        scale: DemoScale | None = None,
        *,
        now: datetime | None = None,
        region: str = DEMO_REGION,
        prefix: str = "build-cache/",
    ) -> None:
        self.scale = scale or DemoScale()
        self.now = now or DEMO_NOW
        self.region = region
        self.prefix = prefix
        self.repositories: list[str] = []
        self._blobs: dict[str, bytes] = {}
        self._mock: Any = None
        self._frozen = False
        self._backend: Any = None
        self._client: ECRClient | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> DemoEcr:
        """Start moto and fill it. Raises :class:`ConfigError` when moto is not installed."""
        try:
            from moto import mock_aws  # noqa: PLC0415  (heavy, and only the demo needs moto)
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ConfigError(
                "--demo needs moto: pip install 'ecr_cache_tui[demo]'", option="--demo"
            ) from exc
        from moto.ecr.models import ecr_backends  # noqa: PLC0415

        from ecr_cache_tui.adapters.aws import botocore_session  # noqa: PLC0415

        self._mock = mock_aws()
        self._mock.start()
        _FAST_DESCRIBE_IMAGES.install()
        self._backend = ecr_backends[DEMO_ACCOUNT][self.region]
        # The product's session (its timestamp parser), the demo's own endpoint and credentials.
        client = botocore_session().create_client(
            "ecr",
            region_name=self.region,
            # Explicit, so AWS_ENDPOINT_URL* in the environment cannot send the demo elsewhere.
            endpoint_url=f"https://api.ecr.{self.region}.amazonaws.com",
            aws_access_key_id="demo",
            aws_secret_access_key="demo",  # noqa: S106  (moto accepts anything)
        )
        self._client = cast("ECRClient", client)
        try:
            self._fill()
        except BaseException:
            self.stop()
            raise
        # The filled data lives as long as the demo: moved out of the cyclic collector's sight,
        # a full collection no longer walks it. At the benchmark's scale (130 MB of moto
        # objects) one took up to 250 ms, stalling a keystroke or a listing; 76 ms frozen.
        gc.freeze()
        self._frozen = True
        return self

    def stop(self) -> None:
        """Stop moto; its data is dropped."""
        if self._frozen:
            gc.unfreeze()  # what the demo dropped can be collected again
            self._frozen = False
        if self._mock is not None:
            _FAST_DESCRIBE_IMAGES.uninstall()
            self._mock.stop()
            self._mock = None
            self._client = None

    def __enter__(self) -> DemoEcr:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def client(self) -> ECRClient:
        """The boto3 client (moto-served). Raises ``RuntimeError`` before :meth:`start`."""
        if self._client is None:
            raise RuntimeError("the demo ECR is not running")
        return self._client

    @property
    def registry_hostname(self) -> str:
        """The registry host of the demo's repository URIs."""
        return f"{DEMO_ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com"

    # -- labels --------------------------------------------------------------------------

    def read_labels(self, repository: str, tag: str) -> dict[str, str] | None:
        """The image labels of ``repository:tag`` (a ``LabelReader``), or ``None`` if unknown.

        Resolves the tag with ``batch_get_image`` to its manifest, then the manifest's config
        digest to the generated config blob.
        """
        found = self.client.batch_get_image(
            repositoryName=repository,
            imageIds=[{"imageTag": tag}],
            acceptedMediaTypes=[MANIFEST_V2],
        )
        images = found.get("images", [])
        if not images:
            return None
        doc = json.loads(images[0].get("imageManifest", "{}"))
        blob = self._blobs.get(str(doc.get("config", {}).get("digest", "")))
        if blob is None:
            return None
        labels = json.loads(blob).get("config", {}).get("Labels") or {}
        return {str(k): str(v) for k, v in labels.items()}

    # -- generation ----------------------------------------------------------------------

    def _fill(self) -> None:
        rng = random.Random(self.scale.seed)  # noqa: S311  (demo data, not secrets)
        orgs = _organisations(self.scale.organisations)
        names = _pipeline_names(rng, orgs, self.scale.pipelines)
        for index, (org, pipeline) in enumerate(names):
            repository = f"{self.prefix}{org}/{pipeline}"
            self._create(repository, org, pipeline)
            days = self._policy(rng, repository, index)
            if index == 0 and self.scale.big_pipeline_tags:
                count = self.scale.big_pipeline_tags
            else:
                count = rng.randint(self.scale.min_tags, self.scale.max_tags)
            self._images(rng, repository, count, days or 30)

    def _create(self, repository: str, org: str, pipeline: str) -> None:
        self._backend.create_repository(
            repository_name=repository,
            registry_id=None,
            encryption_config={"encryptionType": "AES256"},
            image_scan_config={"scanOnPush": False},
            image_tag_mutability="MUTABLE",
            tags=[
                {"Key": "buildkite:organization", "Value": org},
                {"Key": "buildkite:pipeline", "Value": pipeline},
            ],
        )
        self.repositories.append(repository)

    def _policy(self, rng: random.Random, repository: str, index: int) -> int | None:
        """Most repositories get the plugin's rule; a few none, one a hand-written policy."""
        roll = rng.random()
        if index % 23 == 7:
            text = json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "description": "keep last 20",
                            "selection": {
                                "tagStatus": "any",
                                "countType": "imageCountMoreThan",
                                "countNumber": 20,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                }
            )
            self._backend.put_lifecycle_policy(None, repository, text)
            return None
        if roll < 0.08:
            return None
        days = rng.choice(_MAX_AGES)
        self._backend.put_lifecycle_policy(None, repository, lifecycle.policy_text(days))
        return days

    def _images(self, rng: random.Random, repository: str, count: int, max_age: int) -> None:
        stack = rng.choice(_STACKS)
        dockerfile = rng.choice(
            ("Dockerfile", "Dockerfile", "docker/ci.Dockerfile", ".buildkite/Dockerfile")
        )
        target = rng.choice(("", "", "deps", "test"))
        base_size = int(rng.lognormvariate(19.3, 0.8))  # ~250 MB median
        # Pushed times, oldest first, within the policy's window (ECR would have expired the rest).
        window = max_age * 86400
        ages = sorted((rng.random() ** 1.6 * window for _ in range(count)), reverse=True)
        state = _InputsState.initial(rng, dockerfile, target, stack)
        for n, age in enumerate(ages):
            if n:
                state = state.evolve(rng)
            pushed = self.now - timedelta(seconds=age + rng.randint(60, 3600))
            last_pull = _last_pull(rng, pushed, self.now)
            size = max(5_000_000, int(base_size * rng.uniform(0.9, 1.15)))
            tag = f"{rng.getrandbits(128):032x}"
            labels = {mf.LABEL: state.manifest(tag).to_label()}
            image = _image(
                repository=repository,
                tag=tag,
                pushed=pushed,
                last_pull=last_pull,
                size=size,
                labels=labels,
                rng=rng,
            )
            self._put(image, also_latest=n == count - 1)

    def _put(self, image: _DemoImage, *, also_latest: bool) -> None:
        digest = "sha256:" + hashlib.sha256(image.config_blob).hexdigest()
        self._blobs[digest] = image.config_blob
        doc = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_V2,
            # moto reports config.size as the image's size: see the module docstring.
            "config": {"mediaType": CONFIG_V1, "size": image.size, "digest": digest},
            "layers": [
                {"mediaType": LAYER, "size": size, "digest": _layer_digest(image.tag, i)}
                for i, size in enumerate(image.layers)
            ],
        }
        text = json.dumps(doc)
        tags = [image.tag, "latest"] if also_latest else [image.tag]
        stored: Any = None
        for tag in tags:
            stored = self._backend.put_image(image.repository, text, tag, MANIFEST_V2)
        # Give moto's image object the generated push and pull times (module docstring), as
        # aware datetimes: moto's serialiser takes those as they are, while an epoch number
        # goes through botocore's local-timezone parsing first (a third of describe_images).
        stored.image_pushed_at = image.pushed_at
        if image.last_pull is not None:
            stored.last_recorded_pull_time = image.last_pull


@dataclass(frozen=True)
class _InputsState:
    """The inputs of a pipeline's image; each new tag changes one or two of them."""

    dockerfile: str
    dockerfile_digest: str
    target: str
    build_args: tuple[tuple[str, str], ...]
    cache_on: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    @classmethod
    def initial(
        cls,
        rng: random.Random,
        dockerfile: str,
        target: str,
        stack: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    ) -> _InputsState:
        patterns, files, args = stack
        per_pattern: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        for i, pattern in enumerate(patterns):
            # The first pattern takes the first file; a later one the rest (e.g. **/package.json).
            mine = files[:1] if i == 0 else files[1:] or files[:1]
            per_pattern.append((pattern, tuple((f, _hex(rng)) for f in mine)))
        return cls(
            dockerfile=dockerfile,
            dockerfile_digest=_hex(rng),
            target=target,
            build_args=tuple((a.split("=")[0], _hex(rng)) for a in args),
            cache_on=tuple(per_pattern),
        )

    def evolve(self, rng: random.Random) -> _InputsState:
        roll = rng.random()
        if roll < 0.15:
            return _replace(self, dockerfile_digest=_hex(rng))
        if roll < 0.25 and self.build_args:
            i = rng.randrange(len(self.build_args))
            args = list(self.build_args)
            args[i] = (args[i][0], _hex(rng))
            return _replace(self, build_args=tuple(args))
        i = rng.randrange(len(self.cache_on))
        pattern, files = self.cache_on[i]
        j = rng.randrange(len(files))
        changed = list(files)
        changed[j] = (changed[j][0], _hex(rng))
        cache_on = list(self.cache_on)
        cache_on[i] = (pattern, tuple(changed))
        return _replace(self, cache_on=tuple(cache_on))

    def manifest(self, tag: str) -> mf.Manifest:
        entries = [
            mf.InputEntry(mf.DOCKERFILE, self.dockerfile, self.dockerfile_digest),
            mf.InputEntry(mf.CONTEXT, ".", "d41d8cd98f00b204e9800998ecf8427e"[:32]),
        ]
        if self.target:
            entries.append(mf.InputEntry(mf.TARGET, self.target, _digest_of(self.target)))
        entries.append(mf.InputEntry(mf.PLATFORM, "linux/amd64", _digest_of("linux/amd64")))
        entries.extend(mf.InputEntry(mf.BUILD_ARG, name, d) for name, d in self.build_args)
        for pattern, files in self.cache_on:
            combined = _digest_of("".join(d for _, d in files))
            note = f"{len(files)} file{'s' if len(files) != 1 else ''}"
            entries.append(
                mf.InputEntry(
                    mf.CACHE_ON,
                    pattern,
                    combined,
                    files=tuple(mf.FileDigest(p, d) for p, d in files),
                    note=note,
                )
            )
        return mf.Manifest(tag=tag, entries=tuple(entries))


def _replace(state: _InputsState, **changes: Any) -> _InputsState:
    from dataclasses import replace  # noqa: PLC0415

    return replace(state, **changes)


def _organisations(count: int) -> list[str]:
    named = list(_ORGANISATIONS[:count])
    return named + [f"org-{i}" for i in range(len(named), count)]


def _pipeline_names(rng: random.Random, orgs: list[str], count: int) -> list[tuple[str, str]]:
    """``count`` distinct (organisation, pipeline) pairs, deterministic for the seed."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    suffix = 0
    while len(out) < count:
        org = orgs[len(out) % len(orgs)] if len(out) < len(orgs) else rng.choice(orgs)
        name = rng.choice(_PIPELINES)
        if (org, name) in seen:
            suffix += 1
            name = f"{name}-{suffix}"
        if (org, name) in seen:
            continue
        seen.add((org, name))
        out.append((org, name))
    return out


def _last_pull(rng: random.Random, pushed: datetime, now: datetime) -> datetime | None:
    if rng.random() < 0.2:
        return None  # never pulled since push (a build that nobody reran)
    span = (now - pushed).total_seconds()
    # Most pulls are recent: caches in use are pulled by every build.
    return now - timedelta(seconds=span * rng.random() ** 3)


def _image(
    *,
    repository: str,
    tag: str,
    pushed: datetime,
    last_pull: datetime | None,
    size: int,
    labels: dict[str, str],
    rng: random.Random,
) -> _DemoImage:
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": pushed.isoformat(),
        "config": {"Labels": labels, "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": []},
    }
    blob = json.dumps(config, sort_keys=True).encode()
    cut = sorted(rng.random() for _ in range(3))
    layers = (int(size * cut[0]), int(size * (cut[1] - cut[0])), int(size * (1 - cut[1])))
    return _DemoImage(repository, tag, pushed, last_pull, size, blob, layers)


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _layer_digest(tag: str, index: int) -> str:
    return "sha256:" + hashlib.sha256(f"{tag}/{index}".encode()).hexdigest()


# -- DescribeImages without moto's generic serialiser (module docstring) ---------------------

#: ECR's JSON protocol (``jsonVersion`` 1.1): the Content-Type moto's serialiser sets.
_ECR_CONTENT_TYPE = "application/x-amz-json-1.1"


def _describe_images_json(response: Any) -> tuple[str, dict[str, str]]:
    """``ECRResponse.describe_images`` answered with the JSON moto's serialiser would write.

    ``response`` is moto's ``ECRResponse`` for the request; the backend call and its
    exceptions are moto's own (as in moto's ``describe_images``).
    """
    images = response.ecr_backend.describe_images(
        response._get_param("repositoryName"),
        response._get_param("registryId"),
        response._get_param("imageIds"),
    )
    body = json.dumps({"imageDetails": [_image_detail(image) for image in images]})
    return body, {"Content-Type": _ECR_CONTENT_TYPE}


def _image_detail(image: Any) -> dict[str, Any]:
    """One ``ImageDetail`` as moto serialises its ``Image``: members it has, in shape order."""
    detail: dict[str, Any] = {}
    for key, value in (
        ("registryId", image.registry_id),
        ("repositoryName", image.repository_name),
        ("imageDigest", image.image_digest),
    ):
        if value is not None:
            detail[key] = str(value)
    if image.image_tags:  # moto (like ECR) leaves out an empty list
        detail["imageTags"] = [str(tag) for tag in image.image_tags]
    size = _size_of(image)
    if size is not None:
        detail["imageSizeInBytes"] = int(size)
    if image.image_pushed_at is not None:
        detail["imagePushedAt"] = _epoch(image.image_pushed_at)
    if image.image_manifest_media_type is not None:
        detail["imageManifestMediaType"] = str(image.image_manifest_media_type)
    pulled = getattr(image, "last_recorded_pull_time", None)  # only where the demo set one
    if pulled is not None:
        detail["lastRecordedPullTime"] = _epoch(pulled)
    return detail


def _size_of(image: Any) -> int | None:
    """moto's ``image_size_in_bytes``, which parses the image's manifest on every read.

    Kept per image object (its manifest never changes; a deleted image's entry goes with it):
    a 10,000-tag listing would otherwise parse 10,000 manifests on every ``DescribeImages``.
    """
    try:
        return _SIZES[image]
    except KeyError:
        size = cast("int | None", image.image_size_in_bytes)
        _SIZES[image] = size
        return size
    except TypeError:  # not weak-referenceable: read it each time
        return cast("int | None", image.image_size_in_bytes)


_SIZES: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()


def _epoch(value: Any) -> float:
    """:func:`_epoch_of`, kept per value: each image's times are read on every listing.

    Keyed by type and zone too: two equal instants in different zones write differently.
    """
    return _epoch_of(value, type(value).__name__, getattr(value, "tzinfo", None))


@functools.lru_cache(maxsize=65_536)
def _epoch_of(value: Any, kind: str, zone: Any) -> float:
    """A timestamp as moto's JSON serialiser writes it: epoch seconds, milliseconds truncated.

    ``value`` is what moto holds: an aware datetime (set by the demo) or moto's own integer
    epoch (an image pushed through the API), read as moto reads it.
    """
    if isinstance(value, datetime):
        when = value
    else:
        from botocore.utils import parse_to_aware_datetime  # noqa: PLC0415

        when = parse_to_aware_datetime(value)
    # As moto: the fields of the value's own zone read as UTC (every demo time is UTC).
    seconds = calendar.timegm(when.timetuple())
    if when.microsecond:
        return seconds + (when.microsecond // 1000) / 1000.0
    return seconds


class _MethodSwap:
    """``ECRResponse.describe_images`` replaced while at least one demo runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._original: Any = None

    def install(self) -> None:
        from moto.ecr.responses import ECRResponse  # noqa: PLC0415

        with self._lock:
            if self._users == 0:
                self._original = ECRResponse.__dict__["describe_images"]
                # moto's call_action looks the action up by name on the class on every request.
                setattr(ECRResponse, "describe_images", _describe_images_json)  # noqa: B010
            self._users += 1

    def uninstall(self) -> None:
        from moto.ecr.responses import ECRResponse  # noqa: PLC0415

        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users == 0:
                setattr(ECRResponse, "describe_images", self._original)  # noqa: B010
                self._original = None


_FAST_DESCRIBE_IMAGES = _MethodSwap()


def demo_service(demo: DemoEcr, clock: Callable[[], datetime] | None = None) -> CacheService:
    """A :class:`~ecr_cache_tui.service.CacheService` over a running demo ECR.

    Args:
        demo: a started :class:`DemoEcr`.
        clock: the service's clock (default: the demo's fixed ``now``, so expiry previews
            agree with the generated ages).
    """
    from ecr_cache_tui.adapters.ecr import Ecr  # noqa: PLC0415
    from ecr_cache_tui.service import CacheService  # noqa: PLC0415

    fixed = demo.now
    return CacheService(
        Ecr(demo.client),
        demo.read_labels,
        prefix=demo.prefix,
        clock=clock or (lambda: fixed),
    )
