"""When to ask a registry for a base image's digest (``base-image-digests``), and what to hash.

For each external ``FROM`` reference of the stages built, in the order they are named:

* a reference that pins a digest (``node@sha256:…``) is that digest: nobody is asked;
* a digest this host resolved less than ``base-image-check-minutes`` ago (the host's record,
  :class:`~ecr_cache_tui.host_records.BaseImageRecord`) is used as it is: a local hit inside
  the window makes no network call;
* otherwise the registry is asked (:class:`ecr_cache_tui.ports.BaseImageResolver`, made only
  then), and the answer is kept on the host for the next jobs.

A reference that is not an image name, or whose registry cannot be asked (unreachable, refused,
no such image), is hashed as written instead, and all of them are named in one warning: the job
never fails for a base image. Such a failure is not kept, so the next job asks again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ecr_cache_tui.cachekey.baseimages import BaseImage, parse_image
from ecr_cache_tui.cachekey.keyconfig import is_platform
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import RemoteError
from ecr_cache_tui.hook.dockerfile import read_build
from ecr_cache_tui.host_records import BaseImageRecord
from ecr_cache_tui.text import show

if TYPE_CHECKING:
    from ecr_cache_tui.cachekey.dockerfile import Stage
    from ecr_cache_tui.ports import BaseImageResolver, HostStateApi

__all__ = ["base_images_of", "external_references", "resolve_base_images"]


#: A registry's error text is cut to this in the warning and the manifest's note.
_WHY_LIMIT = 120


def base_images_of(
    config: PluginConfig,
    checkout: Path,
    *,
    platform: str,
    resolver: Callable[[], BaseImageResolver],
    host: HostStateApi | None,
    now: Callable[[], float],
    warn: Callable[[str], None],
) -> tuple[BaseImage, ...]:
    """The build's base images, resolved (nothing without ``base-image-digests``).

    What the hook and ``ecr-cache checksum`` pass to
    :func:`ecr_cache_tui.cachekey.checksum.compute` as ``base_images``.
    """
    if not config.base_image_digests:
        return ()
    reading = read_build(config, checkout, platform=platform)
    stages = reading.base_images() if reading is not None else ()
    return resolve_base_images(
        [stage.base for stage in stages],
        platform=platform,
        platforms=_stage_platforms(stages),
        window_minutes=config.base_image_check_minutes,
        resolver=resolver,
        host=host,
        now=now,
        warn=warn,
    )


def external_references(config: PluginConfig, checkout: Path, *, platform: str) -> tuple[str, ...]:
    """The external ``FROM`` references of the stages ``config`` builds, after substitution
    with the build args it passes, in file order (none when the Dockerfile cannot be read)."""
    reading = read_build(config, checkout, platform=platform)
    return tuple(s.base for s in reading.base_images()) if reading is not None else ()


def _stage_platforms(stages: Iterable[Stage]) -> dict[str, str]:
    """Each base image's own ``FROM --platform`` (the first stage naming it wins), where it is
    ``os/arch[/variant]``: anything else (an empty substitution) leaves the build's."""
    found: dict[str, str] = {}
    for stage in stages:
        if stage.platform is not None and is_platform(stage.platform):
            found.setdefault(stage.base, stage.platform)
    return found


def resolve_base_images(
    references: Iterable[str],
    *,
    platform: str,
    window_minutes: int,
    resolver: Callable[[], BaseImageResolver],
    host: HostStateApi | None,
    now: Callable[[], float],
    warn: Callable[[str], None],
    platforms: Mapping[str, str] | None = None,
) -> tuple[BaseImage, ...]:
    """The base images of a build, each with its digest (or why it has none).

    Args:
        references: the external ``FROM`` references, after ``ARG`` substitution (repeats
            are resolved once and listed once).
        platform: the build's platform (picks the entry of a multi-platform index).
        platforms: a reference's own platform (``FROM --platform=…``), where it has one.
        window_minutes: how long a digest this host resolved is used without asking again.
        resolver: makes the registry client, only when one is needed.
        host: what the host remembers (``None``: nothing; every job asks).
        now: wall-clock seconds (epoch).
        warn: where the one warning about unresolved images goes.
    """
    found: list[BaseImage] = []
    failed: list[str] = []
    made: list[BaseImageResolver] = []

    def ask() -> BaseImageResolver:
        if not made:
            made.append(resolver())
        return made[0]

    for reference in dict.fromkeys(references):
        wanted = (platforms or {}).get(reference, platform)
        image = _resolve(reference, wanted, window_minutes * 60.0, ask=ask, host=host, now=now)
        found.append(image)
        if image.digest is None:
            failed.append(f"{show(reference)} ({image.why})")
    if failed:
        warn(
            "base-image-digests: cannot resolve "
            + "; ".join(failed)
            + ": hashed as written instead (the key changes again once it resolves)"
        )
    return tuple(found)


def _resolve(
    reference: str,
    platform: str,
    window: float,
    *,
    ask: Callable[[], BaseImageResolver],
    host: HostStateApi | None,
    now: Callable[[], float],
) -> BaseImage:
    try:
        name = parse_image(reference)
    except ValueError:
        return BaseImage(reference, None, "not an image name")
    if name.digest is not None:
        return BaseImage(reference, name.digest)
    key = str(name)
    if host is not None and window > 0:
        record = host.base_image(key, platform)
        if record is not None and 0 <= now() - record.resolved_at < window:
            return BaseImage(reference, record.digest)
    try:
        digest = ask().digest(name, platform)
    except RemoteError as exc:
        return BaseImage(reference, None, show(str(exc), _WHY_LIMIT).strip('"'))
    if host is not None:
        host.save_base_image(BaseImageRecord(key, platform, digest, now()))
    return BaseImage(reference, digest)
