"""The hook's environment settings (``config.settings``): the retry budget per step, the wait
for another job's build, the docker CLI; read and checked once, into typed values."""

from __future__ import annotations

import pytest

from ecr_cache_tui.config.settings import (
    DEFAULT_BUILD_WAIT,
    DEFAULT_RETRY_SECONDS,
    HookSettings,
    hook_settings,
    retry_budget,
)
from ecr_cache_tui.config.variables import BUILD_WAIT, DOCKER_CLI, RETRY_SECONDS
from ecr_cache_tui.errors import ConfigError


@pytest.mark.parametrize(
    ("value", "seconds"), [("", DEFAULT_RETRY_SECONDS), (" 6 ", 6.0), ("1.5", 1.5)]
)
def test_the_budget_is_the_variable_or_a_minute(value: str, seconds: float) -> None:
    assert retry_budget({RETRY_SECONDS: value}) == seconds
    assert retry_budget({}) == DEFAULT_RETRY_SECONDS == 60.0


@pytest.mark.parametrize(
    "value", ["0", "0.5", "3601", "-1", "nan", "inf", "soon", "6s", "\x1b[31m"]
)
def test_anything_else_is_bad_input_in_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        retry_budget({RETRY_SECONDS: value})
    message = str(raised.value)
    assert message.startswith(f"{RETRY_SECONDS}: ") and "1 to 3600" in message
    assert message.isprintable()
    assert raised.value.exit_code == 2


def test_unset_settings_are_the_defaults() -> None:
    assert hook_settings({}) == HookSettings(DEFAULT_RETRY_SECONDS, DEFAULT_BUILD_WAIT, None)
    assert DEFAULT_BUILD_WAIT == 1800.0


def test_set_settings_are_typed_values() -> None:
    env = {RETRY_SECONDS: "5", BUILD_WAIT: "0", DOCKER_CLI: "/opt/docker"}
    assert hook_settings(env) == HookSettings(5.0, 0.0, "/opt/docker")


@pytest.mark.parametrize("value", ["-1", "86401", "nan", "half an hour"])
def test_a_bad_build_wait_is_bad_input_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        hook_settings({BUILD_WAIT: value})
    assert str(raised.value).startswith(f"{BUILD_WAIT}: ")
    assert "0 to 86400" in str(raised.value)
