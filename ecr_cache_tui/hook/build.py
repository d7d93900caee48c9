"""The ``docker build`` arguments for a miss (SPEC §4 step 7), as a pure function.

The argv is built here and run by :class:`ecr_cache_tui.adapters.docker_cli.DockerCli`, always as a
list (never through a shell). Build args read from the job's environment are passed as a bare
``--build-arg NAME``: the CLI takes the value from its own environment, so it never appears in
an argv that ``ps`` or a log could show.
"""

from __future__ import annotations

from pathlib import Path

from ecr_cache_tui.cachekey.inputs import LABEL
from ecr_cache_tui.config import BuildArg, PluginConfig

__all__ = ["build_arg_flag", "build_args"]

#: Makes the pushed image usable as a BuildKit ``--cache-from`` source by the next build.
INLINE_CACHE = "BUILDKIT_INLINE_CACHE=1"


def build_arg_flag(arg: BuildArg) -> str:
    """The value of one ``--build-arg``: ``NAME`` for an environment arg, ``NAME=value`` else."""
    return arg.name if arg.from_env else f"{arg.name}={arg.value}"


def build_args(
    config: PluginConfig,
    *,
    checkout: Path,
    dockerfile: Path,
    reference: str,
    label: str,
    buildkit: bool,
    cache_from: str | None,
    force: bool,
    pull: bool = False,
) -> list[str]:
    """Everything after ``docker build``.

    Args:
        config: the plugin configuration.
        checkout: the job's checkout (``context`` is relative to it).
        dockerfile: the Dockerfile to build (a temporary file for ``dockerfile-inline``).
        reference: ``image:tag`` to tag the result with.
        label: the inputs manifest, stored as the label :data:`ecr_cache_tui.cachekey.inputs.LABEL`.
        buildkit: whether BuildKit builds it (secrets and inline cache need it).
        cache_from: an image to reuse layers from (``image:latest``), or ``None``.
        force: rebuild from scratch: ``--pull --no-cache``.
        pull: pull the base images first (``--pull``): the key names their digests
            (``base-image-digests``), so the build must not use older copies the daemon keeps.
    """
    args = ["--file", str(dockerfile), "--tag", reference]
    if config.target:
        args += ["--target", config.target]
    if config.platform:
        args += ["--platform", config.platform]
    for arg in (*config.build_args, *config.unhashed_build_args):
        args += ["--build-arg", build_arg_flag(arg)]
    if buildkit:
        args += ["--build-arg", INLINE_CACHE]
        for secret in config.secrets:
            args += ["--secret", secret.spec]
    if cache_from:
        args += ["--cache-from", cache_from]
    if force:
        args += ["--pull", "--no-cache"]
    elif pull:
        args += ["--pull"]
    args += ["--label", f"{LABEL}={label}"]
    args += list(config.additional_build_args)
    args.append(str(checkout / config.context))
    return args
