"""ECR's control plane: the one adapter every part of the product uses to talk to ECR.

:class:`Ecr` wraps a boto3 ECR client (from :func:`ecr_cache_tui.adapters.aws.ecr_client`)
and speaks the product's domain: repositories, their resource tags and lifecycle policy,
images and their tags, registry credentials. Every call runs inside
:func:`~ecr_cache_tui.adapters.aws.translate_errors`, so callers only see
:mod:`ecr_cache_tui.errors`; results are frozen dataclasses, never boto's dicts.

"Missing" is an answer where the caller asks a question (:meth:`Ecr.describe_repository`,
:meth:`Ecr.get_lifecycle_policy`, :meth:`Ecr.image_tag_exists`) and an error
(:class:`~ecr_cache_tui.errors.RepositoryNotFound`, :class:`~ecr_cache_tui.errors.TagNotFound`)
where the caller assumed the thing exists.

Listings are paginated with boto's paginators (thousands of repositories, thousands of images),
asking for the largest page the API allows (:data:`PAGE_SIZE`); they are generators, so a
caller that stops early makes no further calls. ``registry_id`` (the plugin's ``account-id``)
selects another account's registry on every call that takes one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ecr_cache_tui.adapters.aws import translate_errors
from ecr_cache_tui.errors import RegistryError, RemoteError, RepositoryNotFound, TagNotFound
from ecr_cache_tui.model import (
    DeletedImage,
    DeleteFailure,
    ImageDetail,
    ImageManifest,
    RegistryAuth,
    RepositoryInfo,
)

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef

__all__ = ["BATCH_DELETE_LIMIT", "MAX_MANIFEST_CHARS", "PAGE_SIZE", "Ecr"]

#: A manifest from ``BatchGetImage`` is read at most this long (as a registry's body).
MAX_MANIFEST_CHARS = 1 << 20

#: ECR's BatchDeleteImage takes at most this many image ids per call.
BATCH_DELETE_LIMIT = 100

#: The page size asked of DescribeRepositories and DescribeImages: the API's maximum
#: ``maxResults`` (ECR's default is 100, so 10,000 images would take 100 round trips).
PAGE_SIZE = 1000

#: Media types a manifest may be returned as (BatchGetImage's ``acceptedMediaTypes``).
MANIFEST_MEDIA_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)


class Ecr:
    """ECR's control plane in the product's terms.

    Args:
        client: a boto3 ECR client (``adapters.aws.ecr_client(region, profile)``, a moto
            client in tests, or one with a ``botocore.stub.Stubber`` attached).
        registry_id: the account id of the registry to use (the ``account-id`` option);
            ``None`` means the caller's own account.
    """

    def __init__(self, client: ECRClient, *, registry_id: str | None = None) -> None:
        self._client = client
        self.registry_id = registry_id

    @property
    def client(self) -> ECRClient:
        """The underlying boto3 client (for tests and the demo, which seed data with it)."""
        return self._client

    # -- repositories -------------------------------------------------------------------

    def describe_repository(self, name: str) -> RepositoryInfo | None:
        """The repository ``name``, or ``None`` if it does not exist."""
        try:
            with translate_errors(f"describe repository {name}"):
                response = self._client.describe_repositories(
                    repositoryNames=[name], **self._registry()
                )
        except RepositoryNotFound:
            return None
        repositories = response.get("repositories", [])
        return _repository(repositories[0]) if repositories else None

    def create_repository(self, name: str, tags: Mapping[str, str]) -> RepositoryInfo:
        """Create ``name`` with mutable tags and resource ``tags``; return it.

        A concurrent creator winning the race (``RepositoryAlreadyExistsException``) is
        success: the existing repository is described and returned, its tags untouched.
        """
        # lazy: botocore loads only when ECR is asked (a local hit never is)
        from botocore.exceptions import ClientError  # noqa: PLC0415

        action = f"create repository {name}"
        kwargs: dict[str, Any] = {
            "repositoryName": name,
            "imageTagMutability": "MUTABLE",
            **self._registry(),
        }
        if tags:
            kwargs["tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        with translate_errors(action):
            try:
                response = self._client.create_repository(**kwargs)
            except ClientError as exc:
                if _code(exc) != "RepositoryAlreadyExistsException":
                    raise
                existing = self.describe_repository(name)
                if existing is None:  # created and deleted again in between: say so
                    raise RemoteError(f"{action}: created concurrently, then gone") from exc
                return existing
        return _repository(response["repository"])

    def iter_repositories(self, prefix: str = "") -> Iterator[RepositoryInfo]:
        """Every repository whose name starts with ``prefix``, page by page.

        ECR cannot filter by prefix, so pages are filtered here; a consumer that stops early
        stops the paging.
        """
        paginator = self._client.get_paginator("describe_repositories")
        with translate_errors("list repositories"):
            pages = paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}, **self._registry())
            for page in pages:
                for item in page.get("repositories", []):
                    if item.get("repositoryName", "").startswith(prefix):
                        yield _repository(item)

    # -- resource tags ------------------------------------------------------------------

    def list_tags(self, arn: str) -> dict[str, str]:
        """The resource tags of the repository ``arn``."""
        with translate_errors(f"list tags of {arn}"):
            response = self._client.list_tags_for_resource(resourceArn=arn)
        return {t["Key"]: t["Value"] for t in response.get("tags", [])}

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite resource ``tags`` on the repository ``arn`` (others are kept)."""
        if not tags:
            return
        with translate_errors(f"tag {arn}"):
            self._client.tag_resource(
                resourceArn=arn, tags=[{"Key": k, "Value": v} for k, v in tags.items()]
            )

    # -- lifecycle policy ---------------------------------------------------------------

    def get_lifecycle_policy(self, name: str) -> str | None:
        """The lifecycle policy text of ``name``, or ``None`` if it has none.

        Raises:
            RepositoryNotFound: the repository does not exist.
        """
        # lazy: botocore loads only when ECR is asked (a local hit never is)
        from botocore.exceptions import ClientError  # noqa: PLC0415

        with translate_errors(f"get lifecycle policy of {name}"):
            try:
                response = self._client.get_lifecycle_policy(
                    repositoryName=name, **self._registry()
                )
            except ClientError as exc:
                if _code(exc) == "LifecyclePolicyNotFoundException":
                    return None
                raise
        return response.get("lifecyclePolicyText") or None

    def put_lifecycle_policy(self, name: str, text: str) -> None:
        """Replace the lifecycle policy of ``name`` with ``text``."""
        with translate_errors(f"put lifecycle policy of {name}"):
            self._client.put_lifecycle_policy(
                repositoryName=name, lifecyclePolicyText=text, **self._registry()
            )

    # -- registry credentials -----------------------------------------------------------

    def authorization(self, registry_id: str | None = None) -> RegistryAuth:
        """Credentials for the registry of ``registry_id`` (default: this adapter's one).

        The token is decoded (``user:password``); it is never put in a message or a repr.
        """
        registry = registry_id or self.registry_id
        kwargs: dict[str, Any] = {"registryIds": [registry]} if registry else {}
        with translate_errors("get ECR authorization token"):
            response = self._client.get_authorization_token(**kwargs)
        data = response.get("authorizationData", [])
        if not data or "authorizationToken" not in data[0]:
            raise RemoteError("get ECR authorization token: ECR returned no token")
        try:
            decoded = base64.b64decode(data[0]["authorizationToken"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise RemoteError("get ECR authorization token: the token is not base64") from exc
        username, sep, password = decoded.partition(":")
        if not sep:
            raise RemoteError("get ECR authorization token: the token is not user:password")
        return RegistryAuth(
            username=username,
            password=password,
            endpoint=data[0].get("proxyEndpoint", ""),
            expires_at=_utc(data[0].get("expiresAt")),
        )

    # -- images -------------------------------------------------------------------------

    def image_tag_exists(self, name: str, tag: str) -> bool:
        """Whether ``name:tag`` exists. A missing repository means it does not."""
        try:
            with translate_errors(f"describe image {name}:{tag}"):
                self._client.describe_images(
                    repositoryName=name, imageIds=[{"imageTag": tag}], **self._registry()
                )
        except (TagNotFound, RepositoryNotFound):
            return False
        return True

    def iter_images(self, name: str) -> Iterator[ImageDetail]:
        """Every image of repository ``name`` (tagged or not), page by page.

        Raises:
            RepositoryNotFound: the repository does not exist.
        """
        paginator = self._client.get_paginator("describe_images")
        with translate_errors(f"list images of {name}"):
            pages = paginator.paginate(
                repositoryName=name, PaginationConfig={"PageSize": PAGE_SIZE}, **self._registry()
            )
            for page in pages:
                for item in page.get("imageDetails", []):
                    yield ImageDetail(
                        digest=item.get("imageDigest", ""),
                        tags=tuple(sorted(item.get("imageTags", []))),
                        pushed_at=_utc(item.get("imagePushedAt")),
                        size_bytes=int(item.get("imageSizeInBytes", 0)),
                        last_pulled=_utc(item.get("lastRecordedPullTime")),
                    )

    def batch_get_manifest(self, name: str, tag: str) -> ImageManifest:
        """The manifest ``name:tag`` points at.

        Raises:
            RepositoryNotFound: the repository does not exist.
            TagNotFound: the tag does not exist.
        """
        action = f"get manifest of {name}:{tag}"
        with translate_errors(action):
            response = self._client.batch_get_image(
                repositoryName=name,
                imageIds=[{"imageTag": tag}],
                acceptedMediaTypes=list(MANIFEST_MEDIA_TYPES),
                **self._registry(),
            )
        images = response.get("images", [])
        if not images:
            failures = response.get("failures", [])
            reason = failures[0].get("failureReason", "not found") if failures else "not found"
            raise TagNotFound(f"{action}: {reason}")
        image = images[0]
        text = image.get("imageManifest", "")
        if not isinstance(text, str) or len(text) > MAX_MANIFEST_CHARS:
            # What ECR returns was pushed by whoever could push: bounded like a registry's.
            raise RegistryError(f"{action}: the manifest is over {MAX_MANIFEST_CHARS} characters")
        return ImageManifest(
            digest=image.get("imageId", {}).get("imageDigest", ""),
            media_type=image.get("imageManifestMediaType", ""),
            text=text,
        )

    def batch_delete(
        self, name: str, tags: Iterable[str] = (), *, digests: Iterable[str] = ()
    ) -> tuple[tuple[DeletedImage, ...], tuple[DeleteFailure, ...]]:
        """Delete ``tags`` (and whole images by ``digests``) from ``name``, 100 ids per call.

        Deleting a tag removes only that tag; the image goes when its last tag does. Deleting
        a digest removes the image with every tag on it.

        Returns:
            What was deleted, and what was not with ECR's reason (e.g. a tag already gone).

        Raises:
            RepositoryNotFound: the repository does not exist.
        """
        ids: list[ImageIdentifierTypeDef] = [{"imageTag": t} for t in tags]
        ids += [{"imageDigest": d} for d in digests]
        deleted: list[DeletedImage] = []
        failures: list[DeleteFailure] = []
        for chunk in _chunks(ids, BATCH_DELETE_LIMIT):
            with translate_errors(f"delete images from {name}"):
                response = self._client.batch_delete_image(
                    repositoryName=name, imageIds=chunk, **self._registry()
                )
            deleted.extend(
                DeletedImage(digest=i.get("imageDigest", ""), tag=i.get("imageTag"))
                for i in response.get("imageIds", [])
            )
            failures.extend(
                DeleteFailure(
                    tag=f.get("imageId", {}).get("imageTag"),
                    digest=f.get("imageId", {}).get("imageDigest"),
                    code=str(f.get("failureCode", "")),
                    reason=f.get("failureReason", ""),
                )
                for f in response.get("failures", [])
            )
        return tuple(deleted), tuple(failures)

    # -- helpers ------------------------------------------------------------------------

    def _registry(self) -> dict[str, Any]:
        return {"registryId": self.registry_id} if self.registry_id else {}


def _repository(item: Mapping[str, Any]) -> RepositoryInfo:
    return RepositoryInfo(
        name=str(item.get("repositoryName", "")),
        arn=str(item.get("repositoryArn", "")),
        uri=str(item.get("repositoryUri", "")),
        registry_id=str(item.get("registryId", "")),
        created_at=_utc(item.get("createdAt")),
        tag_mutability=str(item.get("imageTagMutability", "MUTABLE")),
    )


def _utc(value: datetime | None) -> datetime | None:
    # botocore parses times into the local zone; everything downstream speaks UTC.
    return value.astimezone(timezone.utc) if value is not None else None


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _chunks(
    items: Sequence[ImageIdentifierTypeDef], size: int
) -> Iterator[list[ImageIdentifierTypeDef]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
