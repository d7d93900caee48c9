"""The pre-command hook, step by step (SPEC §4), with every collaborator injected.

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

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from ecr_cache_tui.cachekey.inputs import LABEL, Manifest, describe_changes, diff
from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.config.parse import check_registry_hostname
from ecr_cache_tui.errors import (
    BuildError,
    ConfigError,
    DaemonUnreachable,
    RemoteError,
    RepositoryNotFound,
    TagNotFound,
    Throttled,
    Unavailable,
)
from ecr_cache_tui.hook import annotation
from ecr_cache_tui.hook.build import build_args
from ecr_cache_tui.hook.decision import (
    ECR_RETRY,
    Outcome,
    RetryPolicy,
    decide,
    retry,
)
from ecr_cache_tui.hook.exports import validate_target
from ecr_cache_tui.hook.host import (
    BUILD_WAIT_SECONDS,
    ensured_record,
    is_fresh,
    repository_key,
    wait_for_build_lock,
)
from ecr_cache_tui.hook.log import HookLog, ProgressCollapser
from ecr_cache_tui.hook.login import Login
from ecr_cache_tui.hook.records import PendingPush
from ecr_cache_tui.hook.repository import ensure_policy, ensure_repository

if TYPE_CHECKING:  # a local hit never imports ecr_cache_tui.model (see hook.records)
    from ecr_cache_tui.hook.records import EnsuredRecord
    from ecr_cache_tui.model import Credentials
    from ecr_cache_tui.ports import (
        Annotator,
        Builder,
        BuildLock,
        EcrApi,
        EngineApi,
        HostStateApi,
        RegistryApi,
    )

__all__ = [
    "EXPORT_IMAGE",
    "EXPORT_TAG",
    "ChecksumResultLike",
    "HookDeps",
    "HookResult",
    "run_pre_command",
]

EXPORT_IMAGE = "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_IMAGE"
EXPORT_TAG = "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG"
LATEST = "latest"

T = TypeVar("T")


class ChecksumResultLike(Protocol):
    """What :func:`ecr_cache_tui.cachekey.checksum.compute` returns."""

    @property
    def manifest(self) -> Manifest: ...

    @property
    def warnings(self) -> tuple[str, ...] | list[str]: ...


@dataclass(frozen=True)
class HookDeps:
    """The hook's collaborators.

    Attributes:
        engine: the Docker daemon.
        builder: the ``docker`` CLI.
        registry: makes a registry client for ``(host, login)``.
        ecr: ECR's control plane; ``None`` for ``registry-provider: oci``.
        stored_login: a login the user's Docker config has for a host (credential helpers
            only, for ECR; ``auths`` too, for OCI), or ``None``.
        checksum: :func:`ecr_cache_tui.cachekey.checksum.compute`.
        log: the job log.
        clock: monotonic seconds.
        sleep: waits between retries.
        annotator: Buildkite annotations, or ``None`` when there is no agent.
        annotation_context: the step's annotation context (:mod:`ecr_cache_tui.hook.annotation`).
        annotation_job: how an annotation line names this job (``job 4/50``).
        retry: retry policy for registry reads and pulls.
        ecr_retry: retry policy for ECR steps (throttling, 5xx).
        tempdir: where an inline Dockerfile is written.
        host: what this host remembers (ensured repositories, owed pushes, build locks);
            ``None``: nothing (every job checks the repository, none waits for another).
        wall_clock: epoch seconds, for the host's records.
        build_wait: the longest wait for another job on the host building the same tag.
    """

    engine: EngineApi
    builder: Builder
    registry: Callable[[str, Credentials | None], RegistryApi]
    ecr: EcrApi | None
    stored_login: Callable[[str, bool], Credentials | None]
    checksum: Callable[..., ChecksumResultLike]
    log: HookLog
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    annotator: Annotator | None = None
    annotation_context: str = "ecr-cache"
    annotation_job: str = "job"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    ecr_retry: RetryPolicy = ECR_RETRY
    tempdir: Path | None = None
    host: HostStateApi | None = None
    wall_clock: Callable[[], float] = time.time
    build_wait: float = BUILD_WAIT_SECONDS


@dataclass(frozen=True)
class HookResult:
    """What the hook did.

    Attributes:
        outcome: hit or miss, and from where.
        image: the repository reference, ``host/name``.
        tag: the checksum tag.
        exports: the variables to export, in order.
        seconds: how long the hook took.
        built: whether an image was built.
        pushed: whether the built image (or, on a hit, an owed one) reached the registry.
        why: on a miss, which inputs changed against ``latest`` (or why that is unknown).
        owed: a hit whose earlier push from this host had failed: it was pushed again.
    """

    outcome: Outcome
    image: str
    tag: str
    exports: tuple[tuple[str, str], ...]
    seconds: float
    built: bool = False
    pushed: bool = False
    why: str = ""
    owed: bool = False

    @property
    def reference(self) -> str:
        """``image:tag``."""
        return f"{self.image}:{self.tag}"


def register_secrets(config: PluginConfig, env: Mapping[str, str], log: HookLog) -> None:
    """Mask every value the log must never show: env build args, unhashed args, secrets."""
    for arg in config.build_args:
        if arg.from_env:
            log.secret(f"build arg {arg.name}", arg.value)
    for arg in config.unhashed_build_args:
        log.secret(f"unhashed build arg {arg.name}", arg.value)
    for secret in config.secrets:
        for part in secret.spec.split(","):
            key, _, value = part.partition("=")
            if key.strip() == "env":
                log.secret(f"secret {secret.id} (from {value.strip()})", env.get(value.strip()))


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
    log = deps.log
    start = deps.clock()
    register_secrets(config, env, log)
    validate_target(config.export_env_variable)
    if config.secrets and not deps.builder.has_buildkit():
        raise ConfigError(
            f"secrets: {config.secrets[0].id!r} needs BuildKit, which the docker CLI here lacks "
            "(install docker buildx, or unset DOCKER_BUILDKIT=0)",
            option="secrets",
        )
    check_registry_hostname(config.registry_provider, config.registry_hostname)

    # Step 2: the checksum and its inputs, collapsed.
    platform = config.platform or deps.engine.platform()
    computed = deps.checksum(config, checkout, platform=platform)
    manifest = computed.manifest
    tag = manifest.tag
    log.quiet_group(f":docker: ecr-cache: inputs of tag {tag} ({platform})")
    for line in manifest.render():
        log.line(line)
    for warning in computed.warnings:
        log.warn(warning)

    # Steps 3-5: repository, lifecycle policy, login. Skipped when this host ensured the
    # repository recently and the daemon has the image (a hit with no network call at all).
    recent = _recently_ensured(config, deps)
    local = False
    if recent is not None:
        host, registry_id = _remote_of(config, recent)
        local = (
            not config.force_rebuild
            and _pending(deps, f"{host}/{config.ecr_name}:{tag}") is None
            and deps.engine.image_exists(f"{host}/{config.ecr_name}:{tag}")
        )
    if not local:
        host, registry_id = _ensure_remote(config, deps)
    image = f"{host}/{config.ecr_name}"
    reference = f"{image}:{tag}"
    # The login (an ECR token: one AWS call) is fetched only when the registry is first
    # needed, so a hit on an image the daemon already has makes no GetAuthorizationToken call.
    login = Login(
        lambda: _ecr_step(
            deps, "get the registry login", lambda: _login(config, deps, host, registry_id)
        ),
        renewable=_is_ecr(config, deps),
        say=log.info,
    )
    clients: dict[Credentials | None, RegistryApi] = {}

    def registry(credentials: Credentials | None) -> RegistryApi:
        if credentials not in clients:
            clients[credentials] = deps.registry(host, credentials)
        return clients[credentials]

    # Step 6: hit or miss.
    log.group(f":docker: ecr-cache: looking for {reference}")
    collapse = ProgressCollapser(log.line, deps.clock)
    outcome = decide(
        force=config.force_rebuild,
        skip_pull=config.skip_pull_from_cache,
        in_daemon=lambda: local or deps.engine.image_exists(reference),
        tag_exists=lambda: login.authorized(
            "cache check", lambda c: registry(c).manifest_exists(config.ecr_name, tag)
        ),
        pull=lambda: login.authorized(
            "pull",
            lambda c: deps.engine.pull(
                image, tag, c, platform=config.platform, on_progress=collapse
            ),
        ),
        policy=deps.retry,
        sleep=deps.sleep,
        warn=log.warn,
        on_retry=lambda what, attempt: log.info(attempt.describe(what)),
        clock=deps.clock,
    )
    log.info(f"{outcome.word} ({outcome.source})")
    if local and recent is not None:
        log.info(
            f"repository and policy not asked again: this host ensured them "
            f"{_ago(deps.wall_clock() - recent.ensured_at)} ago"
        )

    built = pushed = False
    why = ""
    lock: BuildLock | None = None
    try:
        if not outcome.hit and outcome.source != "forced":
            # One build per host: wait for a job of this host that builds the same tag. Under
            # the lock the daemon is asked again, even without a wait: the job that built it may
            # have let go between this job's registry check and its try of the lock.
            lock, waited = _build_lock(deps, reference)
            if deps.host is not None and deps.engine.image_exists(reference):
                outcome = Outcome(hit=True, source="local", detail="built by another job here")
                by = "the job this one waited for" if waited else "another job on this host"
                log.info(f"{outcome.word} ({outcome.source}): built by {by}")
        if not outcome.hit:
            login.get()  # no login at all is exit 3 here, before building what cannot be pushed
            why = _why(
                config,
                deps,
                login=login,
                registry=registry,
                manifest=manifest,
                platform=platform,
                outcome=outcome,
            )
            log.info(f"why: {why}")
            cache_from = _cache_from(config, deps, image=image, login=login, outcome=outcome)
            _build(
                config,
                checkout,
                deps,
                reference=reference,
                manifest=manifest,
                cache_from=cache_from,
                outcome=outcome,
            )
            built = True
            pushed = _push(config, deps, image=image, tag=tag, reference=reference, login=login)
    finally:
        if lock is not None:
            lock.release()
    owed = outcome.hit and outcome.source == "local" and _pending(deps, reference) is not None
    if owed:
        # A cache that heals: the push that failed on this host earlier is made now.
        log.info("an earlier push of this tag from this host failed: pushing it now")
        pushed = _push(config, deps, image=image, tag=tag, reference=reference, login=login)

    exports = (
        (config.export_env_variable, reference),
        (EXPORT_IMAGE, image),
        (EXPORT_TAG, tag),
    )
    result = HookResult(
        outcome=outcome,
        image=image,
        tag=tag,
        exports=exports,
        seconds=deps.clock() - start,
        built=built,
        pushed=pushed,
        why=why,
        owed=owed,
    )
    log.line(f"ecr-cache: {summary(result)}")
    return result


def summary(result: HookResult) -> str:
    """The one summary line: ``hit (local) host/name:tag in 0.4s``."""
    text = f"{result.outcome.word} ({result.outcome.source}) {result.reference}"
    if result.built:
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


def _recently_ensured(config: PluginConfig, deps: HookDeps) -> EnsuredRecord | None:
    """The host's record of ``config``'s repository, when it is fresh enough to skip steps 3-4."""
    if config.registry_provider != "ecr" or deps.ecr is None or deps.host is None:
        return None
    record = deps.host.ensured(repository_key(config))
    return record if is_fresh(record, config, now=deps.wall_clock()) else None


def _remote_of(config: PluginConfig, record: EnsuredRecord) -> tuple[str, str | None]:
    return config.registry_hostname or record.host, record.registry_id or config.account_id


def _pending(deps: HookDeps, reference: str) -> PendingPush | None:
    return deps.host.pending_push(reference) if deps.host is not None else None


def _build_lock(deps: HookDeps, reference: str) -> tuple[BuildLock | None, bool]:
    if deps.host is None:
        return None, False
    return wait_for_build_lock(
        deps.host,
        reference,
        bound=deps.build_wait,
        clock=deps.clock,
        sleep=deps.sleep,
        info=deps.log.info,
        warn=deps.log.warn,
    )


def _ensure_remote(config: PluginConfig, deps: HookDeps) -> tuple[str, str | None]:
    """Steps 3-4 for ECR; nothing for a plain OCI registry. Returns (host, registry id)."""
    if config.registry_provider == "oci" or deps.ecr is None:
        assert config.registry_hostname is not None
        return config.registry_hostname, None
    deps.log.group(f":ecr: ecr-cache: repository {config.ecr_name} ({config.region})")
    ecr = deps.ecr
    repo, created = _ecr_step(
        deps, "ensure the repository", lambda: ensure_repository(ecr, config, deps.log)
    )
    _ecr_step(
        deps, "lifecycle policy", lambda: ensure_policy(ecr, config, deps.log, created=created)
    )
    registry_id = repo.registry_id or config.account_id
    if deps.host is not None:
        deps.host.save_ensured(
            ensured_record(config, host=repo.host, registry_id=registry_id, now=deps.wall_clock())
        )
    return config.registry_hostname or repo.host, registry_id


def _ecr_step(deps: HookDeps, what: str, action: Callable[[], T]) -> T:
    """One ECR step, retried on throttling and 5xx within ``deps.ecr_retry``'s budget.

    botocore retries each call a few times itself first; these are the hook's retries of the
    whole (idempotent) step, each one logged.
    """
    return retry(
        action,
        deps.ecr_retry,
        deps.sleep,
        lambda attempt: deps.log.info(attempt.describe(what)),
        clock=deps.clock,
        retry_on=(Throttled, Unavailable),
    )


def _is_ecr(config: PluginConfig, deps: HookDeps) -> bool:
    return config.registry_provider == "ecr" and deps.ecr is not None


def _login(
    config: PluginConfig, deps: HookDeps, host: str, registry_id: str | None
) -> Credentials | None:
    """Step 5: a credential helper that serves ``host``, else (ECR) an authorization token."""
    from ecr_cache_tui.model import Credentials  # noqa: PLC0415

    is_ecr = _is_ecr(config, deps)
    login = deps.stored_login(host, is_ecr)
    if login is None and is_ecr:
        assert deps.ecr is not None
        auth = deps.ecr.authorization(registry_id)
        login = Credentials(auth.username, auth.password)
    if login is not None:
        deps.log.redactor.add_login(login.username, login.password)
    return login


def _why(
    config: PluginConfig,
    deps: HookDeps,
    *,
    login: Login,
    registry: Callable[[Credentials | None], RegistryApi],
    manifest: Manifest,
    platform: str,
    outcome: Outcome,
) -> str:
    """Which inputs changed against ``latest``'s label (SPEC: "on a miss, say why")."""
    if outcome.source == "forced":
        return "force-rebuild is on"
    try:
        labels = login.authorized(
            "label read",
            lambda c: registry(c).image_labels(config.ecr_name, LATEST, platform=platform),
        )
    except RemoteError as exc:
        return f"no previous image to compare with ({type(exc).__name__})"
    text = labels.get(LABEL)
    if not text:
        return "latest carries no inputs manifest to compare with"
    try:
        previous = Manifest.from_label(text)
    except ValueError:
        return "latest's inputs manifest is unreadable"
    return describe_changes(diff(previous, manifest))


def _cache_from(
    config: PluginConfig,
    deps: HookDeps,
    *,
    image: str,
    login: Login,
    outcome: Outcome,
) -> str | None:
    """Pull ``latest`` so the build can reuse its layers; ``None`` when off or unavailable."""
    if not config.cache_from or outcome.source == "forced":
        return None
    deps.log.group(f":docker: ecr-cache: pulling {image}:{LATEST} for --cache-from")
    collapse = ProgressCollapser(deps.log.line, deps.clock)
    try:
        retry(
            lambda: login.authorized(
                "pull",
                lambda c: deps.engine.pull(
                    image, LATEST, c, platform=config.platform, on_progress=collapse
                ),
            ),
            deps.retry,
            deps.sleep,
            lambda attempt: deps.log.info(attempt.describe(f"pull {image}:{LATEST}")),
            clock=deps.clock,
        )
    except (TagNotFound, RepositoryNotFound):
        deps.log.info("no latest image yet: building without --cache-from")
        return None
    except RemoteError as exc:
        deps.log.warn(f"cannot pull {image}:{LATEST} for --cache-from ({exc})")
        return None
    return f"{image}:{LATEST}"


def _build(
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
    import tempfile  # noqa: PLC0415  (a build only: a local hit does not pay for it)

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
        )
        builder = "BuildKit" if buildkit else "legacy builder"
        log.group(f":docker: ecr-cache: building {reference} ({builder})")
        try:
            deps.builder.build(args, buildkit=buildkit, on_line=log.line)
        except BuildError as exc:
            log.line(f"ecr-cache: build failed: {exc}")
            log.expand_previous()
            raise


def _push(
    config: PluginConfig,
    deps: HookDeps,
    *,
    image: str,
    tag: str,
    reference: str,
    login: Login,
) -> bool:
    """Step 8: push the tag (and ``latest``); a failure is a warning, the local image is used.

    The host remembers a failed (or cancelled) push (the next local hit of the tag makes it)
    and forgets it once a push succeeds. Not retried here: the daemon retries each layer upload
    itself (up to five times, waiting longer each time), and a refused login gets one fresh
    token (:meth:`Login.authorized`).
    """
    log = deps.log
    tags = [tag]
    if config.push_latest:
        deps.engine.tag(reference, image, LATEST)
        tags.append(LATEST)
    log.group(f":docker: ecr-cache: pushing {image} ({', '.join(tags)})")
    for name in tags:
        collapse = ProgressCollapser(log.line, deps.clock)

        def push(
            credentials: Credentials | None,
            name: str = name,
            collapse: ProgressCollapser = collapse,
        ) -> None:
            deps.engine.push(image, name, credentials, on_progress=collapse)

        try:
            login.authorized(f"push {image}:{name}", push)
        except RemoteError as exc:
            log.warn(
                f"push of {image}:{name} failed ({exc}); the step goes on with the local image"
            )
            _owe_push(config, deps, reference, str(exc))
            return False
        except BaseException:  # cancelled (SIGTERM): nothing more is pushed, the next job will
            _owe_push(config, deps, reference, "cancelled")
            raise
    if deps.host is not None:
        deps.host.clear_pending_push(reference)
    return True


def _owe_push(config: PluginConfig, deps: HookDeps, reference: str, why: str) -> None:
    if deps.host is not None:
        deps.host.save_pending_push(
            PendingPush(reference, config.push_latest, deps.wall_clock(), why)
        )


def _annotate_miss(deps: HookDeps, result: HookResult) -> None:
    line = annotation.miss_line(deps.annotation_job, summary(result), result.why, deps.log.warnings)
    # One style per context whatever a job's warnings: the last writer sets it for all.
    annotation.send(deps.annotator, deps.log, line, style="info", context=deps.annotation_context)


_FAILURES = (
    (BuildError, "the build failed"),
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
