"""The export file: NUL-delimited records, names checked as shell identifiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr_cache_tui.errors import ConfigError
from ecr_cache_tui.hook.exports import encode_exports, validate_name, write_exports

NASTY = 'it\'s "$(touch /tmp/pwned)" `id`\nline2 ${HOME} \\ é'


def test_records_are_name_nul_value_nul_byte_for_byte() -> None:
    data = encode_exports([("A", "x"), ("B_2", NASTY), ("EMPTY", "")])
    assert data == b"A\0x\0B_2\0" + NASTY.encode() + b"\0EMPTY\0\0"


@pytest.mark.parametrize("name", ["", "1A", "A-B", "A B", "A=B", "é", "A;rm"])
def test_names_that_are_not_identifiers_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="not a valid variable name"):
        validate_name(name)


def test_a_nul_in_a_value_is_refused() -> None:
    with pytest.raises(ConfigError):
        encode_exports([("A", "x\0y")])


def test_write_is_owner_only_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "exports"
    write_exports(target, [("IMAGE", NASTY)])
    assert target.read_bytes() == b"IMAGE\0" + NASTY.encode() + b"\0"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["exports"]


def test_bad_name_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "exports"
    with pytest.raises(ConfigError):
        write_exports(target, [("OK", "1"), ("NOT OK", "2")])
    assert not target.exists()
