"""Base images as inputs of the key (``base-image-digests``): their names, and their entries.

A ``FROM`` line names an image the way the ``docker`` CLI reads it: ``node:20`` is
``docker.io/library/node:20``, whose registry API lives at ``registry-1.docker.io``. That
normalisation (``distribution/reference``'s ``ParseNormalizedNamed``) is :func:`parse_image`;
resolving the name to a manifest digest is an adapter's job
(:class:`ecr_cache_tui.ports.BaseImageResolver`), and the decision of when to ask is the
hook's (:mod:`ecr_cache_tui.hook.baseimages`).

Each base image is one input of kind :data:`~ecr_cache_tui.cachekey.inputs.BASE_IMAGE`, named by
the reference as the Dockerfile writes it (after ``ARG`` substitution), whose value is the
manifest digest it resolved to, or the reference itself when it could not be resolved
(:func:`base_image_entry`). A configuration without the option has no such entry, so its key
is what it always was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import xxhash

from ecr_cache_tui.cachekey.inputs import BASE_IMAGE, InputEntry
from ecr_cache_tui.records import Record

__all__ = [
    "DOCKER_HUB",
    "DOCKER_HUB_API",
    "BaseImage",
    "ImageName",
    "all_resolved",
    "base_image_entry",
    "parse_image",
]

#: Docker Hub's name in references, and the host its registry API answers on.
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"

_MAX_NAME = 255
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
# Compiled on first use (re's cache): a reference without a domain or a digest needs fewer.
_PATH = rf"{_COMPONENT}(?:/{_COMPONENT})*"
_DOMAIN = (
    r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    r"(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
    r"|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?"
)
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"


class ImageName(Record):
    """A normalised image reference.

    Attributes:
        domain: the registry as references name it (``docker.io``, ``127.0.0.1:5000``).
        repository: the path inside it (``library/node``).
        tag: the tag (``latest`` when neither a tag nor a digest is written), or ``None``
            when the reference pins a digest alone.
        digest: the pinned digest (``sha256:…``), or ``None``.
    """

    domain: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def host(self) -> str:
        """Where the registry API answers: ``registry-1.docker.io`` for Docker Hub."""
        return DOCKER_HUB_API if self.domain == DOCKER_HUB else self.domain

    @property
    def reference(self) -> str:
        """What to ask the registry for: the digest when one is pinned, else the tag."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}"
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


class BaseImage(Record):
    """One base image of the build and what it resolved to.

    Attributes:
        reference: as the Dockerfile writes it, after ``ARG`` substitution (``node:20``).
        digest: the manifest digest for the build's platform, or ``None``: not resolved (the
            registry could not be asked, or the reference is not a valid name).
        why: for an unresolved image, why (for the warning and the manifest's note).
    """

    reference: str
    digest: str | None
    why: str = ""


def parse_image(text: str) -> ImageName:
    """Normalise ``text`` as the ``docker`` CLI does (``node``: ``docker.io/library/node:latest``).

    Raises:
        ValueError: ``text`` is not a valid image reference (upper case in the path, an empty
            component, a bad tag or digest, a name over 255 characters).
    """
    rest, at, digest = text.partition("@")
    if at and not re.fullmatch(_DIGEST, digest):
        raise ValueError(f"{text!r}: {digest!r} is not a digest")
    tag: str | None = None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not re.fullmatch(_TAG, tag):
            raise ValueError(f"{text!r}: {tag!r} is not a tag")
    domain, path = _split_domain(rest)
    if not re.fullmatch(_PATH, path):
        raise ValueError(f"{text!r} is not an image name (lower-case path components expected)")
    if len(f"{domain}/{path}") > _MAX_NAME:
        raise ValueError(f"{text[:40]!r}…: an image name is at most {_MAX_NAME} characters")
    if tag is None and not at:
        tag = "latest"
    return ImageName(domain, path, tag, digest if at else None)


def _split_domain(name: str) -> tuple[str, str]:
    """``distribution/reference``'s ``splitDockerDomain``."""
    first, slash, remainder = name.partition("/")
    if not slash or (
        not any(c in first for c in ".:") and first != "localhost" and first.lower() == first
    ):
        domain, path = DOCKER_HUB, name
    else:
        if not re.fullmatch(_DOMAIN, first):
            raise ValueError(f"{name!r}: {first!r} is not a registry host")
        domain, path = first, remainder
    if domain == "index.docker.io":
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    return domain, path


def base_image_entry(image: BaseImage) -> InputEntry:
    """The input of one base image: its digest, or (unresolved) the reference as written."""
    if image.digest is not None:
        value = f"digest\0{image.digest}"
        note = image.digest
    else:
        value = f"reference\0{image.reference}"
        note = f"not resolved: {image.why}" if image.why else "not resolved"
    digest = str(xxhash.xxh3_128_hexdigest(value.encode("utf-8", "surrogateescape")))
    return InputEntry(BASE_IMAGE, image.reference, digest, note=note, value=image.digest)


def all_resolved(entries: Iterable[InputEntry]) -> bool:
    """Whether there are base images and every one resolved to a digest: then the build pulls
    them (``--pull``), so the image is built on the digests the key names, not on an older
    copy the daemon keeps under the same tag."""
    bases = [e for e in entries if e.kind == BASE_IMAGE]
    return bool(bases) and all(e.value is not None for e in bases)
