"""Who writes the cache, end to end: the real shim, dockerd, the registry and moto, each behind a
proxy that records every request (:mod:`tests.faultproxy`).

A build that may not write (a fork's pull request, ``push: false``, a branch outside ``push``)
builds its miss and exports it, and writes nothing: no registry write request, ``latest``
unchanged, no push owed to the host. A reader behind an ECR that refuses every action but the
reader policy's ends a hit, a miss and a missing repository with exit 0 and no refused call
attempted. An image planted under the computed tag with a label for other inputs is never
exported as a hit; an unlabelled one is used with a warning.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.cachekey.inputs import LABEL, InputEntry, Manifest
from ecr_cache_tui.hook.annotation import markdown_text
from tests.faultproxy import FaultProxy
from tests.hook.hookrun import Agent, ok
from tests.hook.proxied import ProxiedJob
from tests.services import ECR_PASSWORD, ECR_USER, Services

pytestmark = pytest.mark.services

DOCKERFILE = "FROM local/busybox\nCOPY package.json /p.json\n"
OWN_REPO = "git@github.com:acme/web.git"
#: What the reader policy of the README allows (the ECR action is the X-Amz-Target header).
READER_ACTIONS = (
    "GetAuthorizationToken",
    "BatchGetImage",
    "GetDownloadUrlForLayer",
    "BatchCheckLayerAvailability",
    "DescribeImages",
    "DescribeRepositories",
)
DENIED = rf"^POST / (?!(?:{'|'.join(READER_ACTIONS)})$)"
ACCESS_DENIED = (
    b'{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/'
    b'reader is not authorized to perform this action"}'
)
#: Requests that write to a registry (uploads, manifests, deletes).
REGISTRY_WRITES = r"^(PUT|POST|PATCH|DELETE) "


class Job(ProxiedJob):
    """A writer's or reader's job: its own repository remote and branch, and a
    ``buildkite-agent`` on PATH that records each annotation."""

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "BUILDKITE_REPO": OWN_REPO,
            "BUILDKITE_BRANCH": "main",
            "BUILDKITE_PULL_REQUEST_REPO": "",
            "PATH": f"{self.checkout.parent / 'bin'}:{self.agent.environment({}, 'x')['PATH']}",
        }

    def pending_pushes(self) -> list[str]:
        where = self.agent.home / ".local" / "state" / "ecr-cache-tui" / "pending-pushes"
        return sorted(p.name for p in where.iterdir()) if where.exists() else []

    def annotations(self) -> str:
        where = self.checkout.parent / "annotations"
        return "".join(p.read_text() for p in sorted(where.iterdir())) if where.exists() else ""

    def plant(self, tag: str, label: str | None, *, push: bool) -> None:
        """An image under ``tag`` that was not built from these inputs (``label`` on it)."""
        self.docker.images.build(
            fileobj=io.BytesIO(b"FROM local/busybox\nRUN echo planted > /planted\n"),
            tag=f"{self.image}:{tag}",
            labels={LABEL: label} if label is not None else {},
            network_mode="host",
            rm=True,
        )
        if push:
            for line in self.docker.api.push(
                self.image,
                tag=tag,
                stream=True,
                decode=True,
                auth_config={"username": ECR_USER, "password": ECR_PASSWORD},
            ):
                assert "error" not in line, line
            self.forget_local(tag)

    def local_label(self, tag: str) -> str | None:
        labels = self.docker.images.get(f"{self.image}:{tag}").labels or {}
        return labels.get(LABEL)


@pytest.fixture
def job(
    services: Services,
    agent: Agent,
    checkout: Path,
    pipeline: str,
    tmp_path: Path,
    docker_client: Any,
) -> Iterator[Job]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "annotations").mkdir()
    fake = bin_dir / "buildkite-agent"
    # Records each annotation's body (its stdin).
    fake.write_text(f'#!/bin/bash\ncat >>"{tmp_path}/annotations/$$"\n')
    fake.chmod(0o755)
    with FaultProxy(services.moto_url) as ecr, FaultProxy(services.auth_registry) as registry:
        job = Job(agent, ecr, registry, checkout, pipeline, docker_client)
        yield job
        for tag in ("latest",):
            job.forget_local(tag)


# --- builds that may not write -----------------------------------------------------------------

READERS = [
    pytest.param(
        {},
        {"BUILDKITE_PULL_REQUEST_REPO": "https://github.com/mallory/web.git"},
        'a pull request from a fork ("github.com/mallory/web") and push-from-forks is false',
        id="fork",
    ),
    pytest.param({"push": False}, {}, "push is false", id="push-false"),
    pytest.param(
        {"push": ["main", "release/*"]},
        {"BUILDKITE_BRANCH": "feature/x"},
        'branch "feature/x" is not in push (["main", "release/*"])',
        id="branch-outside-push",
    ),
]


@pytest.mark.parametrize(("options", "env", "reason"), READERS)
def test_a_build_that_may_not_write_builds_its_miss_and_writes_nothing(
    job: Job, options: dict[str, Any], env: dict[str, str], reason: str
) -> None:
    first = ok(job.run())  # a trusted build: the repository, its policy and latest exist
    assert "built and pushed" in first.output
    latest = job.digest("latest")
    assert latest is not None
    (job.checkout / "package.json").write_text('{"v": 2}\n')
    registry_before, ecr_before = len(job.registry.seen), len(job.ecr.seen)

    run = ok(job.run(job.config(**options), **env))

    assert run.tag != first.tag and run.reference == f"{job.image}:{run.tag}"
    assert Manifest.from_label(job.local_label(run.tag) or "").tag == run.tag  # built here
    line = f"this build does not write the cache: {reason}"
    assert run.output.count(line) >= 1, run.output
    assert markdown_text(line) in job.annotations()  # as the build page shows it: inert Markdown
    writes = [s.line for s in job.registry.seen[registry_before:] if s.line.split()[0] != "GET"]
    assert [w for w in writes if not w.startswith("HEAD ")] == []  # no PUT, POST, PATCH, DELETE
    assert job.digest(run.tag) is None and job.digest("latest") == latest
    ecr_calls = {s.line.split()[-1] for s in job.ecr.seen[ecr_before:]}
    assert ecr_calls <= set(READER_ACTIONS), ecr_calls
    assert job.pending_pushes() == []


def test_push_from_forks_lets_a_fork_write(job: Job) -> None:
    fork = {"BUILDKITE_PULL_REQUEST_REPO": "https://github.com/mallory/web.git"}
    run = ok(job.run(job.config(**{"push-from-forks": True}), **fork))
    assert "built and pushed" in run.output and job.digest(run.tag) is not None


def test_a_pull_request_from_the_same_repository_writes(job: Job) -> None:
    same = {"BUILDKITE_PULL_REQUEST_REPO": "https://GitHub.com/acme/web/"}
    run = ok(job.run(**same))
    assert "does not write the cache" not in run.output
    assert job.digest(run.tag) is not None


# --- a reader whose credentials allow only the reader policy -----------------------------------


def deny_writes(job: Job) -> None:
    job.ecr.respond(
        DENIED,
        400,
        ACCESS_DENIED,
        {"Content-Type": "application/x-amz-json-1.1"},
        times=None,
    )


def test_a_reader_hits_misses_and_finds_no_repository_with_reader_calls_only(job: Job) -> None:
    deny_writes(job)
    reader = job.config(push=False)

    missing = ok(job.run(reader))  # no repository at all: a miss, built, used locally
    assert "does not exist; this build does not create it" in missing.output
    assert missing.exported and job.local_label(missing.tag) is not None

    job.ecr.clear()
    job.forget_local(missing.tag)
    assert "built and pushed" in ok(job.run()).output  # a trusted build: repository and tag
    deny_writes(job)
    job.forget_local(missing.tag, "latest")
    pulled = ok(job.run(reader))
    assert "ecr-cache: hit (pulled)" in pulled.output
    local = ok(job.run(reader))
    assert "ecr-cache: hit (local)" in local.output

    (job.checkout / "package.json").write_text('{"v": 3}\n')
    miss = ok(job.run(reader))
    assert "ecr-cache: miss" in miss.output and miss.exported

    assert [s.line for s in job.ecr.seen if s.fault == "respond"] == []  # nothing refused tried


# --- the label check of every hit --------------------------------------------------------------


def computed(job: Job, **options: Any) -> Manifest:
    """The manifest these inputs compute (a reader run builds it locally; then it is forgotten)."""
    run = ok(job.run(job.config(push=False, **options)))
    manifest = Manifest.from_label(job.local_label(run.tag) or "")
    assert manifest.tag == run.tag
    job.forget_local(run.tag)
    return manifest


def other_inputs(manifest: Manifest, **changes: str) -> str:
    """``manifest``'s label with ``package.json`` (or the entries named) changed."""
    changes = changes or {"package.json": "digest"}
    entries = []
    for entry in manifest.entries:
        if entry.name in changes and changes[entry.name] == "digest":
            entry = InputEntry(entry.kind, entry.name, "f" * 32, entry.files, entry.note)
        elif entry.name in changes:
            entry = InputEntry(entry.kind, entry.name, "e" * 32, value=changes[entry.name])
        entries.append(entry)
    return Manifest(manifest.tag, tuple(entries)).to_label()


@pytest.mark.parametrize("pushed", [False, True], ids=["local", "pulled"])
def test_a_planted_image_for_other_inputs_is_rebuilt_and_pushed_over(
    job: Job, pushed: bool
) -> None:
    manifest = computed(job)
    tag = manifest.tag
    ok(job.run(job.config(**{"push-latest": False})))  # the repository and the tag exist
    job.forget_local(tag)
    job.plant(tag, other_inputs(manifest), push=pushed)

    run = ok(job.run())

    first = f"package.json: {'f' * 16} -> "
    line = f"{job.image}:{tag} carries an inputs label for other inputs: {first}"
    assert line in run.output and "verify-label is rebuild: built again" in run.output
    assert "ecr-cache: miss (mismatch)" in run.output and "built and pushed" in run.output
    assert job.local_label(tag) == manifest.to_label()
    assert job.client().image_labels(job.name, tag)[LABEL] == manifest.to_label()


def test_a_reader_rebuilds_a_planted_image_locally_and_pushes_nothing(job: Job) -> None:
    manifest = computed(job)
    tag = manifest.tag
    ok(job.run(job.config(**{"push-latest": False})))
    job.forget_local(tag)
    job.plant(tag, other_inputs(manifest), push=True)
    planted = job.digest(tag)
    before = len(job.registry.seen)

    run = ok(job.run(job.config(push=False)))

    assert "ecr-cache: miss (mismatch)" in run.output
    assert job.local_label(tag) == manifest.to_label()
    assert job.digest(tag) == planted
    assert job.registry.count(REGISTRY_WRITES) == sum(
        1 for s in job.registry.seen[:before] if s.line.split()[0] in ("PUT", "POST", "PATCH")
    )


def test_fail_ends_the_job_with_exit_3_and_exports_nothing(job: Job) -> None:
    manifest = computed(job)
    job.plant(manifest.tag, other_inputs(manifest), push=False)

    run = job.run(job.config(**{"verify-label": "fail"}))

    assert run.rc == 3, run.output
    assert run.exported == {}
    assert "Traceback" not in run.output
    assert f"{job.image}:{manifest.tag} carries an inputs label for other inputs" in run.output
    assert "verify-label is fail" in run.output


def test_warn_uses_the_planted_image_with_one_warning(job: Job) -> None:
    manifest = computed(job)
    job.plant(manifest.tag, other_inputs(manifest), push=False)

    run = ok(job.run(job.config(**{"verify-label": "warn"})))

    assert "ecr-cache: hit (local)" in run.output
    assert run.output.count("verify-label is warn: used as it is") == 1
    assert job.local_label(manifest.tag) == other_inputs(manifest)


def test_an_unlabelled_image_is_used_with_one_warning(job: Job) -> None:
    manifest = computed(job)
    job.plant(manifest.tag, None, push=False)

    run = ok(job.run())

    assert "ecr-cache: hit (local)" in run.output
    assert run.output.count("carries no inputs label") == 1
    assert job.local_label(manifest.tag) is None


def test_a_hostile_label_reaches_the_log_escaped(job: Job) -> None:
    manifest = computed(job, **{"build-args": ["MODE=prod"]})
    hostile = other_inputs(manifest, MODE="\x1b]0;PWNED\x07<img src=x>")
    job.plant(manifest.tag, hostile, push=False)

    run = ok(job.run(job.config(**{"build-args": ["MODE=prod"]})))

    assert "\x1b]0;PWNED" not in run.output
    assert "build arg MODE: '\\x1b]0;PWNED\\x07<img src=x>' -> 'prod'" in run.output
