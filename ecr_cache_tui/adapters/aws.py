"""botocore sessions and ECR clients, and botocore's exceptions translated into :mod:`errors`.

Endpoints come from boto3's own configuration (``AWS_ENDPOINT_URL_ECR``, ``AWS_ENDPOINT_URL``,
the profile), so the product needs no test-only switches to talk to moto. Retries use botocore's
``adaptive`` mode: throttling is retried with backoff before it becomes :class:`Throttled`.

Timestamps: botocore turns every epoch number in a response into a datetime in the *local* zone
through dateutil's ``tzlocal``, about 50 µs each: for 10,000 images (two times each) that was
0.6 s of a 1.6 s listing on the demo. Sessions from :func:`botocore_session` parse epoch numbers
with :func:`utc_timestamp` instead, straight to aware UTC datetimes (the same instants; the
product converts every time to UTC anyway), and leave text and out-of-range values to botocore.

Data files: every botocore session has its own loader, which parses ``endpoints.json``, the
partitions and ECR's service model again (about 45 ms of JSON per session). The sessions from
:func:`botocore_session` share one loader per data path for the process, as the clients of one
session do: the CLI run in-process, the demo and the TUI's reconnects no longer re-read them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from ecr_cache_tui.config.region import choose_region
from ecr_cache_tui.errors import (
    AccessDenied,
    ConfigError,
    RemoteError,
    RepositoryNotFound,
    TagNotFound,
    Throttled,
    Unavailable,
)
from ecr_cache_tui.text import show

if TYPE_CHECKING:
    import botocore.loaders
    import botocore.session
    from mypy_boto3_ecr import ECRClient

__all__ = [
    "botocore_session",
    "call",
    "ecr_client",
    "region_of_profile",
    "resolve_region",
    "translate_errors",
    "utc_timestamp",
]

T = TypeVar("T")

_ACCESS_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
_THROTTLE_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)


def ecr_client(
    region: str | None = None,
    profile: str | None = None,
    *,
    max_attempts: int = 8,
    connect_timeout: float = 10,
    mode: Literal["legacy", "standard", "adaptive"] = "adaptive",
) -> ECRClient:
    """An ECR client for ``region`` (and ``profile``), retrying throttles adaptively.

    ``max_attempts`` and ``connect_timeout`` bound how long an unreachable endpoint takes to
    fail: the TUI asks for less than a build does, so a refused connection shows at once.

    Args:
        region: the region; else the environment's, the profile's, or the plugin's default.
        profile: an AWS profile.
        max_attempts: botocore's ``max_attempts``: its *retries* per call, after the first
            attempt (throttling, 5xx, connection errors).
        connect_timeout: seconds to wait for a connection.
        mode: botocore's retry mode. The hook uses ``standard`` with a few attempts and
            retries whole steps itself within a time budget (``hook.decision.retry``): the
            two multiplied is what once made a throttled token take 226 s and 45 calls.
    """
    # botocore directly, not boto3: boto3's import pulls in s3transfer, which costs the hook
    # lazy: about 0.2 s of start-up for nothing (imported on first use: keeps ``--help`` fast too).
    from botocore.config import Config  # noqa: PLC0415
    from botocore.exceptions import ProfileNotFound  # noqa: PLC0415

    # The plugin's own order (config.region), so the CLI and the TUI look where the hook
    # would have written.
    region = region or resolve_region(None, profile)
    session = botocore_session(profile)
    config = Config(
        retries={"max_attempts": max_attempts, "mode": mode},
        connect_timeout=connect_timeout,
        read_timeout=60,
        user_agent_extra="ecr-cache-tui",
    )
    # lazy: botocore loads only when AWS is asked (a local hit never is)
    from botocore.exceptions import InvalidRegionError  # noqa: PLC0415

    try:
        client = session.create_client("ecr", region_name=region, config=config)
    except ProfileNotFound as exc:
        raise ConfigError(
            f"profile: {show(profile)} is not a configured AWS profile", option="profile"
        ) from exc
    except InvalidRegionError as exc:
        raise ConfigError(
            f"region: {show(region)} is not valid: expected an AWS region such as eu-west-1",
            option="region",
        ) from exc
    return cast("ECRClient", client)


#: The process's botocore data loaders, by data path (``AWS_DATA_PATH``; None: botocore's own).
_LOADERS: dict[str | None, botocore.loaders.Loader] = {}


def botocore_session(profile: str | None = None) -> botocore.session.Session:
    """A session for ``profile`` whose clients parse epoch times with :func:`utc_timestamp`,
    with the process's shared data loader for its data path (module docstring)."""
    # lazy: botocore loads only when AWS is asked (a local hit never is)
    import botocore.loaders  # noqa: PLC0415
    import botocore.session  # noqa: PLC0415

    session = botocore.session.Session(profile=profile)

    def shared_loader() -> botocore.loaders.Loader:
        # Lazy, as botocore's own: the data path is read (and a missing profile raised) on
        # first use, inside the caller's error handling, not here.
        data_path = session.get_config_variable("data_path")
        loader = _LOADERS.get(data_path)
        if loader is None:
            loader = _LOADERS[data_path] = botocore.loaders.create_loader(data_path)
        return loader

    session.lazy_register_component("data_loader", shared_loader)
    factory = session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=utc_timestamp)
    return session


def utc_timestamp(value: Any) -> datetime:
    """A response timestamp as a datetime: epoch numbers straight to aware UTC.

    Anything else (ISO 8601 or RFC 822 text, a number ``fromtimestamp`` cannot take) goes to
    botocore's own parser, as it would without this one.
    """
    if type(value) in (int, float):  # the JSON protocol's epoch seconds (never a bool)
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    # lazy: botocore loads only when AWS is asked (a local hit never is)
    from botocore.utils import parse_timestamp  # noqa: PLC0415

    return parse_timestamp(value)


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Turn botocore's exceptions raised inside the block into :mod:`errors` types.

    Args:
        action: what was being done, for the message (``"describe repository build-cache/x"``).
    """
    # lazy: botocore loads only when AWS is asked (a local hit never is)
    from botocore.exceptions import (  # noqa: PLC0415
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError  # noqa: PLC0415

    try:
        yield
    except ClientError as exc:
        raise _from_client_error(action, exc) from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AccessDenied(f"{action}: no AWS credentials found ({exc})") from exc
    except NoRegionError as exc:
        raise RemoteError(f"{action}: no AWS region configured (use --region)") from exc
    except (BotoConnectionError, HTTPClientError) as exc:
        raise Unavailable(f"{action}: {exc}") from exc
    except BotoCoreError as exc:
        raise RemoteError(f"{action}: {exc}") from exc


def call(action: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` inside :func:`translate_errors`."""
    with translate_errors(action):
        return fn(*args, **kwargs)


def _from_client_error(action: str, exc: Any) -> RemoteError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")) or code
    text = f"{action}: {code}: {message}"
    # An IAM denial that the JSON protocol could not parse (an XML body) only has its status.
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _ACCESS_CODES or (code == "403" and status == 403):
        return AccessDenied(f"{action}: access denied (HTTP 403)" if code == "403" else text)
    if code in _THROTTLE_CODES:
        return Throttled(f"{text} (still throttled after retries)")
    if isinstance(status, int) and status >= 500:
        return Unavailable(text)
    if code == "RepositoryNotFoundException":
        return RepositoryNotFound(text)
    if code in ("ImageNotFoundException", "ImageTagNotFoundException"):
        return TagNotFound(text)
    return RemoteError(text)


def region_of_profile(profile: str | None, *, quiet: bool = False) -> str | None:
    """The region ``profile``'s configuration names (``AWS_PROFILE``'s, or the default, if None).

    Args:
        quiet: answer None instead of raising: for the hook, where a broken profile must not
            hide the real error, which comes later.

    Raises:
        ConfigError: the profile is not a configured AWS profile.
    """
    # lazy: botocore loads only when AWS is asked (a local hit never is)
    from botocore.exceptions import ProfileNotFound  # noqa: PLC0415

    try:
        region = botocore_session(profile).get_scoped_config().get("region")
    except ProfileNotFound as exc:
        if quiet:
            return None
        if profile is None:
            raise ConfigError(
                f"AWS_PROFILE: {show(os.environ.get('AWS_PROFILE'))} is not a configured AWS "
                "profile",
                option="AWS_PROFILE",
            ) from exc
        raise ConfigError(
            f"profile: {show(profile)} is not a configured AWS profile", option="profile"
        ) from exc
    except Exception:
        if quiet:
            return None
        raise
    return str(region) if region else None


def resolve_region(region: str | None, profile: str | None) -> str:
    """``region``, else :func:`~ecr_cache_tui.config.region.choose_region`'s order.

    The profile is read even when a region is given, so that an unknown one is bad input here
    rather than a botocore traceback from the client later.

    Raises:
        ConfigError: ``profile`` is not a configured AWS profile.
    """
    named = region_of_profile(profile)
    return choose_region(region, os.environ, lambda: named, option_name="--region").region
