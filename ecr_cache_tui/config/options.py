"""The plugin's option names and the defaults that more than one layer needs (one home each)."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "CACHE_PREFIX",
    "DEFAULT_BASE_IMAGE_CHECK_MINUTES",
    "DEFAULT_MAX_AGE_DAYS",
    "DEFAULT_REGION",
    "MAX_BASE_IMAGE_CHECK_MINUTES",
    "OPTIONS",
    "VERIFY_LABEL_CHOICES",
    "RegistryProvider",
    "VerifyLabel",
    "normalise_prefix",
]

RegistryProvider = Literal["ecr", "oci"]
#: ``verify-label``: what a hit whose inputs label names other inputs does.
VerifyLabel = Literal["rebuild", "fail", "warn"]
VERIFY_LABEL_CHOICES: tuple[VerifyLabel, ...] = ("rebuild", "fail", "warn")

#: Every option the plugin accepts, in SPEC §2.1's order then ours (``plugin.yml`` declares the
#: same set).
OPTIONS: tuple[str, ...] = (
    "dockerfile",
    "dockerfile-inline",
    "context",
    "target",
    "build-args",
    "additional-build-args",
    "secrets",
    "cache-on",
    "ecr-name",
    "ecr-tags",
    "max-age-days",
    "export-env-variable",
    "region",
    "skip-pull-from-cache",
    "registry-hostname",
    "registry-provider",
    "platform",
    "account-id",
    "cache-from",
    "unhashed-build-args",
    "force-rebuild",
    "push-latest",
    "annotate",
    "push",
    "push-from-forks",
    "verify-label",
    "base-image-digests",
    "base-image-check-minutes",
    "cache-on-copied",
)

DEFAULT_REGION = "eu-west-1"

#: Images expire this many days after push when ``max-age-days`` is not set (SPEC §2.1).
DEFAULT_MAX_AGE_DAYS = 30

#: Where ``ecr-name`` puts every pipeline's repository by default, and what the maintainers'
#: commands list: ``build-cache/<organisation>/<pipeline>``. Always ends with ``/``.
CACHE_PREFIX = "build-cache/"


def normalise_prefix(prefix: str) -> str:
    """A repository prefix as the maintainers' commands and the TUI use it: ending in ``/``.

    ``build-cache`` becomes ``build-cache/`` (a prefix names a folder of repositories, so
    ``build-cache`` must not also match ``build-cache-old/...``); the empty prefix (every
    repository) stays empty.
    """
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


#: How long a base image's resolved digest is trusted on the host when
#: ``base-image-check-minutes`` is not set; the most it may be set to (a week).
DEFAULT_BASE_IMAGE_CHECK_MINUTES = 60
MAX_BASE_IMAGE_CHECK_MINUTES = 7 * 24 * 60
