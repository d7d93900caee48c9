"""The default-host world's containerd namespace, from names ``tempfile.mkdtemp`` can give."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from tests.ecr_world import containerd_namespace

# containerd's namespace grammar (``namespaces.Validate``), as dockerd 20.10 enforces it.
NAMESPACE = re.compile(r"^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$")


@pytest.mark.parametrize("name", ["wfily_43_", "w__a", "w_", "wabc1234", "ect.8pWug7"])
def test_every_name_gives_a_valid_namespace(name: str) -> None:
    assert NAMESPACE.match(containerd_namespace(name)), containerd_namespace(name)


def test_distinct_names_give_distinct_namespaces() -> None:
    names = ["w_a", "w-a", "w.a", "wa", "w__", "w_", "w-5f"]
    assert len({containerd_namespace(n) for n in names}) == len(names)


def test_names_mkdtemp_gives_are_valid(tmp_path: Path) -> None:
    for _ in range(200):
        name = Path(tempfile.mkdtemp(prefix="w", dir=tmp_path)).name
        assert NAMESPACE.match(containerd_namespace(name)), name
