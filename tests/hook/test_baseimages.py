"""When the hook asks a registry for a base image's digest, and what it hashes (fakes)."""

from __future__ import annotations

from pathlib import Path

from ecr_cache_tui.cachekey.baseimages import BaseImage
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import RegistryError
from ecr_cache_tui.hook.baseimages import base_images_of, resolve_base_images
from ecr_cache_tui.host_records import BaseImageRecord
from tests.fakes import FakeBaseImages, FakeClock, FakeHostState

NODE = "registry-1.docker.io/library/node:20"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
PLATFORM = "linux/amd64"
NOW = 1_000_000.0


def resolve(
    references: list[str],
    resolver: FakeBaseImages,
    host: FakeHostState | None,
    clock: FakeClock,
    *,
    window: int = 60,
    warnings: list[str] | None = None,
    made: list[int] | None = None,
) -> tuple[BaseImage, ...]:
    def make() -> FakeBaseImages:
        if made is not None:
            made.append(1)
        return resolver

    return resolve_base_images(
        references,
        platform=PLATFORM,
        window_minutes=window,
        resolver=make,
        host=host,
        now=clock,
        warn=(warnings if warnings is not None else []).append,
    )


def test_a_digest_resolved_inside_the_window_is_used_without_making_a_client() -> None:
    host, clock = FakeHostState(), FakeClock(NOW)
    host.save_base_image(BaseImageRecord(NODE, PLATFORM, DIGEST_A, clock.now - 59 * 60))
    made: list[int] = []
    images = resolve(["node:20"], FakeBaseImages({NODE: DIGEST_B}), host, clock, made=made)
    assert images == (BaseImage("node:20", DIGEST_A),)
    assert made == []


def test_after_the_window_the_registry_is_asked_and_the_answer_kept() -> None:
    host, clock = FakeHostState(), FakeClock(NOW)
    host.save_base_image(BaseImageRecord(NODE, PLATFORM, DIGEST_A, clock.now - 60 * 60))
    resolver = FakeBaseImages({NODE: DIGEST_B})
    assert resolve(["node:20"], resolver, host, clock) == (BaseImage("node:20", DIGEST_B),)
    assert resolver.asked == [(NODE, PLATFORM)]
    assert host.base_image(NODE, PLATFORM) == BaseImageRecord(NODE, PLATFORM, DIGEST_B, clock.now)


def test_a_record_from_the_future_is_not_trusted() -> None:
    host, clock = FakeHostState(), FakeClock(NOW)
    host.save_base_image(BaseImageRecord(NODE, PLATFORM, DIGEST_A, clock.now + 10))
    assert resolve(["node:20"], FakeBaseImages({NODE: DIGEST_B}), host, clock)[0].digest == DIGEST_B


def test_a_window_of_zero_asks_every_time() -> None:
    host, clock = FakeHostState(), FakeClock(NOW)
    host.save_base_image(BaseImageRecord(NODE, PLATFORM, DIGEST_A, clock.now))
    resolver = FakeBaseImages({NODE: DIGEST_B})
    assert resolve(["node:20"], resolver, host, clock, window=0)[0].digest == DIGEST_B


def test_another_platform_is_another_record() -> None:
    host, clock = FakeHostState(), FakeClock(NOW)
    host.save_base_image(BaseImageRecord(NODE, "linux/arm64", DIGEST_A, clock.now))
    assert resolve(["node:20"], FakeBaseImages({NODE: DIGEST_B}), host, clock)[0].digest == DIGEST_B


def test_a_pinned_digest_asks_nobody() -> None:
    made: list[int] = []
    images = resolve(
        [f"node@{DIGEST_A}"], FakeBaseImages(), FakeHostState(), FakeClock(NOW), made=made
    )
    assert images == (BaseImage(f"node@{DIGEST_A}", DIGEST_A),)
    assert made == []


def test_an_unreachable_registry_is_one_warning_and_the_reference_as_written() -> None:
    host, clock, warnings = FakeHostState(), FakeClock(NOW), []
    failing = {
        NODE: RegistryError("HEAD http://x: ConnectionError"),
        "ghcr.io/o/app:1": RegistryError("refused\x1b[31m"),
    }
    images = resolve(
        ["node:20", "ghcr.io/o/app:1", "Bad:Name"],
        FakeBaseImages(failing=failing),
        host,
        clock,
        warnings=warnings,
    )
    assert [i.digest for i in images] == [None, None, None]
    assert images[2].why == "not an image name"
    (warning,) = warnings
    assert '"node:20"' in warning and '"ghcr.io/o/app:1"' in warning and "Bad:Name" in warning
    assert "\x1b" not in warning
    assert host.base_images == {}, "a failure is not kept: the next job asks again"


def test_each_reference_is_asked_once_in_the_order_named() -> None:
    other = "registry-1.docker.io/library/alpine:3"
    resolver = FakeBaseImages({NODE: DIGEST_A, other: DIGEST_B})
    images = resolve(["node:20", "alpine:3", "node:20"], resolver, None, FakeClock(NOW))
    assert [i.reference for i in images] == ["node:20", "alpine:3"]
    assert len(resolver.asked) == 2


def test_a_stage_of_its_own_platform_is_resolved_for_that_platform(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM --platform=$BUILDPLATFORM node:20 AS build\n"
        "FROM --platform=${NOPE} alpine:3\n"
        "COPY --from=build /a /a\n"
    )
    alpine = "registry-1.docker.io/library/alpine:3"
    resolver = FakeBaseImages({NODE: DIGEST_A, alpine: DIGEST_B})
    images = base_images_of(
        PluginConfig(base_image_digests=True),
        tmp_path,
        platform="linux/arm64",
        resolver=lambda: resolver,
        host=FakeHostState(),
        now=FakeClock(NOW),
        warn=print,
    )
    assert [i.digest for i in images] == [DIGEST_A, DIGEST_B]
    # BUILDPLATFORM is the build's own here; an empty substitution leaves the build's.
    assert resolver.asked == [(NODE, "linux/arm64"), (alpine, "linux/arm64")]
    pinned = resolve_base_images(
        ["node:20"],
        platform="linux/arm64",
        platforms={"node:20": "linux/amd64"},
        window_minutes=60,
        resolver=lambda: resolver,
        host=None,
        now=FakeClock(NOW),
        warn=print,
    )
    assert pinned[0].digest == DIGEST_A
    assert resolver.asked[-1] == (NODE, "linux/amd64")
