"""botocore failures become the error tree's types, with the action named, at the adapter edge."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timezone

import botocore.session
import pytest
from botocore.stub import Stubber
from botocore.utils import parse_timestamp

from ecr_cache_tui.adapters.aws import (
    botocore_session,
    call,
    ecr_client,
    translate_errors,
    utc_timestamp,
)
from ecr_cache_tui.errors import (
    AccessDenied,
    ConfigError,
    RemoteError,
    RepositoryNotFound,
    TagNotFound,
    Throttled,
)
from tests.moto_harness import MotoEcr


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


# -- timestamps: epoch numbers straight to UTC, everything else as botocore parses it -------


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A local zone that is not UTC, so a local-time answer would show."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "value",
    [
        1_700_000_000,
        1_700_000_000.123,
        0,
        -86_400.5,
        "1700000000",
        "2024-01-02T03:04:05Z",
        "2024-01-02T03:04:05.678+02:00",
        "Tue, 02 Jan 2024 03:04:05 GMT",
    ],
)
def test_utc_timestamp_is_botocores_instant(local_zone: None, value: object) -> None:
    parsed = utc_timestamp(value)
    assert parsed == parse_timestamp(value)  # the same instant
    assert parsed.utcoffset() is not None
    if isinstance(value, (int, float)):
        assert parsed.tzinfo is timezone.utc


@pytest.mark.parametrize("value", [1e20, "not a time"])
def test_utc_timestamp_fails_as_botocore_does(value: object) -> None:
    with pytest.raises(Exception) as ours:
        utc_timestamp(value)
    with pytest.raises(Exception) as botocores:
        parse_timestamp(value)
    assert type(ours.value) is type(botocores.value)


def test_clients_parse_response_times_to_utc(local_zone: None, moto_ecr: MotoEcr) -> None:
    ours = ecr_client("eu-west-1", max_attempts=1)
    created = ours.create_repository(repositoryName="ab")["repository"]["createdAt"]
    plain = botocore.session.Session().create_client("ecr", region_name="eu-west-1")
    described = plain.describe_repositories()["repositories"][0]["createdAt"]
    assert created.tzinfo is timezone.utc
    assert created == described  # the same instant as botocore's own parser gives
    assert described.tzinfo is not timezone.utc  # other sessions keep botocore's default


def test_sessions_share_one_data_loader_and_still_refuse_an_unknown_profile(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    first, second = botocore_session(), botocore_session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    # A session of botocore's own keeps a loader of its own.
    assert botocore.session.Session().get_component("data_loader") is not (
        first.get_component("data_loader")
    )
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    elsewhere = botocore_session().get_component("data_loader")
    assert elsewhere is not first.get_component("data_loader")
    assert str(tmp_path) in elsewhere.search_paths
    with pytest.raises(ConfigError, match="is not a configured AWS profile"):
        ecr_client("eu-west-1", "nope", max_attempts=1)
