"""Fixtures for tests that run against the real services ``scripts/test`` starts.

A test needs the services when it is marked ``@pytest.mark.services`` or uses the ``services``
fixture (directly or through another fixture below; such tests are marked automatically, so
``-m "not services"`` deselects them). Without the services it is skipped on a developer's
machine and *fails* under ``scripts/test`` or in CI (``CI`` set): a service that did not start is
a broken run, never a skip.

Fixtures:

- ``services`` (session): :class:`tests.services.Services`: addresses, CLIs, registry control.
- ``docker_client`` (session): Docker SDK client on the run's dockerd. Shared: do not
  ``login()`` with it (the SDK would remember the credentials); pass ``auth_config=``.
- ``busybox_image`` (session): ``local/busybox:latest``, present in that daemon (no Docker Hub).
- ``moto_reset``: moto's state emptied before the test.
- ``ecr_client``: boto3 ECR client on moto, after ``moto_reset``.
- ``moto_env``: the process environment pointed at moto (``AWS_ENDPOINT_URL_ECR``, fake
  credentials, region), after ``moto_reset``; returns the variables it set.
- ``unique_repo``: ``unique_repo("build-cache")`` gives a fresh repository name for this test.
- ``moto_ecr``: moto's ECR *in-process* (no services): :class:`tests.moto_harness.MotoEcr`,
  the environment pointed at it (the one in-process moto harness).
- ``checkout`` (no services): a checkout holding a ``Dockerfile``, ``docker/ci.Dockerfile`` and
  an ``.npmrc`` (a secret file)
  (``tests/hook/conftest.py`` has the end-to-end one).

In parallel (``scripts/test`` runs four pytest-xdist workers), each worker has a set of services
of its own (``scripts/services.py start --sets N``: its dockerd, plain and auth registries and
moto), chosen in :func:`pytest_configure` (:func:`tests.services.worker_set`): a test that resets
moto, stops the auth registry or lists the daemon's images never races another worker's test.
Whole modules are handed out (their module-scoped fixtures are built once), the longest first,
by how long each took last time (:func:`pytest_xdist_make_scheduler`, :data:`MODULE_SECONDS`).

Every test's output (what pytest captured, and each hook run's) is scanned for moto's token and
the values the test declared secret (:mod:`tests.leaks`): a hit fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests import leaks
from tests.services import Services, ServicesUnavailable, requirement, unique_name, worker_set

if TYPE_CHECKING:
    import docker
    from mypy_boto3_ecr import ECRClient

    from tests.moto_harness import MotoEcr

_RESOLVED = pytest.StashKey["Services | ServicesUnavailable"]()

#: The pytest cache key holding each module's seconds (setup, call and teardown of its tests) in
#: the runs so far: the scheduler hands out the longest modules first, so that no worker is
#: left with a long one at the end while the others idle.
MODULE_SECONDS = "ecr_cache_tui/module-seconds"


def pytest_configure(config: pytest.Config) -> None:
    """Point a pytest-xdist worker at its own set of services (before anything reads them)."""
    try:
        os.environ.update(worker_set(os.environ))
    except ServicesUnavailable as error:
        raise pytest.UsageError(str(error)) from error
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(ModuleTimer(config), "ecr-cache-module-timer")


def _resolve(config: pytest.Config) -> Services | ServicesUnavailable:
    """Read and check the services once per session."""
    if _RESOLVED not in config.stash:
        try:
            found = Services.from_environ(os.environ)
            found.check()
            config.stash[_RESOLVED] = found
        except ServicesUnavailable as error:
            config.stash[_RESOLVED] = error
    return config.stash[_RESOLVED]


def _require(config: pytest.Config) -> Services:
    resolved = _resolve(config)
    if isinstance(resolved, Services):
        return resolved
    if requirement(os.environ) == "required":
        pytest.fail(
            f"the test services are required here but unavailable: {resolved}", pytrace=False
        )
    pytest.skip(f"needs the real services: {resolved}")


def pytest_report_header(config: pytest.Config) -> str:
    if requirement(os.environ) == "optional" and not os.environ.get("DOCKER_HOST"):
        return "services: not started (tests that need them are skipped; use scripts/test)"
    resolved = _resolve(config)
    if isinstance(resolved, ServicesUnavailable):
        return f"services: UNAVAILABLE: {resolved}"
    return (
        f"services: dockerd {resolved.docker_host} ({resolved.storage_driver or '?'}), "
        f"registry {resolved.registry}, auth registry {resolved.auth_registry}, "
        f"moto {resolved.moto_url}"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "services" in fixtures and item.get_closest_marker("services") is None:
            item.add_marker(pytest.mark.services)


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """For ``--dist loadgroup``: each module a unit of work, the longest (last time) first.

    (What ``xdist_group`` markers would do, but pytest-xdist 3.8 cannot rename node ids under
    pytest 9.2, so its group suffix never reaches the scheduler.) A module not timed yet is
    weighed at the mean seconds per test of those that were; with none timed (a fresh clone)
    the modules go in collection order.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    cache = getattr(config, "cache", None)
    seconds: dict[str, float] = dict(cache.get(MODULE_SECONDS, {})) if cache else {}

    class LongestModuleFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            # A module is a unit: its module-scoped fixtures (a virtualenv, a namespaced
            # world) are built once, not once per worker.
            return _module(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            sizes = {module: len(tests) for module, tests in self.workqueue.items()}
            if (module := heaviest(sizes, seconds)) is not None:
                self.workqueue.move_to_end(module, last=False)
            super()._assign_work_unit(node)

    return LongestModuleFirst(config, log)


def heaviest(sizes: dict[str, int], seconds: dict[str, float]) -> str | None:
    """Of the modules waiting (``sizes``: module -> tests), the one that takes longest.

    ``seconds`` is what each took last time; a module not timed yet is weighed at the mean
    seconds per test of the waiting modules that were. None when nothing is timed (keep the
    collection order) or nothing waits.
    """
    known = {module: seconds[module] for module in sizes if module in seconds}
    if not known:
        return None
    per_test = sum(known.values()) / max(1, sum(sizes[module] for module in known))
    return max(sizes, key=lambda module: known.get(module, per_test * sizes[module]))


class ModuleTimer:
    """On the controller (every worker's reports reach it): each module's seconds, kept in the
    pytest cache at the end of the run for the next run's scheduler."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.totals: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        module = _module(report.nodeid)
        self.totals[module] = self.totals.get(module, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or not self.totals:
            return
        known = dict(cache.get(MODULE_SECONDS, {}))
        known.update({module: round(total, 2) for module, total in self.totals.items()})
        cache.set(MODULE_SECONDS, known)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        hits = leaks.leaked([t for title, t in report.sections if title.startswith("Captured")])
        if hits and report.passed:
            report.outcome = "failed"
            report.longrepr = f"leaked into the test's output: {', '.join(hits)}"
    elif report.when == "teardown":
        leaks.clear()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("services") is not None:
        _require(item.config)


@pytest.fixture(scope="session")
def services(pytestconfig: pytest.Config) -> Services:
    return _require(pytestconfig)


@pytest.fixture(scope="session")
def docker_client(services: Services) -> Iterator[docker.DockerClient]:
    import docker

    client = docker.DockerClient(base_url=services.docker_host, timeout=120)
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(services: Services, docker_client: docker.DockerClient) -> str:
    import docker

    try:
        docker_client.images.get(services.busybox_image)
    except docker.errors.ImageNotFound:
        pytest.fail(
            f"{services.busybox_image} is missing from {services.docker_host}", pytrace=False
        )
    return services.busybox_image


@pytest.fixture
def moto_reset(services: Services) -> None:
    services.reset_moto()


@pytest.fixture
def ecr_client(services: Services, moto_reset: None) -> ECRClient:
    import boto3

    return boto3.client(
        "ecr",
        endpoint_url=services.moto_url,
        region_name=services.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
    )


@pytest.fixture
def moto_env(
    services: Services, moto_reset: None, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    env = services.aws_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return env


@pytest.fixture
def moto_ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoEcr]:
    from tests.moto_harness import in_process_ecr

    with in_process_ecr(monkeypatch) as ecr:
        yield ecr


@pytest.fixture
def unique_repo(request: pytest.FixtureRequest) -> Callable[..., str]:
    def make(prefix: str = "t") -> str:
        return unique_name(prefix, request.node.name)

    return make


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker/ci.Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".npmrc").write_text("//registry/:_authToken=x\n")
    return tmp_path
