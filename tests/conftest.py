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

In parallel (``scripts/test`` runs two pytest-xdist workers, all on the one set of services),
a test that resets moto, or stops the auth registry, would pull the ground from under another
worker's test. The modules holding those tests, and every module that needs moto's or the auth
registry's state to hold still, are :data:`SHARED_STATE_MODULES`: one worker runs all their
tests one after another while the others share out everything else, module by module
(:func:`pytest_xdist_make_scheduler`). A test that uses ``moto_reset`` outside those modules
fails the collection, so a new one cannot race silently.

Every test's output (what pytest captured, and each hook run's) is scanned for moto's token and
the values the test declared secret (:mod:`tests.leaks`): a hit fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests import leaks
from tests.services import Services, ServicesUnavailable, requirement, unique_name

if TYPE_CHECKING:
    import docker
    from mypy_boto3_ecr import ECRClient

    from tests.moto_harness import MotoEcr

_RESOLVED = pytest.StashKey["Services | ServicesUnavailable"]()

#: Modules (or single tests, ``module::name``) that reset moto (``moto_reset``) or use the auth
#: registry, which some stop (``Services.registry_stopped``): under xdist they run on one
#: worker, one after another. (Single tests here would split their module in two.)
SHARED_STATE_MODULES = frozenset(
    {
        "tests/adapters/test_engine.py",
        "tests/adapters/test_registry.py",
        "tests/commands/test_diff.py",
        "tests/commands/test_rebuild_here.py",
        "tests/harness/test_services_real.py",
        "tests/hook/test_agents.py",
        "tests/hook/test_cancel.py",
        "tests/hook/test_e2e.py",
        "tests/hook/test_faults.py",
        "tests/hook/test_host_e2e.py",
        "tests/hook/test_load.py",
        "tests/hook/test_shim_bootstrap.py",
        "tests/reliability/test_cli_streams.py",
        "tests/reliability/test_shim_inputs.py",
        "tests/tui/test_e2e.py",
    }
)


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
    racing = set()
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "services" in fixtures and item.get_closest_marker("services") is None:
            item.add_marker(pytest.mark.services)
        if "moto_reset" in fixtures and not shares_state(item.nodeid):
            racing.add(item.nodeid.split("[", 1)[0])
    if racing:
        raise pytest.UsageError(
            f"{', '.join(sorted(racing))}: reset moto but are not in tests/conftest.py's "
            "SHARED_STATE_MODULES (it would race the other xdist workers)"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """For ``--dist loadgroup``: each module a unit of work, the shared-state modules one.

    (What ``xdist_group`` markers would do, but pytest-xdist 3.8 cannot rename node ids under
    pytest 9.2, so its group suffix never reaches the scheduler.)
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedStateScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            # A module is a unit too: its module-scoped fixtures (a virtualenv, a namespaced
            # world) are built once, not once per worker.
            return "shared-state" if shares_state(nodeid) else nodeid.split("::", 1)[0]

    return SharedStateScheduling(config, log)


def shares_state(nodeid: str) -> bool:
    """Whether the test ``nodeid`` is one of :data:`SHARED_STATE_MODULES`'s."""
    module, _, name = nodeid.partition("::")
    test = f"{module}::{name.split('[', 1)[0]}"
    return module in SHARED_STATE_MODULES or test in SHARED_STATE_MODULES


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
