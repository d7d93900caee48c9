"""The Dockerfile a build uses, read as Docker reads it, with what the build passes it.

:func:`read_build` gives :func:`ecr_cache_tui.cachekey.dockerfile.read_dockerfile`'s reading of
the configured Dockerfile (or the inline text) with the build args the build passes (hashed and
unhashed), its target and its platform. The hook asks it for the base images to resolve
(:mod:`.baseimages`) and for whether the build is multi-stage (:func:`cache_from_skipped`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ecr_cache_tui.cachekey.dockerfile import MAX_BYTES, DockerfileReading, read_dockerfile
from ecr_cache_tui.config import PluginConfig

__all__ = ["cache_from_skipped", "read_build"]


def read_build(config: PluginConfig, checkout: Path, *, platform: str) -> DockerfileReading | None:
    """The reading of the Dockerfile ``config`` builds; ``None`` when it cannot be read (the
    checksum reports that, as an error of its own)."""
    text = _dockerfile_text(config, checkout)
    if text is None:
        return None
    args = {a.name: a.value for a in (*config.build_args, *config.unhashed_build_args)}
    return read_dockerfile(
        text,
        build_args=args,
        target=config.target,
        platform=platform,
        name=config.dockerfile or "Dockerfile",
    )


def cache_from_skipped(reading: DockerfileReading | None, *, buildkit: bool) -> str | None:
    """Why ``latest`` is not pulled for ``--cache-from``, or ``None``: pull it.

    The legacy builder matches ``--cache-from`` layers against the image's own history, which
    holds only the last stage's layers: for a build of several stages nothing before the last
    stage can match, and the last stage rebuilds from what they made anyway (measured: 1.04x
    a cold build, plus the pull). BuildKit reads the inline cache metadata the hook builds into
    every image (``BUILDKIT_INLINE_CACHE=1``), so it keeps pulling.
    """
    if buildkit or reading is None or len(reading.needed) < 2:
        return None
    return (
        f"not pulling latest for --cache-from: this build has {len(reading.needed)} stages, and "
        "the legacy builder reuses none of them from it (BuildKit would: inline cache)"
    )


def _dockerfile_text(config: PluginConfig, checkout: Path) -> str | None:
    if config.dockerfile_inline is not None:
        return config.dockerfile_inline
    path = os.fsencode(checkout) + b"/" + (config.dockerfile or "Dockerfile").encode()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        data = os.read(fd, MAX_BYTES * 4 + 1)  # MAX_BYTES characters, up to 4 bytes each
    except OSError:
        return None
    finally:
        os.close(fd)
    return data.decode("utf-8", "replace")
