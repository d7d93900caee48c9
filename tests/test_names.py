"""One home per name: each ``ECR_CACHE_*`` variable and each variable the hook exports is spelled
in one module of the package only (``config/variables.py``); every other module imports it.

Read from the source text (code, docstrings and comments alike), so a second spelling fails here
whatever it is for; tests, the README and the bash shim may spell the names.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from ecr_cache_tui.config import variables

PACKAGE = Path(__file__).resolve().parents[1] / "ecr_cache_tui"
#: An ``ECR_CACHE_*`` name standing on its own (not the tail of ``BUILDKITE_PLUGIN_ECR_CACHE_…``).
OWN = re.compile(r"(?<![A-Za-z0-9_])ECR_CACHE_[A-Z0-9_]*")
EXPORTED = (variables.EXPORT_IMAGE, variables.EXPORT_TAG, variables.DEFAULT_EXPORT_VARIABLE)


def spellings(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each name, and the package modules (relative paths) that spell it."""
    found: dict[str, set[str]] = defaultdict(set)
    exported = re.compile("|".join(rf"(?<![A-Za-z0-9_]){n}(?![A-Za-z0-9_])" for n in EXPORTED))
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(package))
        for match in (*OWN.finditer(text), *exported.finditer(text)):
            found[match.group()].add(where)
    return found


def twice(package: Path = PACKAGE) -> dict[str, set[str]]:
    return {name: where for name, where in spellings(package).items() if len(where) > 1}


def test_each_name_is_spelled_in_one_module() -> None:
    assert twice() == {}


def test_the_names_live_in_config_variables() -> None:
    found = spellings()
    names = {variables.FORCE_REBUILD, variables.RETRY_SECONDS, variables.BUILD_WAIT}
    names |= {variables.DOCKER_CLI, variables.PYTHON, *EXPORTED}
    assert names <= set(found)
    assert {m for n in names for m in found[n]} == {"config/variables.py"}


@pytest.mark.parametrize(
    "source",
    [
        'RETRY = "ECR_CACHE_RETRY_SECONDS"\n',
        '"""Set ``BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG`` and see."""\n',
        "# ECR_CACHE_SOMETHING_NEW is read here\n",
    ],
)
def test_a_second_spelling_is_caught(source: str, tmp_path: Path) -> None:
    package = tmp_path / PACKAGE.name
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "hook" / "_name_probe.py").write_text(source, encoding="utf-8")
    (package / "config" / "variables.py").write_text(
        (PACKAGE / "config" / "variables.py").read_text(encoding="utf-8")
        + '\nNEW = "ECR_CACHE_SOMETHING_NEW"\n',
        encoding="utf-8",
    )
    assert any("hook/_name_probe.py" in where for where in twice(package).values())
