"""What the log masks: every value the build receives from the environment or a secret file."""

from __future__ import annotations

from pathlib import Path

from ecr_cache_tui.config import parse
from ecr_cache_tui.hook.masked import MAX_SECRET_FILE, values_to_mask

SLUGS = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}
ENV = {
    **SLUGS,
    "FROM_ENV": "from-env-value",
    "UNHASHED": "unhashed-value",
    "NPM_TOKEN": "npm-token-value",
    "PLAIN": "plain-value",
    "EQ": "eq-value",
    "SENV": "secret-env-value",
    "BARE_ID": "bare-id-value",
}


def _values(tmp_path: Path, raw: dict[str, object]) -> list[str | None]:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    config = parse(raw, ENV, tmp_path)
    return [value for _, value in values_to_mask(config, ENV)]


def test_every_option_that_carries_a_value_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "npmrc").write_text("//r/:_authToken=file-token-value\n")
    (tmp_path / "other").write_text("other-file-value")
    values = _values(
        tmp_path,
        {
            "build-args": ["FROM_ENV", "LITERAL=literal-value"],
            "unhashed-build-args": ["UNHASHED"],
            "secrets": ["NPM_TOKEN", "id=f,src=npmrc"],
            "additional-build-args": (
                "--build-arg PLAIN --build-arg=EQ --build-arg LIT=lit-value --secret id=s,env=SENV "
                "--secret=id=BARE_ID --secret id=o,src=other --label --build-arg"
            ),
        },
    )
    assert values == [
        "from-env-value",
        "unhashed-value",
        "npm-token-value",
        "//r/:_authToken=file-token-value",
        "plain-value",
        "eq-value",
        "secret-env-value",
        "bare-id-value",
        "other-file-value",
    ]


def test_a_secret_file_too_big_to_be_a_log_line_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "big").write_text("x" * (MAX_SECRET_FILE + 1))
    assert _values(tmp_path, {"secrets": ["id=b,src=big"]}) == [None]
