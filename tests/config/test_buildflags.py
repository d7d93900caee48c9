"""Flags read out of ``additional-build-args`` words as ``docker build`` reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr_cache_tui.config import parse
from ecr_cache_tui.config.buildflags import env_values, flag_values, join_fields, secret_fields
from ecr_cache_tui.errors import ConfigError

SLUGS = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}


def test_a_flags_value_is_the_next_word_or_after_the_equals_sign() -> None:
    words = ["--build-arg", "A", "--build-arg=B=1", "--no-cache", "--build-arg", "C"]
    assert flag_values(words, "--build-arg") == [(1, "A", False), (2, "B=1", True), (5, "C", False)]


def test_another_flags_value_is_not_read_as_a_flag() -> None:
    assert flag_values(["--label", "--secret", "--pull"], "--secret") == []


def test_secret_fields_are_read_as_csv_and_written_back_quoted() -> None:
    fields = secret_fields('id=a,"src=x,y.txt"')
    assert fields == [("id", "a"), ("src", "x,y.txt")]
    assert secret_fields(join_fields(fields)) == fields


def test_values_the_build_reads_from_the_environment() -> None:
    env = {"TOKEN": "t-value", "KEY": "k-value", "ID": "id-value", "UNUSED": "u"}
    words = [
        "--build-arg",
        "TOKEN",
        "--build-arg=LITERAL=x",
        "--secret",
        "id=k,env=KEY",
        "--secret=id=ID",
        "--secret",
        "id=f,src=file",
        "--build-arg",
        "MISSING",
    ]
    assert [value for _, value in env_values(words, env)] == ["t-value", "k-value", "id-value"]


def _checkout(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "npmrc").write_text("token\n")
    (tmp_path / "out").symlink_to("/etc")
    return tmp_path


@pytest.mark.parametrize("form", ["--secret id=n,src={}", "--secret=id=n,src={}"])
def test_a_secret_file_in_additional_build_args_becomes_its_real_path(
    tmp_path: Path, form: str
) -> None:
    checkout = _checkout(tmp_path)
    config = parse({"additional-build-args": form.format("keys/npmrc")}, SLUGS, checkout)
    real = checkout.resolve() / "keys" / "npmrc"
    assert f"id=n,src={real}" in " ".join(config.additional_build_args)
    assert config.additional_build_args_raw == form.format("keys/npmrc")  # what is hashed


@pytest.mark.parametrize("src", ["/etc/shadow", "../x", "out/shadow", "keys/missing"])
def test_a_secret_file_in_additional_build_args_outside_the_checkout_is_refused(
    tmp_path: Path, src: str
) -> None:
    with pytest.raises(ConfigError, match=r"^additional-build-args: "):
        parse({"additional-build-args": f"--secret id=n,src={src}"}, SLUGS, _checkout(tmp_path))
