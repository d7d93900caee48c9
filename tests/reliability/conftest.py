"""The reliability suite's own figures (README "Reliability" is copied from them).

A test records what it tried with the ``figures`` fixture::

    figures.add("configurations in-process", tried=1, refused=1)

and the terminal summary of the run prints one line per row, its counters summed over every
test that added to it (``reliability: configurations in-process: tried=3000 refused=2710 ...``).
With ``ECR_CACHE_RELIABILITY_FIGURES=FILE`` set they are also written there as JSON.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

_ROWS: dict[str, Counter[str]] = {}


class Figures:
    """Counters per row of the README's table."""

    def add(self, row: str, **counts: int) -> None:
        """Add ``counts`` to ``row`` (created on first use, in the order rows first appear)."""
        _ROWS.setdefault(row, Counter()).update(counts)


@pytest.fixture(scope="session")
def figures() -> Figures:
    return Figures()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _ROWS:
        return
    terminalreporter.section("reliability figures")
    for row, counts in _ROWS.items():
        shown = " ".join(f"{k}={v}" for k, v in counts.items())
        terminalreporter.write_line(f"reliability: {row}: {shown}")
    target = os.environ.get("ECR_CACHE_RELIABILITY_FIGURES")
    if target:
        Path(target).write_text(json.dumps({r: dict(c) for r, c in _ROWS.items()}, indent=2))
