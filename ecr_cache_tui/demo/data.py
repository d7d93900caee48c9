"""The demo's generated data: organisations, pipelines, their inputs and images, seeded.

Everything comes from a seeded :class:`random.Random` and an injected ``now``, so two demos
with the same :class:`DemoScale` hold the same data (the snapshot tests rely on it).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ecr_cache_tui.cachekey import inputs as mf

__all__ = ["DemoImage", "DemoScale", "InputsState"]

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_V1 = "application/vnd.docker.container.image.v1+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

ORGANISATIONS = ("acme", "globex", "initech", "umbrella", "hooli", "wayne-ent", "stark-ind")
PIPELINES = (
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
STACKS: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
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
MAX_AGES = (30, 30, 30, 14, 14, 7, 60, 90)
#: Build args written with their value in the pipeline (``NAME=value``): the values a tag's
#: args take in turn. The others are read from the job's environment (only a digest is kept).
LITERAL_VALUES: dict[str, tuple[str, ...]] = {
    "PYTHON_VERSION": ("3.11", "3.12", "3.13"),
    "POETRY_VERSION": ("1.8.2", "1.8.3", "1.8.4"),
    "RUST_VERSION": ("1.78", "1.79", "1.80"),
    "TARGET_ARCH": ("x86_64", "aarch64"),
    "BUNDLE_WITHOUT": ("development:test", "development"),
}


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


@dataclass(frozen=True)
class DemoImage:
    repository: str
    tag: str
    pushed_at: datetime
    last_pull: datetime | None
    size: int
    config_blob: bytes
    layers: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class InputsState:
    """The inputs of a pipeline's image; each new tag changes one or two of them."""

    dockerfile: str
    dockerfile_digest: str
    target: str
    build_args: tuple[tuple[str, str, str | None], ...]
    """``(name, digest, literal value or None)``."""
    cache_on: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    @classmethod
    def initial(
        cls,
        rng: random.Random,
        dockerfile: str,
        target: str,
        stack: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    ) -> InputsState:
        patterns, files, args = stack
        per_pattern: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        for i, pattern in enumerate(patterns):
            # The first pattern takes the first file; a later one the rest (e.g. **/package.json).
            mine = files[:1] if i == 0 else files[1:] or files[:1]
            per_pattern.append((pattern, tuple((f, random_hex(rng)) for f in mine)))
        return cls(
            dockerfile=dockerfile,
            dockerfile_digest=random_hex(rng),
            target=target,
            build_args=tuple(build_arg(a.split("=")[0], random_hex(rng)) for a in args),
            cache_on=tuple(per_pattern),
        )

    def evolve(self, rng: random.Random) -> InputsState:
        roll = rng.random()
        if roll < 0.15:
            return replace_state(self, dockerfile_digest=random_hex(rng))
        if roll < 0.25 and self.build_args:
            i = rng.randrange(len(self.build_args))
            args = list(self.build_args)
            args[i] = build_arg(args[i][0], random_hex(rng), after=args[i][2])
            return replace_state(self, build_args=tuple(args))
        i = rng.randrange(len(self.cache_on))
        pattern, files = self.cache_on[i]
        j = rng.randrange(len(files))
        changed = list(files)
        changed[j] = (changed[j][0], random_hex(rng))
        cache_on = list(self.cache_on)
        cache_on[i] = (pattern, tuple(changed))
        return replace_state(self, cache_on=tuple(cache_on))

    def manifest(self, tag: str) -> mf.Manifest:
        entries = [
            mf.InputEntry(mf.DOCKERFILE, self.dockerfile, self.dockerfile_digest),
            mf.InputEntry(mf.CONTEXT, ".", "d41d8cd98f00b204e9800998ecf8427e"[:32]),
        ]
        if self.target:
            entries.append(mf.InputEntry(mf.TARGET, self.target, digest_of(self.target)))
        entries.append(mf.InputEntry(mf.PLATFORM, "linux/amd64", digest_of("linux/amd64")))
        entries.extend(
            mf.InputEntry(
                mf.BUILD_ARG, name, d, value=value, note="" if value else "from environment"
            )
            for name, d, value in self.build_args
        )
        for pattern, files in self.cache_on:
            combined = digest_of("".join(d for _, d in files))
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


def build_arg(name: str, digest: str, after: str | None = None) -> tuple[str, str, str | None]:
    """A build arg: a literal one takes the value after ``after`` (and its digest), others
    keep ``digest`` (drawn either way, so the generator's sequence is the same)."""
    values = LITERAL_VALUES.get(name)
    if values is None:
        return (name, digest, None)
    value = values[(values.index(after) + 1) % len(values)] if after in values else values[0]
    return (name, digest_of(f"{name}={value}"), value)


def replace_state(state: InputsState, **changes: Any) -> InputsState:
    return replace(state, **changes)


def organisations(count: int) -> list[str]:
    named = list(ORGANISATIONS[:count])
    return named + [f"org-{i}" for i in range(len(named), count)]


def pipeline_names(rng: random.Random, orgs: list[str], count: int) -> list[tuple[str, str]]:
    """``count`` distinct (organisation, pipeline) pairs, deterministic for the seed."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    suffix = 0
    while len(out) < count:
        org = orgs[len(out) % len(orgs)] if len(out) < len(orgs) else rng.choice(orgs)
        name = rng.choice(PIPELINES)
        if (org, name) in seen:
            suffix += 1
            name = f"{name}-{suffix}"
        if (org, name) in seen:
            continue
        seen.add((org, name))
        out.append((org, name))
    return out


def last_pull(rng: random.Random, pushed: datetime, now: datetime) -> datetime | None:
    if rng.random() < 0.2:
        return None  # never pulled since push (a build that nobody reran)
    span = (now - pushed).total_seconds()
    # Most pulls are recent: caches in use are pulled by every build.
    return now - timedelta(seconds=span * rng.random() ** 3)


def make_image(
    *,
    repository: str,
    tag: str,
    pushed: datetime,
    last_pull: datetime | None,
    size: int,
    labels: dict[str, str],
    rng: random.Random,
) -> DemoImage:
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
    return DemoImage(repository, tag, pushed, last_pull, size, blob, layers)


def random_hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def layer_digest(tag: str, index: int) -> str:
    return "sha256:" + hashlib.sha256(f"{tag}/{index}".encode()).hexdigest()
