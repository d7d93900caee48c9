"""The hook's environment settings (:mod:`.variables` names them), read and checked once into
typed values; the composition module and the flow take these and check nothing again.

The plugin's options are :mod:`.parse`'s; these are the job's knobs that are no option:
how long each step may retry, how long a job waits for another one of the host that builds the
same tag, and which ``docker`` CLI builds.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecr_cache_tui.config.variables import BUILD_WAIT, DOCKER_CLI, RETRY_SECONDS
from ecr_cache_tui.errors import ConfigError
from ecr_cache_tui.records import Record

__all__ = [
    "DEFAULT_BUILD_WAIT",
    "DEFAULT_RETRY_SECONDS",
    "HookSettings",
    "build_wait",
    "hook_settings",
    "retry_budget",
]

#: Seconds each step (the repository, the login, the cache check, a pull, a push) may spend
#: retrying, unless the job sets another budget.
DEFAULT_RETRY_SECONDS = 60.0
#: How long a job waits for another job of the host building the same tag, by default: about
#: the longest image build worth waiting for; past it the job builds anyway.
DEFAULT_BUILD_WAIT = 1800.0


class HookSettings(Record):
    """The hook's settings from the environment, checked.

    Attributes:
        retry_seconds: the retry budget of each step, from 1 to 3600.
        build_wait: the longest wait for another job of the host, from 0 to 86400.
        docker_cli: the docker CLI the job names, or ``None``: ``docker`` on ``PATH``.
    """

    retry_seconds: float = DEFAULT_RETRY_SECONDS
    build_wait: float = DEFAULT_BUILD_WAIT
    docker_cli: str | None = None


def hook_settings(env: Mapping[str, str]) -> HookSettings:
    """Every setting of :class:`HookSettings`, read from ``env``.

    Raises:
        ConfigError: a value is out of its range (one line naming the variable and the value).
    """
    return HookSettings(
        retry_seconds=retry_budget(env),
        build_wait=build_wait(env),
        docker_cli=env.get(DOCKER_CLI) or None,
    )


def retry_budget(env: Mapping[str, str]) -> float:
    """Seconds each hook step may spend retrying (:data:`DEFAULT_RETRY_SECONDS` unless set).

    Raises:
        ConfigError: the value is not a number of seconds from 1 to 3600.
    """
    return _seconds(env, RETRY_SECONDS, DEFAULT_RETRY_SECONDS, (1, 3600), "(1 to 3600)")


def build_wait(env: Mapping[str, str]) -> float:
    """Seconds a job waits for another job of the host building the same tag.

    Raises:
        ConfigError: the value is not a number of seconds from 0 to 86400.
    """
    return _seconds(env, BUILD_WAIT, DEFAULT_BUILD_WAIT, (0, 86400), "from 0 to 86400")


def _seconds(
    env: Mapping[str, str], name: str, default: float, bounds: tuple[float, float], allowed: str
) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    low, high = bounds
    if not low <= seconds <= high:  # also false for nan
        raise ConfigError(
            f"{name}: {text[:40]!r} is not a number of seconds {allowed}", option=name
        )
    return seconds
