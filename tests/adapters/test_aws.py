"""botocore failures become the error tree's types, with the action named, at the adapter edge."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from ecr_cache_tui.adapters.aws import call, ecr_client, translate_errors
from ecr_cache_tui.errors import (
    AccessDenied,
    RemoteError,
    RepositoryNotFound,
    TagNotFound,
    Throttled,
)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return ecr_client("ap-southeast-2", max_attempts=1)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AccessDeniedException", AccessDenied),
        ("ExpiredTokenException", AccessDenied),
        ("ThrottlingException", Throttled),
        ("RepositoryNotFoundException", RepositoryNotFound),
        ("ImageNotFoundException", TagNotFound),
        ("ServerException", RemoteError),
    ],
)
def test_client_errors_become_typed_errors_naming_the_action(
    client, code: str, expected: type[RemoteError]
) -> None:  # type: ignore[no-untyped-def]
    with Stubber(client) as stub:
        stub.add_client_error(
            "describe_repositories", service_error_code=code, service_message="nope"
        )
        with pytest.raises(expected) as info:
            call("describe repository build-cache/a/b", client.describe_repositories)
    assert type(info.value) is expected
    assert str(info.value).startswith(f"describe repository build-cache/a/b: {code}: nope")


def test_missing_credentials_are_access_denied(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = ecr_client("eu-west-1", max_attempts=1)
    with pytest.raises(AccessDenied, match="no AWS credentials"), translate_errors("list"):
        client.describe_repositories()


def test_the_client_uses_the_region_it_was_given(client) -> None:  # type: ignore[no-untyped-def]
    assert client.meta.region_name == "ap-southeast-2"
