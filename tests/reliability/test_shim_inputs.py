"""Hostile input through the real hook: exit 2, one line, no AWS call, no daemon event.

``hooks/pre-command`` is sourced as the agent sources it (:mod:`tests.hook.hookrun`), with AWS
behind a counting proxy in front of moto (:mod:`tests.reliability.awsproxy`) and the daemon's
event stream read from just before to just after each run. Every bad-input case must stop
before the first side effect: no ``DescribeRepositories``, no ``CreateRepository``, no
``PutLifecyclePolicy``, no ``GetAuthorizationToken``, no pull, no build. Then about a hundred
generated configurations (``strategies.py``) go the same way: whatever they hold, the hook ends
with 0 (a hit or a build), 1 (the build failed), 2 (as above) or 3, and never a traceback.
Every run's output is scanned for the token and the build-arg values (``tests/leaks.py``).
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ecr_cache_tui.cachekey.inputs import LABEL
from tests import leaks
from tests.hook.hookrun import Agent, HookRun
from tests.labelled_push import Pusher
from tests.reliability.awsproxy import CountingProxy
from tests.reliability.conftest import Figures
from tests.reliability.strategies import configurations, flattened
from tests.services import Services, write_context

pytestmark = pytest.mark.services

PIPELINE = "reliability"
NODE_ENV_VALUE = "node-env-secret-4567"
CERT_LINES = ("-----BEGIN CERT-----", "MIIBszCCAVmgAwIBAgIUZ2V0IHRoaXM", "-----END CERT-----")
PRINTABLE = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]*")


@dataclass
class Rig:
    """The hook on the real services, AWS through a counting proxy."""

    agent: Agent
    proxy: CountingProxy
    docker: Any
    checkout: Path
    services: Services

    def run(
        self, config: Any, extra: dict[str, str] | None = None
    ) -> tuple[HookRun, list[str], list[Any]]:
        """One sourcing of the hook: its result, the AWS calls it made, the daemon's events."""
        self.proxy.take()
        env = {
            "AWS_ENDPOINT_URL_ECR": self.proxy.url,
            "NODE_ENV": NODE_ENV_VALUE,
            "CERT": "\n".join(CERT_LINES),
        }
        start = time.time()
        run = self.agent.run(self.checkout, config, PIPELINE, {**env, **(extra or {})})
        events = daemon_events(self.docker, start - 0.05, time.time() + 0.05)
        return run, self.proxy.take(), events


def daemon_events(client: Any, since: float, until: float) -> list[Any]:
    """The daemon's events between two moments (its API takes ``seconds.nanoseconds``)."""

    def stamp(t: float) -> str:
        return f"{int(t)}.{int((t % 1) * 1e9):09d}"

    return list(client.api.events(since=stamp(since), until=stamp(until), decode=True))


@pytest.fixture(scope="module")
def rig(
    services: Services,
    docker_client: Any,
    busybox_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Rig]:
    root = tmp_path_factory.mktemp("shim-inputs")
    home = root / "home"
    home.mkdir()
    echo = f'FROM {busybox_image}\nARG NODE_ENV\nARG CERT\nRUN echo "$NODE_ENV"; echo "$CERT"\n'
    checkout = write_context(
        root / "checkout",
        f"FROM {busybox_image}\n",
        {
            "package.json": "{}\n",
            "echo/Dockerfile": echo,
            "mask/Dockerfile": MASK_DOCKERFILE.format(image=busybox_image),
            "keys/npmrc": f"//registry.example/:_authToken={SECRET_FILE_VALUE}\n",
        },
    )
    outside = root / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0\n")
    (checkout / "lnk").symlink_to(outside)
    (checkout / ".npmrc").symlink_to(outside / "passwd")  # a secret's file linking out
    os.mkfifo(checkout / "pipe.json")  # opened for reading, it would wait for a writer forever
    (checkout / "deep.json").write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    services.reset_moto()
    with CountingProxy(services.moto_url) as proxy:
        yield Rig(
            Agent(services=services, home=home, transcript=[]),
            proxy,
            docker_client,
            checkout,
            services,
        )


@pytest.fixture(autouse=True)
def no_leak() -> None:
    leaks.forbid(NODE_ENV_VALUE, label="build arg NODE_ENV from the environment")
    for line in CERT_LINES[1:2]:
        leaks.forbid(line, label="a line of the multi-line build arg CERT")


def base(rig: Rig, **options: Any) -> dict[str, Any]:
    return {
        "registry-hostname": rig.services.auth_registry,
        "cache-on": ["package.json"],
        **options,
    }


def assert_refused(
    figures: Figures, run: HookRun, calls: list[str], events: list[Any], option: str
) -> None:
    """Refused in one line naming ``option``, before any AWS call or daemon event; counted."""
    assert run.rc == 2, run.output
    lines = run.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ecr-cache: {option}"), run.output
    assert PRINTABLE.fullmatch(lines[0]), lines[0]
    assert calls == [], f"AWS was called before the refusal: {calls}"
    assert events == [], f"the daemon did something before the refusal: {events}"
    figures.add(
        "hostile inputs through the real hook (hand-picked)",
        tried=1,
        exit_2=1,
        aws_calls=len(calls),
        daemon_events=len(events),
    )


DEEP = '{"cache-on": ' + "[" * 5000 + "]" * 5000 + "}"

CASES: dict[str, tuple[dict[str, Any] | str, str]] = {
    "nul-in-build-args": ({"build-args": ["NODE_ENV", "A=a\0b"]}, "build-args"),
    "nul-in-unhashed-build-args": ({"unhashed-build-args": ["T=x\0"]}, "unhashed-build-args"),
    "nul-in-additional-build-args": ({"additional-build-args": "--label a\0b"}, "additional"),
    "nul-in-target": ({"target": "deps\0"}, "target"),
    "dockerfile-outside-through-additional-build-args": (
        {"additional-build-args": "--network=host --file /etc/passwd"},
        "additional-build-args",
    ),
    "another-tag-through-additional-build-args": (
        {"additional-build-args": "-t other:latest"},
        "additional-build-args",
    ),
    "surrogate-in-cache-on": ({"cache-on": ["\ud800"]}, "cache-on"),
    "surrogate-in-a-build-arg": ({"build-args": ["A=\ud800"]}, "build-args"),
    "newline-and-escape-in-dockerfile": ({"dockerfile": "a\nb\x1b[31m"}, "dockerfile"),
    "nel-in-dockerfile": ({"dockerfile": "a\x85b"}, "dockerfile"),
    "long-dockerfile": ({"dockerfile": "a" * 300}, "dockerfile"),
    "long-context": ({"context": "d/" * 2100}, "context"),
    "export-path": ({"export-env-variable": "PATH"}, "export-env-variable"),
    "export-agent-token": ({"export-env-variable": "BUILDKITE_AGENT_ACCESS_TOKEN"}, "export"),
    "export-own-tag": (
        {"export-env-variable": "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG"},
        "export-env-variable",
    ),
    "cache-on-through-a-link-out": ({"cache-on": ["lnk/passwd"]}, "cache-on"),
    "context-through-a-link-out": ({"context": "lnk"}, "context"),
    "deep-json": (DEEP, "BUILDKITE_PLUGIN_CONFIGURATION"),
    "huge-number": ('{"max-age-days": ' + "9" * 5000 + "}", "BUILDKITE_PLUGIN_CONFIGURATION"),
    "huge-number-under-an-unknown-key": (
        '{"cache-on": "package.json", "x": [1e400]}',
        "BUILDKITE_PLUGIN_CONFIGURATION",
    ),
    "secret-src-absolute": ({"secrets": ["id=a,src=/etc/shadow"]}, "secrets"),
    "secret-src-dot-dot": ({"secrets": ["id=a,src=../outside/passwd"]}, "secrets"),
    "secret-src-through-a-link-out": ({"secrets": ["id=npmrc,src=.npmrc"]}, "secrets"),
    "secret-src-through-additional-build-args": (
        {"additional-build-args": "--secret id=a,src=lnk/passwd"},
        "additional-build-args",
    ),
    "selector-on-a-fifo": ({"cache-on": ["pipe.json#.a"]}, "cache-on"),
    "selector-on-json-nested-too-deep": ({"cache-on": ["deep.json#.a"]}, "cache-on"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_stops_before_any_aws_call_or_daemon_event(
    rig: Rig, case: str, figures: Figures
) -> None:
    config, option = CASES[case]
    if isinstance(config, str):
        run, calls, events = rig.run({}, {"BUILDKITE_PLUGIN_CONFIGURATION": config})
    else:
        run, calls, events = rig.run(base(rig, **config))
    assert_refused(figures, run, calls, events, option)


@pytest.mark.parametrize(
    ("variables", "option"),
    [
        ({"DOCKERFILE": "a" * 300}, "dockerfile"),
        ({"CONTEXT": "d/" * 2100}, "context"),
        ({"EXPORT_ENV_VARIABLE": "LD_PRELOAD"}, "export-env-variable"),
        ({"BUILD_ARGS_0": "NODE_ENV", "BUILD_ARGS_1": "A=\udc80"}, "build-args"),
    ],
)
def test_bad_flattened_variables_stop_before_any_aws_call(
    rig: Rig, variables: dict[str, str], option: str, figures: Figures
) -> None:
    extra = {f"BUILDKITE_PLUGIN_ECR_CACHE_TUI_{k}": v for k, v in variables.items()}
    extra["BUILDKITE_PLUGIN_ECR_CACHE_TUI_REGISTRY_HOSTNAME"] = rig.services.auth_registry
    extra["BUILDKITE_PLUGIN_NAME"] = "ECR_CACHE_TUI"
    run, calls, events = rig.run({}, {"BUILDKITE_PLUGIN_CONFIGURATION": "", **extra})
    assert_refused(figures, run, calls, events, option)


def test_a_multi_line_build_arg_from_the_environment_is_masked_line_by_line(rig: Rig) -> None:
    options = {
        "dockerfile": "echo/Dockerfile",
        "build-args": ["NODE_ENV", "CERT"],
        "additional-build-args": "--network=host",
    }
    run, calls, _ = rig.run(base(rig, **options))

    assert run.rc == 0, run.output
    assert "CreateRepository" in calls or "DescribeRepositories" in calls
    assert "building" in run.output  # a miss: the RUN step printed the values, masked
    assert run.output.count("[REDACTED]") >= len(CERT_LINES)
    for line in CERT_LINES:
        assert line not in run.output


SECRET_FILE_VALUE = "npmrc-file-token-2718"
# Values that reach the build through additional-build-args, from the environment or a file.
THROUGH_ADDITIONAL = {
    "PLAIN_ARG": "plain-arg-value-1111",
    "EQ_ARG": "equals-arg-value-2222",
    "SECRET_ENV": "secret-env-value-3333",
    "SECRET_ID": "secret-id-value-4444",
}
MASK_DOCKERFILE = """\
FROM {image}
ARG PLAIN_ARG
ARG EQ_ARG
RUN --mount=type=secret,id=s1 --mount=type=secret,id=SECRET_ID --mount=type=secret,id=s3 \
    echo "plain=$PLAIN_ARG eq=$EQ_ARG"; cat /run/secrets/s1; echo; cat /run/secrets/SECRET_ID; \
    echo; cat /run/secrets/s3
"""


@pytest.mark.parametrize("builder", ["buildkit", "legacy"])
def test_values_reaching_the_build_through_additional_build_args_are_masked(
    rig: Rig, builder: str
) -> None:
    for name, value in THROUGH_ADDITIONAL.items():
        leaks.forbid(value, label=f"{name}, given to the build by additional-build-args")
    leaks.forbid(SECRET_FILE_VALUE, label="a --secret src= file's content")
    words = "--network=host --build-arg PLAIN_ARG --build-arg=EQ_ARG"
    dockerfile = "mask/Dockerfile"
    if builder == "buildkit":
        words += (
            " --secret id=s1,env=SECRET_ENV --secret id=SECRET_ID --secret id=s3,src=keys/npmrc"
        )
    else:  # the legacy builder has no secrets: the build args alone, echoed by a plain RUN
        dockerfile = "echo/Dockerfile"
        words = words.replace("PLAIN_ARG", "NODE_ENV").replace("EQ_ARG", "CERT")
    words += f" --label run={uuid.uuid4().hex}"  # a new tag: a miss, so the RUN step runs
    options = {"dockerfile": dockerfile, "additional-build-args": words}
    previous = rig.agent.builder
    rig.agent.builder = builder
    try:
        run, _, _ = rig.run(base(rig, **options), THROUGH_ADDITIONAL)
    finally:
        rig.agent.builder = previous

    assert run.rc == 0, run.output
    assert "building" in run.output
    if builder == "buildkit":
        assert "plain=[REDACTED] eq=[REDACTED]" in run.output, run.output
        printed = [*THROUGH_ADDITIONAL.values(), SECRET_FILE_VALUE]
    else:
        printed = [NODE_ENV_VALUE, *CERT_LINES]
    assert run.output.count("[REDACTED]") >= 3, run.output
    for value in printed:
        assert value not in run.output


def test_a_build_arg_too_short_to_mask_is_a_warning_naming_it(rig: Rig) -> None:
    run, _, _ = rig.run(
        base(rig, **{"build-args": ["NODE_ENV", "SHORT"]}),
        {"SHORT": "on"},
    )

    assert run.rc == 0, run.output
    assert (
        "build arg SHORT: its value is shorter than 4 characters, too short to mask" in run.output
    )


SHIM_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("ECR_CACHE_RANDOM_EXAMPLES"),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@SHIM_SETTINGS
@given(drawn=configurations())
def test_generated_configurations_through_the_real_hook(
    rig: Rig, drawn: dict[Any, Any], figures: Figures
) -> None:
    config = {**base(rig), **drawn}
    try:
        json.dumps(config)
    except (TypeError, ValueError):
        return  # not JSON: no agent could hand it over
    tally(figures, "generated configurations through the real hook", *rig.run(config))


def tally(figures: Figures, row: str, run: HookRun, calls: list[Any], events: list[Any]) -> None:
    """A generated run: no traceback, a known status, and a refusal (2) before any AWS call or
    build event; counted in ``row`` of the figures."""
    assert "Traceback" not in run.output, run.output
    assert run.rc in (0, 1, 2, 3), run.output
    if run.rc == 2:
        assert calls == [] and events == [], (run.output, calls, events)
        figures.add(row, tried=1, exit_2=1, aws_calls_before_refusal=len(calls))
    else:
        figures.add(row, tried=1, **{f"exit_{run.rc}": 1})


@settings(SHIM_SETTINGS, max_examples=30)
@given(drawn=flattened())
def test_generated_flattened_variables_through_the_real_hook(
    rig: Rig, drawn: dict[str, str], figures: Figures
) -> None:
    extra = {
        "BUILDKITE_PLUGIN_CONFIGURATION": "",
        "BUILDKITE_PLUGIN_ECR_CACHE_REGISTRY_HOSTNAME": rig.services.auth_registry,
        **drawn,
    }
    tally(figures, "generated flattened variables through the real hook", *rig.run({}, extra))


# -- a hostile `latest` label, read on a miss to say why ------------------------------------

HOSTILE_NAME = "\x1b]0;PWNED\x1b\\ [bold]markup[/] <img src=x> [x](http://evil)"
HOSTILE_LATEST = {
    "deep": "[" * 100_000,
    "1e400": '{"tag": "t", "version": 1e400, "inputs": []}',
    "huge-number": '{"tag": "t", "version": ' + "9" * 5000 + ', "inputs": []}',
    "duplicate-entry": json.dumps(
        {"tag": "t", "inputs": [{"kind": "k", "name": "n", "digest": "d"}] * 2}
    ),
    "escaping": json.dumps(
        {"tag": "t", "inputs": [{"kind": "cache-on", "name": HOSTILE_NAME, "digest": "d"}]}
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_LATEST))
def test_a_hostile_latest_label_on_a_miss_is_one_line_never_a_traceback(
    rig: Rig, docker_client: Any, ecr_client: Any, tmp_path: Path, case: str
) -> None:
    repository = f"build-cache/acme/hostile-latest-{case}"
    Pusher(rig.services, docker_client, ecr_client, tmp_path).push(
        repository, "latest", {LABEL: HOSTILE_LATEST[case]}
    )
    options = {
        "ecr-name": repository,
        "additional-build-args": f"--label run={uuid.uuid4().hex}",  # a new tag: a miss
    }
    run, _, _ = rig.run(base(rig, **options))

    assert run.rc == 0, run.output
    assert "Traceback" not in run.output
    assert "\x1b" not in run.output, repr(run.output[-2000:])
    why = [line for line in run.output.splitlines() if line.startswith("ecr-cache: why:")]
    assert len(why) == 1 and len(why[0]) < 1000, why
    if case == "escaping":
        assert "\\x1b]0;PWNED" in why[0], why  # the name, shown escaped
    else:
        assert "latest's inputs label is unreadable" in why[0], why
        assert "treated as absent" in why[0]
