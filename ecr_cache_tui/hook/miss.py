"""A miss, after the decision (SPEC §4 steps 7-8): why, the ``--cache-from`` pull, the build,
the push, and the push this host owes when it fails."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ecr_cache_tui.cachekey.baseimages import all_resolved
from ecr_cache_tui.cachekey.inputs import LABEL, Manifest, describe_changes, diff
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.errors import BuildError, RemoteError, RepositoryNotFound, TagNotFound
from ecr_cache_tui.hook.build import build_args
from ecr_cache_tui.hook.decision import Outcome, retry
from ecr_cache_tui.hook.log import ProgressCollapser
from ecr_cache_tui.hook.types import HookDeps
from ecr_cache_tui.host_records import PendingPush

if TYPE_CHECKING:
    from ecr_cache_tui.hook.remote import RegistrySession, Remote

__all__ = ["LATEST", "build", "explain", "owe_push", "pull_cache_from", "push"]

LATEST = "latest"


def explain(
    config: PluginConfig,
    session: RegistrySession,
    *,
    manifest: Manifest,
    platform: str,
    outcome: Outcome,
) -> str:
    """Which inputs changed against ``latest``'s label (SPEC: "on a miss, say why")."""
    if outcome.source == "forced":
        return "force-rebuild is on"
    if outcome.source == "mismatch":
        return f"the cached image carries an inputs label for other inputs ({outcome.detail})"
    try:
        labels = session.labels(config.ecr_name, LATEST, platform)
    except RemoteError as exc:
        return f"no previous image to compare with ({type(exc).__name__})"
    text = labels.get(LABEL)
    if not text:
        return "latest carries no inputs manifest to compare with"
    try:
        previous = Manifest.from_label(text)
    except ValueError as exc:  # total: LabelError, whatever the registry holds
        return f"latest's inputs label is unreadable ({exc}): treated as absent"
    return describe_changes(diff(previous, manifest))


def pull_cache_from(
    config: PluginConfig,
    deps: HookDeps,
    session: RegistrySession,
    *,
    image: str,
    outcome: Outcome,
) -> str | None:
    """Pull ``latest`` so the build can reuse its layers; ``None`` when off or unavailable."""
    if not config.cache_from or outcome.source == "forced":
        return None
    deps.log.group(f":docker: ecr-cache: pulling {image}:{LATEST} for --cache-from")
    collapse = ProgressCollapser(deps.log.line, deps.clock)
    try:
        retry(
            partial(session.pull, image, LATEST, config.platform, collapse),
            deps.retry,
            deps.sleep,
            partial(deps.log.retried, f"pull {image}:{LATEST}"),
            clock=deps.clock,
        )
    except (TagNotFound, RepositoryNotFound):
        deps.log.info("no latest image yet: building without --cache-from")
        return None
    except RemoteError as exc:
        deps.log.warn(f"cannot pull {image}:{LATEST} for --cache-from ({exc})")
        return None
    return f"{image}:{LATEST}"


def build(
    config: PluginConfig,
    checkout: Path,
    deps: HookDeps,
    *,
    reference: str,
    manifest: Manifest,
    cache_from: str | None,
    outcome: Outcome,
) -> None:
    """Step 7: ``docker build`` through the CLI, output streamed through the redactor."""
    log = deps.log
    buildkit = deps.builder.has_buildkit()
    # lazy: a build only: a local hit does not pay for it
    import tempfile  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="ecr-cache-", dir=deps.tempdir) as tmp:
        if config.dockerfile_inline is not None:
            dockerfile = Path(tmp) / "Dockerfile"
            dockerfile.write_text(config.dockerfile_inline, encoding="utf-8")
        else:
            dockerfile = checkout / (config.dockerfile or "Dockerfile")
        args = build_args(
            config,
            checkout=checkout,
            dockerfile=dockerfile,
            reference=reference,
            label=manifest.to_label(),
            buildkit=buildkit,
            cache_from=cache_from,
            force=outcome.source == "forced",
            pull=all_resolved(manifest.entries),
        )
        builder = "BuildKit" if buildkit else "legacy builder"
        log.group(f":docker: ecr-cache: building {reference} ({builder})")
        try:
            deps.builder.build(args, buildkit=buildkit, on_line=log.line)
        except BuildError as exc:
            log.line(f"ecr-cache: build failed: {exc}")
            log.expand_previous()
            raise


def push(config: PluginConfig, deps: HookDeps, session: RegistrySession, remote: Remote) -> bool:
    """Step 8: push the tag (and ``latest``); a failure is a warning, the local image is used.

    The host remembers a failed (or cancelled) push (the next local hit of the tag makes it)
    and forgets it once a push succeeds. Not retried here: the daemon retries each layer upload
    itself (up to five times, waiting longer each time), and a refused login gets one fresh
    token (:meth:`Login.authorized`).
    """
    log = deps.log
    image, reference = remote.image, remote.reference
    tags = [remote.tag]
    if config.push_latest:
        deps.engine.tag(reference, image, LATEST)
        tags.append(LATEST)
    log.group(f":docker: ecr-cache: pushing {image} ({', '.join(tags)})")
    for name in tags:
        try:
            session.push(image, name, ProgressCollapser(log.line, deps.clock))
        except RemoteError as exc:
            log.warn(
                f"push of {image}:{name} failed ({exc}); the step goes on with the local image"
            )
            owe_push(config, deps, reference, str(exc))
            return False
        except BaseException:  # cancelled (SIGTERM): nothing more is pushed, the next job will
            owe_push(config, deps, reference, "cancelled")
            raise
    if deps.host is not None:
        deps.host.clear_pending_push(reference)
    return True


def owe_push(config: PluginConfig, deps: HookDeps, reference: str, why: str) -> None:
    """Remember on this host that ``reference`` must still be pushed (the next local hit will)."""
    if deps.host is not None:
        deps.host.save_pending_push(
            PendingPush(reference, config.push_latest, deps.wall_clock(), why)
        )
