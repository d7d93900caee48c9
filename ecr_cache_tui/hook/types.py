"""The hook's types: what the flow (:mod:`ecr_cache_tui.hook.flow`) is given and what it returns.

* :class:`HookDeps`: every collaborator, injected (the composition module makes the real ones,
  the tests in-memory fakes or the real services);
* :class:`HookResult`: what one run did, for the summary line, the annotation and the exports;
* :class:`ChecksumResultLike`: what the checksum function hands back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ecr_cache_tui.cachekey.inputs import Manifest
from ecr_cache_tui.config.settings import DEFAULT_BUILD_WAIT
from ecr_cache_tui.hook.decision import ECR_RETRY, Outcome, RetryPolicy
from ecr_cache_tui.hook.log import HookLog
from ecr_cache_tui.records import Record

if TYPE_CHECKING:  # a local hit never imports ecr_cache_tui.model (see host_records)
    from ecr_cache_tui import ports
    from ecr_cache_tui.model import Credentials

    # For the type checker only: a Protocol class costs ~0.2 ms to make at import.
    class ChecksumResultLike(Protocol):
        """What :func:`ecr_cache_tui.cachekey.checksum.compute` returns."""

        @property
        def manifest(self) -> Manifest: ...

        @property
        def warnings(self) -> tuple[str, ...] | list[str]: ...


__all__ = ["ChecksumResultLike", "HookDeps", "HookResult"]


class HookDeps(Record):
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
        base_images: makes the resolver of base-image digests (``base-image-digests``), asked
            only when a digest is not on the host's record; ``None``: none can be resolved.
    """

    engine: ports.EngineApi
    builder: ports.Builder
    registry: Callable[[str, Credentials | None], ports.RegistryApi]
    ecr: ports.EcrApi | None
    stored_login: Callable[[str, bool], Credentials | None]
    checksum: Callable[..., ChecksumResultLike]
    log: HookLog
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    annotator: ports.Annotator | None = None
    annotation_context: str = "ecr-cache"
    annotation_job: str = "job"
    retry: RetryPolicy = RetryPolicy()
    ecr_retry: RetryPolicy = ECR_RETRY
    tempdir: Path | None = None
    host: ports.HostStateApi | None = None
    wall_clock: Callable[[], float] = time.time
    build_wait: float = DEFAULT_BUILD_WAIT
    base_images: Callable[[], ports.BaseImageResolver] | None = None


class HookResult(Record):
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
        not_written: the line saying why this build does not write the cache (empty: it may).
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
    not_written: str = ""

    @property
    def reference(self) -> str:
        """``image:tag``."""
        return f"{self.image}:{self.tag}"
