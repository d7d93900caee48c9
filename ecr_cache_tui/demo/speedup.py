"""One thing moto does too slowly: its generic response serialiser (moto 5's ``ActionResult``,
which looks up every member of the output shape on the model object through a chain of
attribute aliases) takes about 4 s to encode ``DescribeImages`` for 10,000 images, most of the
time of listing the benchmark's big pipeline. While a demo runs, ``ECRResponse.describe_images``
is replaced by :func:`_describe_images_json`: the same parameters, the same backend call
(``ecr_backend.describe_images``, so a missing repository or image raises moto's own
exceptions, serialised by moto as before), then a direct ``json.dumps`` of exactly the body
moto's serialiser writes for ECR's JSON protocol: the members moto would find on its image
object, in the shape's order, ``imageTags`` left out when empty, timestamps as epoch seconds
truncated to milliseconds, no ``nextToken`` (moto returns one page). The request still goes
from the client through botocore, moto's stubber and moto's response class, so the
client the product uses is untouched. It is installed by :meth:`DemoEcr.start` and removed by
:meth:`DemoEcr.stop` (counted, so overlapping demos share it), never left in place for other
``mock_aws`` users. ``tests/tui/test_demo.py`` proves it equal: the parsed responses (all
images, chosen ``imageIds``, the errors) compared with moto's own serialiser's for the same data.
``ListImages`` is left to moto: it encodes two strings per tag (0.6 s for 10,000) and the product
never calls it.
"""

from __future__ import annotations

import calendar
import functools
import json
import threading
import weakref
from datetime import datetime
from typing import Any, cast

__all__ = ["FAST_DESCRIBE_IMAGES"]


#: ECR's JSON protocol (``jsonVersion`` 1.1): the Content-Type moto's serialiser sets.
_ECR_CONTENT_TYPE = "application/x-amz-json-1.1"


def _describe_images_json(response: Any) -> tuple[str, dict[str, str]]:
    """``ECRResponse.describe_images`` answered with the JSON moto's serialiser would write.

    ``response`` is moto's ``ECRResponse`` for the request; the backend call and its
    exceptions are moto's own (as in moto's ``describe_images``).
    """
    images = response.ecr_backend.describe_images(
        response._get_param("repositoryName"),
        response._get_param("registryId"),
        response._get_param("imageIds"),
    )
    body = json.dumps({"imageDetails": [_image_detail(image) for image in images]})
    return body, {"Content-Type": _ECR_CONTENT_TYPE}


def _image_detail(image: Any) -> dict[str, Any]:
    """One ``ImageDetail`` as moto serialises its ``Image``: members it has, in shape order."""
    detail: dict[str, Any] = {}
    for key, value in (
        ("registryId", image.registry_id),
        ("repositoryName", image.repository_name),
        ("imageDigest", image.image_digest),
    ):
        if value is not None:
            detail[key] = str(value)
    if image.image_tags:  # moto (like ECR) leaves out an empty list
        detail["imageTags"] = [str(tag) for tag in image.image_tags]
    size = _size_of(image)
    if size is not None:
        detail["imageSizeInBytes"] = int(size)
    if image.image_pushed_at is not None:
        detail["imagePushedAt"] = _epoch(image.image_pushed_at)
    if image.image_manifest_media_type is not None:
        detail["imageManifestMediaType"] = str(image.image_manifest_media_type)
    pulled = getattr(image, "last_recorded_pull_time", None)  # only where the demo set one
    if pulled is not None:
        detail["lastRecordedPullTime"] = _epoch(pulled)
    return detail


def _size_of(image: Any) -> int | None:
    """moto's ``image_size_in_bytes``, which parses the image's manifest on every read.

    Kept per image object (its manifest never changes; a deleted image's entry goes with it):
    a 10,000-tag listing would otherwise parse 10,000 manifests on every ``DescribeImages``.
    """
    try:
        return _SIZES[image]
    except KeyError:
        size = cast("int | None", image.image_size_in_bytes)
        _SIZES[image] = size
        return size
    except TypeError:  # not weak-referenceable: read it each time
        return cast("int | None", image.image_size_in_bytes)


_SIZES: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()


def _epoch(value: Any) -> float:
    """:func:`_epoch_of`, kept per value: each image's times are read on every listing.

    Keyed by type and zone too: two equal instants in different zones write differently.
    """
    return _epoch_of(value, type(value).__name__, getattr(value, "tzinfo", None))


@functools.lru_cache(maxsize=65_536)
def _epoch_of(value: Any, kind: str, zone: Any) -> float:
    """A timestamp as moto's JSON serialiser writes it: epoch seconds, milliseconds truncated.

    ``value`` is what moto holds: an aware datetime (set by the demo) or moto's own integer
    epoch (an image pushed through the API), read as moto reads it.
    """
    if isinstance(value, datetime):
        when = value
    else:
        # lazy: moto and botocore load only when the demo starts
        from botocore.utils import parse_to_aware_datetime  # noqa: PLC0415

        when = parse_to_aware_datetime(value)
    # As moto: the fields of the value's own zone read as UTC (every demo time is UTC).
    seconds = calendar.timegm(when.timetuple())
    if when.microsecond:
        return seconds + (when.microsecond // 1000) / 1000.0
    return seconds


class _MethodSwap:
    """``ECRResponse.describe_images`` replaced while at least one demo runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._original: Any = None

    def install(self) -> None:
        # lazy: moto and botocore load only when the demo starts
        from moto.ecr.responses import ECRResponse  # noqa: PLC0415

        with self._lock:
            if self._users == 0:
                self._original = ECRResponse.__dict__["describe_images"]
                # moto's call_action looks the action up by name on the class on every request.
                setattr(ECRResponse, "describe_images", _describe_images_json)  # noqa: B010
            self._users += 1

    def uninstall(self) -> None:
        # lazy: moto and botocore load only when the demo starts
        from moto.ecr.responses import ECRResponse  # noqa: PLC0415

        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users == 0:
                setattr(ECRResponse, "describe_images", self._original)  # noqa: B010
                self._original = None


FAST_DESCRIBE_IMAGES = _MethodSwap()
