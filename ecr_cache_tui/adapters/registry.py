"""A small client for the OCI distribution (Docker Registry v2) HTTP API.

ECR's data plane speaks this protocol with Basic auth ``AWS:<token>``; GHCR, Artifact Registry and
Harbor answer 401 with a ``Bearer`` challenge whose token endpoint takes the same Basic login.
Both flows are handled: the first request goes out anonymous (or with the scheme learned from an
earlier challenge), a 401 is answered once with the challenged scheme.

The hook reads: does a tag exist (``HEAD``), what manifest does it name, and what labels does its
image config carry (the inputs manifest lives in one). The maintainers' commands on
``registry-provider: oci`` also list (the catalog and tag lists, paginated: :meth:`~RegistryClient.
iter_pages`) and delete manifests (:mod:`ecr_cache_tui.adapters.oci`).

Requests go out on kept-alive connections of the standard library
(:mod:`ecr_cache_tui.adapters.keepalive`: the environment's proxies, CA bundle and ``.netrc`` as
``requests`` reads them; redirects without the login on another origin).

Everything a registry answers is untrusted: every body is read up to a bound (:data:`MAX_DOCUMENT`
for manifests and configs, :data:`MAX_PAGE` for a list page) and refused beyond it, and a ``Link``
to the next page is followed only on this host (its scheme and host are ignored: a registry
cannot send the login elsewhere). HTTP statuses are translated into :mod:`ecr_cache_tui.errors`
here::

    404 (MANIFEST_UNKNOWN)   TagNotFound
    404 (NAME_UNKNOWN)       RepositoryNotFound
    401 / 403                AccessDenied
    405 / UNSUPPORTED        DeletionRefused (on a delete: the registry does not allow it)
    anything else            RegistryError (including connection failures)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from ecr_cache_tui import boundedjson
from ecr_cache_tui.adapters.keepalive import Answer, Transport, read_bounded
from ecr_cache_tui.errors import (
    AccessDenied,
    DeletionRefused,
    RegistryError,
    RepositoryNotFound,
    TagNotFound,
)

if TYPE_CHECKING:
    from requests.sessions import _Settings

__all__ = [
    "INDEX_TYPES",
    "MANIFEST_ACCEPT",
    "MAX_DOCUMENT",
    "MAX_MANIFEST_BYTES",
    "MAX_PAGE",
    "EnvOnceSession",
    "ManifestDocument",
    "RegistryClient",
    "default_scheme",
]

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

#: Multi-platform manifest types: an index of per-platform manifests.
INDEX_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})

#: Without every type here a registry converts the manifest, or answers 404 for OCI ones.
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_NEXT_LINK = re.compile(r'<([^>]*)>\s*;[^,]*rel="?next"?')

#: Bytes of a manifest, an image config or an error body read at most (real ones are a few KiB).
MAX_DOCUMENT = 1 << 20
#: The most of a manifest (an index, when resolving a base image's digest) that is read.
MAX_MANIFEST_BYTES = MAX_DOCUMENT
#: Bytes of one catalog or tag-list page read at most (a page of 1,000 names is under 300 KiB).
MAX_PAGE = 4 << 20
#: Pages of one listing followed at most (a registry that links pages forever is refused).
MAX_PAGES = 10_000
#: Lists and objects inside each other in a registry's document at most (a manifest, an index
#: or an image config needs a handful).
_MAX_DEPTH = 64


@dataclass(frozen=True)
class ManifestDocument:
    """A manifest as the registry served it (not to be confused with the inputs manifest)."""

    media_type: str
    document: dict[str, Any]
    digest: str


def default_scheme(host: str) -> str:
    """``http`` for loopback hosts (what dockerd treats as insecure by default), else ``https``."""
    if host.startswith("["):  # [::1]:5000
        name = host[1:].partition("]")[0]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost":
        return "http"
    try:
        return "http" if ipaddress.ip_address(name).is_loopback else "https"
    except ValueError:
        return "https"


class EnvOnceSession(requests.Session):
    """A ``requests.Session`` that reads the environment once per origin, not per request.

    ``requests`` walks ``os.environ`` twice (proxies, ``no_proxy``, the CA bundle) and stats
    ``.netrc`` three times on every request: most of its own CPU on a listing of thousands of
    small requests. The answers depend only on the origin (and the arguments), so each origin's
    are read on its first request and reused; what they are is what ``requests`` would find.
    """

    def __init__(self) -> None:
        super().__init__()
        self._settings: dict[tuple[Any, ...], _Settings] = {}
        self._netrc: dict[tuple[str, str], Any] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if proxies or not self.trust_env:  # proxies asked for per request: as requests does
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(str(url))
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        settings = self._settings.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._settings[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        if self.trust_env and not request.auth and not self.auth:
            parts = urlsplit(str(request.url))
            origin = (parts.scheme, parts.netloc)
            if origin not in self._netrc:
                self._netrc[origin] = requests.utils.get_netrc_auth(request.url) or _no_auth
            request.auth = self._netrc[origin]
        return super().prepare_request(request)


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """No login (what a ``.netrc`` without the host gives), known without reading it again."""
    return request


class RegistryClient:
    """Read manifests and image configs from one registry host.

    Args:
        host: ``host[:port]`` (what precedes the repository in an image reference).
        credentials: ``(username, password)`` or ``None`` for anonymous access.
        scheme: ``http`` or ``https``; by default :func:`default_scheme`.
        session: the ``requests.Session`` whose settings apply (``trust_env``, ``verify``),
            that asks token endpoints and sends what goes through a proxy; requests
            themselves go out on :class:`~ecr_cache_tui.adapters.keepalive.Transport`'s
            kept-alive connections.
        timeout: seconds per request.
    """

    def __init__(
        self,
        host: str,
        credentials: tuple[str, str] | None = None,
        *,
        scheme: str | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.base = f"{scheme or default_scheme(host)}://{host}"
        self._credentials = credentials
        self._session = session or EnvOnceSession()
        self._timeout = timeout
        self._transport = Transport(self._session, timeout)
        # Learned from the first challenge: "basic" sends the login up front from then on.
        self._scheme: str | None = None
        self._bearer: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"RegistryClient({self.host!r})"

    # -- public API ---------------------------------------------------------------------

    def manifest_exists(self, repository: str, reference: str) -> bool:
        """Whether ``repository:reference`` exists (a ``HEAD``; no body transferred).

        Raises:
            AccessDenied: the registry refused the login.
            RegistryError: any answer other than 200 or 404, or no answer.
        """
        response = self._request("HEAD", repository, f"manifests/{reference}", MANIFEST_ACCEPT)
        if response.status_code == 404:
            return False
        self._check(response, repository, reference)
        return True

    def get_manifest(self, repository: str, reference: str) -> ManifestDocument:
        """The manifest ``repository:reference`` names, with its media type and digest.

        Raises:
            TagNotFound, RepositoryNotFound, AccessDenied, RegistryError: see the module docs.
        """
        response = self._request("GET", repository, f"manifests/{reference}", MANIFEST_ACCEPT)
        self._check(response, repository, reference)
        document = _json_object(
            response.content, self._where(repository, reference), kind="a manifest"
        )
        media_type = str(
            document.get("mediaType")
            or response.headers.get("Content-Type", "").split(";")[0]
            or DOCKER_MANIFEST
        )
        digest = response.headers.get("Docker-Content-Digest", "")
        if not digest:  # a registry that sends no header: the digest of the bytes served
            # lazy: rare: a local hit does not pay for it
            import hashlib  # noqa: PLC0415

            digest = "sha256:" + hashlib.sha256(response.content).hexdigest()
        return ManifestDocument(media_type=media_type, document=document, digest=digest)

    def manifest_digest(self, repository: str, reference: str, platform: str) -> str:
        """The digest of ``repository:reference``'s manifest for ``platform``.

        A ``HEAD`` says the digest and the media type; only a multi-platform index (or a
        registry that sends no ``Docker-Content-Digest``) is read, at most
        :data:`MAX_MANIFEST_BYTES`, and its entry for ``platform`` (``os/arch[/variant]``,
        else ``os/arch``) is the answer.

        Raises:
            TagNotFound, RepositoryNotFound, AccessDenied, RegistryError: see the module docs;
                also an index without an entry for ``platform``, or an answer too large.
        """
        response = self._request("HEAD", repository, f"manifests/{reference}", MANIFEST_ACCEPT)
        self._check(response, repository, reference)
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        digest = response.headers.get("Docker-Content-Digest", "").strip()
        if media_type not in INDEX_TYPES and _DIGEST.fullmatch(digest):
            return digest
        body, digest = self._bounded_manifest(repository, reference)
        document = _json_object(body, self._where(repository, reference), kind="a manifest")
        if str(document.get("mediaType") or media_type) not in INDEX_TYPES and not isinstance(
            document.get("manifests"), list
        ):
            return digest
        entry = _pick_platform(document.get("manifests") or [], platform)
        chosen = str(entry.get("digest", "")) if entry is not None else ""
        wanted = platform.split("/")[:2]
        have = (entry or {}).get("platform") or {}
        if (
            entry is None
            or [str(have.get("os", "")), str(have.get("architecture", ""))] != wanted
            or not _DIGEST.fullmatch(chosen)
        ):
            raise RegistryError(f"{self._where(repository, reference)}: no image for {platform}")
        return chosen

    def _bounded_manifest(self, repository: str, reference: str) -> tuple[bytes, str]:
        """The manifest's bytes (at most :data:`MAX_MANIFEST_BYTES`) and their sha256 digest."""
        # lazy: a resolution only: a local hit does not pay for it
        import hashlib  # noqa: PLC0415

        response = self._request(
            "GET", repository, f"manifests/{reference}", MANIFEST_ACCEPT, limit=MAX_MANIFEST_BYTES
        )
        self._check(response, repository, reference)
        body = response.content
        return body, "sha256:" + hashlib.sha256(body).hexdigest()

    def get_blob_json(self, repository: str, digest: str) -> dict[str, Any]:
        """A JSON blob (an image config) by digest."""
        response = self._request("GET", repository, f"blobs/{digest}", "*/*")
        self._check(response, repository, digest)
        return _json_object(response.content, self._where(repository, digest), subject="blob is ")

    def image_labels(
        self, repository: str, reference: str, *, platform: str | None = None
    ) -> dict[str, str]:
        """The labels of the image ``repository:reference`` (``config.Labels``).

        For a multi-platform index, the manifest for ``platform`` (``os/arch[/variant]``) is
        read, or the first one when ``platform`` is ``None`` or absent from the index.
        """
        manifest = self.get_manifest(repository, reference)
        if manifest.media_type in INDEX_TYPES or "manifests" in manifest.document:
            child = _pick_platform(manifest.document.get("manifests") or [], platform)
            if child is None:
                return {}
            manifest = self.get_manifest(repository, str(child["digest"]))
        config = manifest.document.get("config") or {}
        digest = config.get("digest") if isinstance(config, dict) else None
        if not digest:
            return {}
        blob = self.get_blob_json(repository, str(digest))
        inner = blob.get("config")
        labels = inner.get("Labels") if isinstance(inner, dict) else None
        if not isinstance(labels, dict):
            return {}
        return {str(k): str(v) for k, v in labels.items()}

    def iter_names(self, path: str, key: str, scope: str, *, page: int = 1000) -> Iterator[str]:
        """Every name of a paginated list, page by page (``n`` and the ``Link`` to the next).

        Args:
            path: ``_catalog`` (``key`` ``repositories``, ``scope`` ``registry:catalog:*``) or
                ``<repository>/tags/list`` (``key`` ``tags``).
            page: names asked for per page (a registry may answer fewer, or ignore it).

        Raises:
            RepositoryNotFound: the repository of a tag list does not exist.
            AccessDenied, RegistryError: see the module docs; also a page over
                :data:`MAX_PAGE` bytes, a page linking back to one already read, or more than
                :data:`MAX_PAGES` pages.
        """
        target = f"{path}?n={page}"
        seen = {target}
        for _ in range(MAX_PAGES):
            response = self._call("GET", target, "application/json", scope, MAX_PAGE)
            if response.status_code == 404:
                raise RepositoryNotFound(f"{self.host}/v2/{path}: not found")
            self._check(response, path, "")
            body = _json_object(response.content, f"{self.host}/v2/{path}")
            names = body.get(key) or []  # registry:2 answers "tags": null for none
            if not isinstance(names, list):
                raise RegistryError(f"{self.host}/v2/{path}: {key} is not a list")
            yield from (n for n in names if isinstance(n, str))
            link = _next_link(response.headers.get("Link", ""))
            if not link:
                return
            if link in seen:
                raise RegistryError(f"{self.host}/v2/{path}: the next page links back")
            seen.add(link)
            target = link
        raise RegistryError(f"{self.host}/v2/{path}: more than {MAX_PAGES} pages")

    def delete_manifest(self, repository: str, digest: str) -> bool:
        """Delete the manifest ``digest`` (and with it every tag on it).

        Returns:
            True when deleted, False when it was already gone.

        Raises:
            DeletionRefused: the registry does not allow deletion (405 or ``UNSUPPORTED``).
            AccessDenied, RegistryError: see the module docs.
        """
        response = self._request(
            "DELETE", repository, f"manifests/{digest}", MANIFEST_ACCEPT, action="delete"
        )
        codes = _error_codes(response)
        if response.status_code == 405 or "UNSUPPORTED" in codes:
            raise DeletionRefused(
                f"{self.host} does not allow deleting images (HTTP {response.status_code}"
                f"{' ' + ','.join(codes) if codes else ''}): nothing was deleted from {repository}"
            )
        if response.status_code == 404:
            return False
        self._check(response, repository, digest)
        return True

    # -- HTTP and auth ------------------------------------------------------------------

    def _request(
        self,
        method: str,
        repository: str,
        path: str,
        accept: str,
        *,
        action: str = "pull",
        limit: int = MAX_DOCUMENT,
    ) -> Answer:
        return self._call(
            method, f"{repository}/{path}", accept, f"repository:{repository}:{action}", limit
        )

    def _call(self, method: str, path: str, accept: str, scope: str, limit: int) -> Answer:
        """``method /v2/<path>`` with the login the registry asks for; the body read (bounded)."""
        url = f"{self.base}/v2/{path}"
        headers = {"Accept": accept}
        self._authorize(headers, scope)
        response = self._send(method, url, headers, limit)
        if response.status_code == 401 and self._answer_challenge(response, scope):
            headers = {"Accept": accept}
            self._authorize(headers, scope)
            response = self._send(method, url, headers, limit)
        return response

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], limit: int = MAX_DOCUMENT
    ) -> Answer:
        return self._transport.send(method, url, headers, limit)

    def _authorize(self, headers: dict[str, str], scope: str) -> None:
        if self._scheme == "basic" and self._credentials:
            # lazy: rare: a local hit does not pay for it
            import base64  # noqa: PLC0415

            raw = f"{self._credentials[0]}:{self._credentials[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        elif self._scheme == "bearer" and scope in self._bearer:
            headers["Authorization"] = f"Bearer {self._bearer[scope]}"

    def _answer_challenge(self, response: Answer, scope: str) -> bool:
        """Learn the scheme from a 401; fetch a bearer token if asked. False: cannot answer."""
        challenge = response.headers.get("WWW-Authenticate", "")
        kind, _, rest = challenge.partition(" ")
        kind = kind.lower()
        if kind == "basic":
            if not self._credentials or self._scheme == "basic":
                return False
            self._scheme = "basic"
            return True
        if kind == "bearer":
            if self._scheme == "bearer" and scope in self._bearer:
                return False  # the token we just sent was refused
            params = dict(_CHALLENGE_PARAM.findall(rest))
            self._bearer[scope] = self._fetch_token(params, scope)
            self._scheme = "bearer"
            return True
        return False

    def _fetch_token(self, params: Mapping[str, str], scope: str) -> str:
        realm = params.get("realm")
        if not realm:
            raise RegistryError(f"{self.host}: bearer challenge without a realm")
        query = {"service": params.get("service", ""), "scope": params.get("scope") or scope}
        try:
            response = self._session.get(
                realm, params=query, auth=self._credentials, timeout=self._timeout, stream=True
            )
        except requests.RequestException as exc:
            raise RegistryError(f"{self.host}: token endpoint: {type(exc).__name__}") from exc
        content = read_bounded(response, MAX_DOCUMENT, f"{self.host}: token endpoint")
        if response.status_code in (401, 403):
            raise AccessDenied(f"{self.host}: the token endpoint refused the login")
        if response.status_code != 200:
            raise RegistryError(f"{self.host}: token endpoint answered {response.status_code}")
        try:
            body = _decode(content)
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError) as exc:
            raise RegistryError(f"{self.host}: token endpoint answered no token") from exc
        if not token:
            raise RegistryError(f"{self.host}: token endpoint answered no token")
        return str(token)

    def _check(self, response: Answer, repository: str, reference: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        where = self._where(repository, reference)
        codes = _error_codes(response)
        if status == 404:
            if "NAME_UNKNOWN" in codes:
                raise RepositoryNotFound(f"{where}: repository not found")
            raise TagNotFound(f"{where}: not found")
        if status in (401, 403):
            raise AccessDenied(f"{where}: access denied ({status})")
        raise RegistryError(f"{where}: HTTP {status}{' ' + ','.join(codes) if codes else ''}")

    def _where(self, repository: str, reference: str) -> str:
        if not reference:
            return f"{self.host}/{repository}"
        sep = "@" if reference.startswith("sha256:") else ":"
        return f"{self.host}/{repository}{sep}{reference}"


def _decode(body: bytes) -> Any:
    """A body's JSON, bounded in depth and strict (deep nesting, ``1e400``, a number over
    1,000 digits: a ``ValueError``, never ``RecursionError``); its size is already bounded."""
    return boundedjson.loads(body, max_chars=MAX_PAGE, max_depth=_MAX_DEPTH)


def _json_object(
    body: bytes, where: str, *, kind: str = "a JSON object", subject: str = ""
) -> dict[str, Any]:
    """``body``'s JSON object (see :func:`_decode`); else a :class:`RegistryError`
    ``{where}: {subject}not JSON`` or ``{where}: {subject}not {kind}``."""
    try:
        data = _decode(body)
    except ValueError as exc:
        raise RegistryError(f"{where}: {subject}not JSON") from exc
    if not isinstance(data, dict):
        raise RegistryError(f"{where}: {subject}not {kind}")
    return data


def _next_link(header: str) -> str | None:
    """The path after ``/v2/`` of a ``Link: <…>; rel="next"``, on this host whatever it names."""
    found = _NEXT_LINK.search(header)
    if found is None:
        return None
    parts = urlsplit(found.group(1))
    if not parts.path.startswith("/v2/"):
        return None
    return parts.path[len("/v2/") :] + (f"?{parts.query}" if parts.query else "")


def _error_codes(response: Answer) -> list[str]:
    if not response.content:
        return []
    try:
        errors = _decode(response.content).get("errors") or []
        return [str(e.get("code")) for e in errors if isinstance(e, dict)]
    except (ValueError, AttributeError):
        return []


def _pick_platform(entries: list[Any], platform: str | None) -> dict[str, Any] | None:
    candidates = [e for e in entries if isinstance(e, dict) and e.get("digest")]
    if not candidates:
        return None
    if platform:
        want = platform.split("/")
        # Exact first (variant included when asked for), then os/arch alone.
        for size in (len(want), 2):
            for entry in candidates:
                p = entry.get("platform") or {}
                have = [
                    str(p.get("os", "")),
                    str(p.get("architecture", "")),
                    str(p.get("variant", "")),
                ]
                if have[:size] == want[:size]:
                    return dict(entry)
    # Attestation manifests (buildx) carry platform unknown/unknown: never pick one of those.
    for entry in candidates:
        if (entry.get("platform") or {}).get("os") != "unknown":
            return dict(entry)
    return dict(candidates[0])
