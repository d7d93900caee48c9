"""The CLI's hints: the core names the problem, the command line adds the command that helps."""

from __future__ import annotations

import pytest

from ecr_cache_tui import cli
from ecr_cache_tui.commands.hints import cli_hint
from ecr_cache_tui.errors import (
    EcrCacheError,
    OutsidePrefix,
    RemoteError,
    RepositoryNotFound,
    TagNotFound,
)


@pytest.mark.parametrize(
    ("error", "printed"),
    [
        (
            TagNotFound("build-cache/acme/web has no tag 't9'", repository="build-cache/acme/web"),
            "build-cache/acme/web has no tag 't9' "
            "(`ecr-cache ls build-cache/acme/web` lists its tags)",
        ),
        (
            RepositoryNotFound("no cache repository for 'acme/nope'", looked_up=True),
            "no cache repository for 'acme/nope'; `ecr-cache ls` lists the cached pipelines",
        ),
        (
            OutsidePrefix("team/app: outside the cache prefix", repository="team/app", prefix="b/"),
            "team/app: outside the cache prefix; refusing to change it without --force",
        ),
        # What an adapter raised carries no lookup: nothing is added.
        (TagNotFound("ImageNotFoundException: x"), "ImageNotFoundException: x"),
        (RepositoryNotFound("RepositoryNotFoundException: x"), "RepositoryNotFoundException: x"),
        (RemoteError("throttled"), "throttled"),
    ],
)
def test_the_cli_prints_the_core_error_and_its_own_hint(
    error: EcrCacheError,
    printed: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fail(_args: object) -> int:
        raise error

    monkeypatch.setattr("ecr_cache_tui.commands.ls.run", fail)
    assert cli.main(["ls"]) == error.exit_code
    assert capsys.readouterr().err == f"ecr-cache: {printed}\n"


def test_core_messages_name_no_flag() -> None:
    error = OutsidePrefix("team/app: outside the cache prefix", repository="team/app", prefix="")
    assert "--" not in str(error)
    assert cli_hint(RemoteError("x")) == ""
