"""The three locks: the hook's holds only what the hook imports, and they agree with each other.

``requirements.lock`` is what the hook's virtualenv installs (pyproject's base dependencies),
``requirements-tui.lock`` adds the TUI and the demo (``[demo]``), ``requirements-dev.lock``
everything (``[dev]``). A package pinned in two of them is pinned to the same version with the
same hashes, so the demo's and the tests' ``.venv`` run what the agents run.
``tests/hook/test_shim_bootstrap.py`` builds the hook's virtualenv from its lock alone and runs
the hook in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements.lock", "requirements-tui.lock", "requirements-dev.lock")
# Never on the hook's path: the TUI, YAML, boto3 (botocore is enough), the demo, the dev tools.
NOT_FOR_THE_HOOK = (
    "textual",
    "rich",
    "pygments",
    "markdown-it-py",
    "boto3",
    "s3transfer",
    "pyyaml",
    "moto",
    "pytest",
    "mypy",
    "ruff",
)


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) of every pin in a lock."""
    text = (ROOT / lock).read_text()
    found: dict[str, tuple[str, frozenset[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = re.match(r"([A-Za-z0-9][A-Za-z0-9_.-]*)==([^ ;\\\n]+)", block)
        if head:
            hashes = frozenset(re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
            found[norm(head[1])] = (head[2], hashes)
    return found


def requirement_names(requirements: list[str]) -> set[str]:
    return {norm(re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0]) for r in requirements}


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_is_exact_and_hashed(lock: str) -> None:
    found = pins(lock)
    assert len(found) >= 10
    for name, (version, hashes) in found.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!]*", version), (name, version)
        assert hashes, f"{lock}: {name} has no --hash"
    assert "--generate-hashes" in (ROOT / lock).read_text().splitlines()[1]


def test_the_hook_lock_holds_only_the_base_dependencies_and_theirs() -> None:
    hook = pins("requirements.lock")
    for name in NOT_FOR_THE_HOOK:
        assert name not in hook, name
    assert requirement_names(PROJECT["dependencies"]) <= set(hook)
    # Direct dependencies of the package, as the lock records them, are exactly the base ones.
    text = (ROOT / "requirements.lock").read_text()
    direct = {
        norm(m[1])
        for m in re.finditer(
            r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==[^\n]*\n(?:    --hash[^\n]*\n)*    # via[^\n]*"
            r"(?:\n    #   [^\n]*)*",
            text,
            re.MULTILINE,
        )
        if "ecr-cache-tui (pyproject.toml)" in m[0]
    }
    assert direct == requirement_names(PROJECT["dependencies"])


def test_the_extras_add_the_tui_and_the_demo_and_dev_everything() -> None:
    extras = PROJECT["optional-dependencies"]
    assert {"textual", "pyyaml"} <= requirement_names(extras["tui"])
    assert "moto" in requirement_names(extras["demo"])
    assert "ecr-cache-tui" in requirement_names(extras["demo"])
    assert "ecr-cache-tui" in requirement_names(extras["dev"])
    tui = pins("requirements-tui.lock")
    assert {"textual", "moto", "pyyaml"} <= set(tui)
    for name in ("pytest", "mypy", "ruff", "uv", "google-re2"):
        assert name not in tui, name


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("requirements.lock", "requirements-tui.lock"),
        ("requirements.lock", "requirements-dev.lock"),
        ("requirements-tui.lock", "requirements-dev.lock"),
    ],
)
def test_a_lock_is_contained_in_the_larger_ones_with_the_same_pins(
    smaller: str, larger: str
) -> None:
    small, large = pins(smaller), pins(larger)
    for name, pin in small.items():
        assert name in large, f"{name} is in {smaller} but not in {larger}"
        assert large[name] == pin, f"{name}: {smaller} and {larger} disagree"
