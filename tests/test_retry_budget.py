"""``ECR_CACHE_RETRY_SECONDS``: the hook's retry budget per step, read by the composition root."""

from __future__ import annotations

import pytest

from ecr_cache_tui.errors import ConfigError
from ecr_cache_tui.hook.decision import DEFAULT_BUDGET
from ecr_cache_tui.wiring import RETRY_SECONDS, retry_budget


@pytest.mark.parametrize(("value", "seconds"), [("", DEFAULT_BUDGET), (" 6 ", 6.0), ("1.5", 1.5)])
def test_the_budget_is_the_variable_or_a_minute(value: str, seconds: float) -> None:
    assert retry_budget({RETRY_SECONDS: value}) == seconds
    assert retry_budget({}) == DEFAULT_BUDGET == 60.0


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
