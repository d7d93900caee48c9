"""The pre-command hook, step by step (SPEC §4), with every collaborator injected.

:func:`_pre_command` reads top to bottom, one named step a line::

    validate  -> what only the hook can check, secrets masked       (_validate)
    writers   -> may this build write the cache? (push, forks)      (_who_writes)
    key       -> the checksum tag and its inputs                    (_key)
    ensure    -> repository, policy: skipped on a local hit          (_ensure)
    decide    -> local daemon, then the registry: hit or miss       (_decide)
    verify    -> a hit's inputs label against the computed manifest (_verify_label)
    miss      -> wait for this host's builder, build, push, owe      (_on_miss)
    owed      -> a hit pushes what this host still owes              (_pay_owed_push)
    finish    -> the exports and the summary line                   (_finish)

A new step is a function of its own here (or in a module of its own, called from here), taking
what it needs (the configuration, :class:`~ecr_cache_tui.hook.types.HookDeps`, the values the
steps before it return: :class:`Key`, :class:`~ecr_cache_tui.hook.remote.Remote`,
:class:`~ecr_cache_tui.hook.decision.Outcome`, :class:`Done`) and returning a value, and one
line in :func:`_pre_command`. The registry is asked only through
:class:`~ecr_cache_tui.hook.remote.RegistrySession` (its login renewed once when refused); the
miss path's pieces are in :mod:`ecr_cache_tui.hook.miss`.

:func:`run_pre_command` receives a validated configuration and the things that talk to the world
(ECR, the Docker engine and CLI, a registry client factory, Docker-config credentials, Buildkite,
a clock, a log). It reads no environment variable and creates no client itself, so the same flow
runs against moto and a local registry in the tests and against AWS on an agent.

Where a hit looks: the local daemon, then the registry (a ``HEAD`` of the manifest), never
``DescribeImages``. That keeps a hit at three AWS calls at most (``DescribeRepositories``,
``GetLifecyclePolicy``, and ``GetAuthorizationToken`` only when the registry must be asked),
works the same for any OCI registry, and means tests need not mirror pushes into moto.

What the host remembers (:mod:`ecr_cache_tui.hook.host`, through ``deps.host``): when this host
ensured the repository recently and the daemon already has the image, steps 3-5 are skipped
and the hit makes no network call at all; a push that failed on this host is made by the next
job that hits the tag locally; and jobs on the host that miss the same tag wait for the one
that builds it, then hit locally.

Faults: each ECR step (the repository and its policy, the login) is retried on throttling and
5xx within a budget in total time (:data:`~ecr_cache_tui.hook.decision.ECR_RETRY`), as are the
registry check and the pulls (:class:`~ecr_cache_tui.hook.decision.RetryPolicy`), every retry
logged as it goes. A refused login (401/403) on the check, the label read, a pull or a push is
answered with one fresh token and one more try (:class:`~ecr_cache_tui.hook.login.Login`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ecr_cache_tui.cachekey.inputs import Manifest
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.config.push import WriteDecision, write_decision
from ecr_cache_tui.config.variables import EXPORT_IMAGE, EXPORT_TAG
from ecr_cache_tui.errors import (
    BuildError,
    ConfigError,
    DaemonUnreachable,
    LabelMismatch,
    LoginUnavailable,
    RemoteError,
)
from ecr_cache_tui.hook import annotation
from ecr_cache_tui.hook.decision import Outcome, decide
from ecr_cache_tui.hook.host import wait_for_build_lock
from ecr_cache_tui.hook.log import HookLog, ProgressCollapser
from ecr_cache_tui.hook.masked import values_to_mask
from ecr_cache_tui.hook.remote import (
    RegistrySession,
    Remote,
    ecr_step,
    ensure_remote,
    recently_ensured,
    remote_of,
)
from ecr_cache_tui.hook.types import HookDeps, HookResult
from ecr_cache_tui.hook.writers import LocalLook, remote_for_reader, verify_hit
from ecr_cache_tui.records import Record

if TYPE_CHECKING:  # a local hit never imports ecr_cache_tui.model (see host_records)
    from ecr_cache_tui.cachekey.baseimages import BaseImage
    from ecr_cache_tui.host_records import PendingPush
    from ecr_cache_tui.ports import BaseImageResolver

__all__ = ["register_secrets", "run_pre_command", "summary"]


class Key(Record):
    """The cache key: the platform it was computed for and the inputs manifest (its tag)."""

    platform: str
    manifest: Manifest


class Done(Record):
    """What the steps after the decision did.

    Attributes:
        outcome: the decision (a miss may become a hit: another job on the host built it).
        built: an image was built.
        pushed: the built image (or, on a hit, an owed one) reached the registry.
        why: on a miss, which inputs changed against ``latest``.
        owed: a hit whose earlier push from this host had failed.
    """

    outcome: Outcome
    built: bool = False
    pushed: bool = False
    why: str = ""
    owed: bool = False


def register_secrets(config: PluginConfig, env: Mapping[str, str], log: HookLog) -> None:
    """Mask every value the log must never show, by whichever option it reaches the build
    (:mod:`ecr_cache_tui.hook.masked`)."""
    for what, value in values_to_mask(config, env):
        log.secret(what, value)


def run_pre_command(
    config: PluginConfig, checkout: Path, *, env: Mapping[str, str], deps: HookDeps
) -> HookResult:
    """Run SPEC §4 steps 2–9 for a configuration ``config.load`` has already validated.

    A miss and a failure are annotated (unless ``annotate: false``), a hit never
    (:mod:`ecr_cache_tui.hook.annotation`).

    Args:
        config: the validated plugin configuration.
        checkout: the job's checkout.
        env: the job's environment (only read for secret values, to mask them).
        deps: the collaborators.

    Raises:
        ConfigError: an input only this step can check (secrets without BuildKit), before any
            side effect.
        BuildError: the build failed (after printing ``^^^ +++``).
        RemoteError, DaemonUnreachable: ECR, the registry or the daemon failed.
    """
    try:
        result = _pre_command(config, checkout, env=env, deps=deps)
    except (BuildError, RemoteError, DaemonUnreachable) as exc:
        if config.annotate:
            _annotate_failure(deps, exc)
        raise
    if config.annotate and not result.outcome.hit:
        _annotate_miss(deps, result)
    return result


def _pre_command(
    config: PluginConfig, checkout: Path, *, env: Mapping[str, str], deps: HookDeps
) -> HookResult:
    start = deps.clock()
    _validate(config, env, deps)
    writes = _who_writes(config, env, deps.log)
    key = _key(config, checkout, deps)
    look = LocalLook(deps.engine)
    remote = _ensure(config, deps, key.manifest.tag, writes, look)
    session = RegistrySession(config, deps, remote.host, remote.registry_id)
    outcome = _decide(config, deps, session, remote, look)
    outcome = _verify_label(config, deps, outcome, look, key=key, remote=remote)
    done = _on_miss(
        config,
        checkout,
        deps,
        session=session,
        remote=remote,
        key=key,
        decided=outcome,
        writes=writes,
    )
    if writes.allowed:
        done = _pay_owed_push(config, deps, session, remote, done)
    return _finish(config, deps, remote, done, start=start, not_written=writes.line())


def _who_writes(config: PluginConfig, env: Mapping[str, str], log: HookLog) -> WriteDecision:
    """Whether this build may write the cache (``push``, forks); said in one line if not.

    One that may not reads: it describes the repository and creates nothing, builds a miss
    and uses it locally, pushes nothing and owes the host no push.
    """
    writes = write_decision(config.push, config.push_from_forks, env)
    if not writes.allowed:
        log.info(writes.line())
    return writes


def _validate(config: PluginConfig, env: Mapping[str, str], deps: HookDeps) -> None:
    """Step 1: what only the hook can check, before any side effect; secrets masked first.

    The options themselves were checked by the loader (:mod:`ecr_cache_tui.config.parse`) and
    are not checked again here.
    """
    register_secrets(config, env, deps.log)
    if config.secrets and not deps.builder.has_buildkit():
        raise ConfigError(
            f"secrets: {config.secrets[0].id!r} needs BuildKit, which the docker CLI here lacks "
            "(install docker buildx, or unset DOCKER_BUILDKIT=0)",
            option="secrets",
        )


def _key(config: PluginConfig, checkout: Path, deps: HookDeps) -> Key:
    """Step 2: the checksum and its inputs, in a collapsed group."""
    log = deps.log
    platform = config.platform or deps.engine.platform()
    if config.base_image_digests:
        bases = _base_images(config, checkout, deps, platform)
        computed = deps.checksum(config, checkout, platform=platform, base_images=bases)
    else:
        computed = deps.checksum(config, checkout, platform=platform)
    manifest = computed.manifest
    log.quiet_group(f":docker: ecr-cache: inputs of tag {manifest.tag} ({platform})")
    for line in manifest.render():
        log.line(line)
    for warning in computed.warnings:
        log.warn(warning)
    return Key(platform, manifest)


def _base_images(
    config: PluginConfig, checkout: Path, deps: HookDeps, platform: str
) -> tuple[BaseImage, ...]:
    """The base images' digests (``base-image-digests``): the host's records within the window,
    else the registry (:mod:`ecr_cache_tui.hook.baseimages`)."""
    # lazy: a local hit does not load the miss path
    from ecr_cache_tui.hook.baseimages import base_images_of  # noqa: PLC0415

    def resolver() -> BaseImageResolver:
        if deps.base_images is None:
            raise LoginUnavailable("no registry client for base images")
        return deps.base_images()

    return base_images_of(
        config,
        checkout,
        platform=platform,
        resolver=resolver,
        host=deps.host,
        now=deps.wall_clock,
        warn=deps.log.warn,
    )


def _ensure(
    config: PluginConfig, deps: HookDeps, tag: str, writes: WriteDecision, look: LocalLook
) -> Remote:
    """Steps 3-4: repository and lifecycle policy; only described for a build that may not
    write (:func:`~ecr_cache_tui.hook.writers.remote_for_reader`).

    Skipped when this host ensured the repository recently and the daemon has the image (a hit
    with no network call at all; ``look`` keeps the image's labels for the label check).
    """
    recent = recently_ensured(config, deps)
    local = False
    if recent is not None:
        host, registry_id = remote_of(config, recent)
        reference = f"{host}/{config.ecr_name}:{tag}"
        local = (
            not config.force_rebuild and _pending(deps, reference) is None and look.has(reference)
        )
    if not local and not writes.allowed and deps.ecr is not None:
        host, registry_id = remote_for_reader(config, deps.ecr, deps.log, partial(ecr_step, deps))
    elif not local:
        host, registry_id = ensure_remote(config, deps)
    return Remote(host, registry_id, f"{host}/{config.ecr_name}", tag, local, recent)


def _decide(
    config: PluginConfig,
    deps: HookDeps,
    session: RegistrySession,
    remote: Remote,
    look: LocalLook,
) -> Outcome:
    """Step 6: hit or miss, the local daemon first, then the registry."""
    log = deps.log
    log.group(f":docker: ecr-cache: looking for {remote.reference}")
    collapse = ProgressCollapser(log.line, deps.clock)
    outcome = decide(
        force=config.force_rebuild,
        skip_pull=config.skip_pull_from_cache,
        in_daemon=partial(_in_daemon, look, remote),
        tag_exists=partial(session.tag_exists, config.ecr_name, remote.tag),
        pull=partial(session.pull, remote.image, remote.tag, config.platform, collapse),
        policy=deps.retry,
        sleep=deps.sleep,
        warn=log.warn,
        on_retry=log.retried,
        clock=deps.clock,
    )
    log.info(f"{outcome.word} ({outcome.source})")
    if remote.local and remote.recent is not None:
        log.info(
            f"repository and policy not asked again: this host ensured them "
            f"{_ago(deps.wall_clock() - remote.recent.ensured_at)} ago"
        )
    return outcome


def _in_daemon(look: LocalLook, remote: Remote) -> bool:
    return remote.local or look.has(remote.reference)


def _verify_label(
    config: PluginConfig,
    deps: HookDeps,
    outcome: Outcome,
    look: LocalLook,
    *,
    key: Key,
    remote: Remote,
) -> Outcome:
    """A local or pulled hit's inputs label against the computed manifest (``verify-label``).

    A local hit's labels come from the inspect that found it; a pulled one's from one more
    local inspect after the pull: never a registry request.
    """
    if outcome.hit and outcome.source == "pulled":
        look.has(remote.reference)
    checked, _ = verify_hit(
        outcome,
        look.labels,
        manifest=key.manifest,
        reference=remote.reference,
        mode=config.verify_label,
        log=deps.log,
    )
    return checked


def _on_miss(
    config: PluginConfig,
    checkout: Path,
    deps: HookDeps,
    *,
    session: RegistrySession,
    remote: Remote,
    key: Key,
    decided: Outcome,
    writes: WriteDecision,
) -> Done:
    """Steps 7-8 on a miss: one build per host, then why, the build and the push (not for a
    build that may not write: it builds and uses its image locally)."""
    if decided.hit:
        return Done(decided)
    # lazy: only a miss builds: a local hit does not import the build's modules.
    from ecr_cache_tui.hook.miss import build, explain, pull_cache_from, push  # noqa: PLC0415

    with _one_build_per_host(deps, remote, decided) as outcome:
        if outcome.hit:
            return Done(outcome)
        if writes.allowed:
            session.login.get()  # no login at all: exit 3 before building what cannot be pushed
        why = explain(
            config, session, manifest=key.manifest, platform=key.platform, outcome=outcome
        )
        deps.log.info(f"why: {why}")
        skipped = _cache_from_skipped(config, checkout, deps, key.platform)
        if skipped:
            deps.log.info(skipped)
        _key_misses(config, checkout, deps, key)
        cache_from = (
            None
            if skipped
            else pull_cache_from(config, deps, session, image=remote.image, outcome=outcome)
        )
        build(
            config,
            checkout,
            deps,
            reference=remote.reference,
            manifest=key.manifest,
            cache_from=cache_from,
            outcome=outcome,
        )
        pushed = writes.allowed and push(config, deps, session, remote)
        return Done(outcome, built=True, pushed=pushed, why=why)


def _cache_from_skipped(
    config: PluginConfig, checkout: Path, deps: HookDeps, platform: str
) -> str | None:
    """Why ``latest`` is not pulled for ``--cache-from`` (a multi-stage build on the legacy
    builder reuses nothing of it), or ``None``."""
    if not config.cache_from:
        return None
    # lazy: a local hit does not load the miss path
    from ecr_cache_tui.hook.dockerfile import cache_from_skipped, read_build  # noqa: PLC0415

    reading = read_build(config, checkout, platform=platform)
    return cache_from_skipped(reading, buildkit=deps.builder.has_buildkit())


def _key_misses(config: PluginConfig, checkout: Path, deps: HookDeps, key: Key) -> None:
    """On a miss: each ``COPY``/``ADD`` source no ``cache-on`` pattern covers, in one collapsed
    group (plain lines: never a warning of the annotation). Read here, not on a hit: it lists
    the context."""
    # lazy: a miss only
    from ecr_cache_tui.cachekey.copied_inputs import key_misses  # noqa: PLC0415

    misses = key_misses(config, checkout, key.manifest, platform=key.platform)
    if misses.lines:
        deps.log.quiet_group(f":docker: ecr-cache: {misses.title}")
        for line in misses.lines:
            deps.log.message(line)


@contextmanager
def _one_build_per_host(deps: HookDeps, remote: Remote, outcome: Outcome) -> Iterator[Outcome]:
    """Hold this host's build lock of the tag (waiting for a job that builds it) while building.

    Under the lock the daemon is asked again, even without a wait: the job that built the image
    may have let go between this job's registry check and its try of the lock. Yields the
    outcome, a hit when another job of the host built the image. No lock for a forced rebuild,
    nor for an image whose label names other inputs (the daemon has that one: asked again under
    the lock, it would be a hit).
    """
    if outcome.source in ("forced", "mismatch") or deps.host is None:
        yield outcome
        return
    lock, waited = wait_for_build_lock(
        deps.host,
        remote.reference,
        bound=deps.build_wait,
        clock=deps.clock,
        sleep=deps.sleep,
        info=deps.log.info,
        warn=deps.log.warn,
    )
    try:
        if deps.engine.image_exists(remote.reference):
            outcome = Outcome(hit=True, source="local", detail="built by another job here")
            by = "the job this one waited for" if waited else "another job on this host"
            deps.log.info(f"{outcome.word} ({outcome.source}): built by {by}")
        yield outcome
    finally:
        if lock is not None:
            lock.release()


def _pay_owed_push(
    config: PluginConfig, deps: HookDeps, session: RegistrySession, remote: Remote, done: Done
) -> Done:
    """A cache that heals: a local hit makes the push that failed on this host earlier."""
    outcome = done.outcome
    if not (outcome.hit and outcome.source == "local"):
        return done
    if _pending(deps, remote.reference) is None:
        return done
    deps.log.info("an earlier push of this tag from this host failed: pushing it now")
    # lazy: a local hit does not load the miss path
    from ecr_cache_tui.hook.miss import push  # noqa: PLC0415

    return done._replace(pushed=push(config, deps, session, remote), owed=True)


def _finish(
    config: PluginConfig,
    deps: HookDeps,
    remote: Remote,
    done: Done,
    *,
    start: float,
    not_written: str = "",
) -> HookResult:
    """Step 9: the exports, and the one summary line."""
    exports = (
        (config.export_env_variable, remote.reference),
        (EXPORT_IMAGE, remote.image),
        (EXPORT_TAG, remote.tag),
    )
    result = HookResult(
        outcome=done.outcome,
        image=remote.image,
        tag=remote.tag,
        exports=exports,
        seconds=deps.clock() - start,
        built=done.built,
        pushed=done.pushed,
        why=done.why,
        owed=done.owed,
        not_written=not_written,
    )
    deps.log.line(f"ecr-cache: {summary(result)}")
    return result


def summary(result: HookResult) -> str:
    """The one summary line: ``hit (local) host/name:tag in 0.4s``."""
    text = f"{result.outcome.word} ({result.outcome.source}) {result.reference}"
    if result.built and result.not_written:
        text += f", built, not pushed: {result.not_written}"
    elif result.built:
        text += ", built" + (" and pushed" if result.pushed else ", push failed: local image used")
    elif result.owed:
        text += (
            ", pushed (an earlier push from this host had failed)"
            if result.pushed
            else ", push failed again: local image used"
        )
    return f"{text} in {result.seconds:.1f}s"


def _ago(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f} minutes"


def _pending(deps: HookDeps, reference: str) -> PendingPush | None:
    return deps.host.pending_push(reference) if deps.host is not None else None


def _annotate_miss(deps: HookDeps, result: HookResult) -> None:
    line = annotation.miss_line(deps.annotation_job, summary(result), result.why, deps.log.warnings)
    # One style per context whatever a job's warnings: the last writer sets it for all.
    annotation.send(deps.annotator, deps.log, line, style="info", context=deps.annotation_context)


_FAILURES = (
    (BuildError, "the build failed"),
    (LabelMismatch, "the cached image carries an inputs label for other inputs"),
    (DaemonUnreachable, "the Docker daemon is unreachable"),
    (RemoteError, "AWS or the registry failed"),
)


def _annotate_failure(deps: HookDeps, error: Exception) -> None:
    what = next(text for kind, text in _FAILURES if isinstance(error, kind))
    annotation.send(
        deps.annotator,
        deps.log,
        annotation.failure_line(deps.annotation_job, what, str(error)),
        style="error",
        context=deps.annotation_context + annotation.FAILED_SUFFIX,
    )
