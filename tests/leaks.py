"""What must never appear in any output, and the outputs of the current test to scan for it.

``tests/conftest.py`` scans, when each test's call ends, everything the test printed (pytest's
captured stdout and stderr, subprocesses that inherited them included) and every text handed to
:func:`seen` (the output of each hook run by :class:`tests.hook.hookrun.Agent`) for:

* moto's ECR token and its base64 forms (:data:`TOKEN_FORMS`), always;
* the values a test declared secret with :func:`forbid` (secrets and build-arg values it put in
  the job's environment), for that test.

A hit fails the test naming the value's label, never printing the output around it.
"""

from __future__ import annotations

import base64

from tests.services import ECR_PASSWORD, ECR_USER

__all__ = ["TOKEN_FORMS", "clear", "forbid", "forbidden", "leaked", "outputs", "seen"]

#: moto's token, alone and in the base64 forms an ``Authorization`` header or ``auths`` has.
TOKEN_FORMS: tuple[str, ...] = (
    ECR_PASSWORD,
    base64.b64encode(f"{ECR_USER}:{ECR_PASSWORD}".encode()).decode().rstrip("="),
    base64.b64encode(ECR_PASSWORD.encode()).decode().rstrip("="),
)

_FORBIDDEN: dict[str, str] = {}
_OUTPUTS: list[str] = []


def forbid(*values: str, label: str = "a secret of this test") -> None:
    """Declare ``values`` secret for the current test (each at least 4 characters long)."""
    for value in values:
        assert len(value) >= 4, "a value this short could appear by chance"
        _FORBIDDEN[value] = label


def seen(text: str) -> None:
    """Scan ``text`` too when the current test's call ends."""
    _OUTPUTS.append(text)


def forbidden() -> dict[str, str]:
    """Value → label, the token's forms included."""
    found = {form: "moto's ECR token" for form in TOKEN_FORMS}
    found.update(_FORBIDDEN)
    return found


def outputs() -> list[str]:
    """The texts handed to :func:`seen` during the current test."""
    return list(_OUTPUTS)


def clear() -> None:
    """Forget the current test's values and outputs."""
    _FORBIDDEN.clear()
    _OUTPUTS.clear()


def leaked(texts: list[str]) -> list[str]:
    """The labels of the forbidden values found in ``texts`` or in :func:`outputs`, sorted."""
    everything = [*texts, *_OUTPUTS]
    return sorted(
        {label for value, label in forbidden().items() if any(value in t for t in everything)}
    )
