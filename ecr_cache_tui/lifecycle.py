"""ECR lifecycle policies for cache repositories: build, read, compare, and preview expiry.

A cache repository has a single rule expiring any image more than N days after it was pushed
(SPEC §4 step 4). These functions are pure: the ECR adapter reads and writes the text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Re-exported for the shells that speak of policies; defined once, in config.options.
from ecr_cache_tui.config.options import DEFAULT_MAX_AGE_DAYS

__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "ExpiringImage",
    "ExpiryPreview",
    "max_age_days",
    "policy_document",
    "policy_text",
    "pretty_policy",
    "preview_expiry",
]

RULE_DESCRIPTION = "ecr-cache: expire images {days} days after push"


def policy_document(days: int) -> dict[str, Any]:
    """The lifecycle policy for ``max-age-days: days``."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": RULE_DESCRIPTION.format(days=days),
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": days,
                },
                "action": {"type": "expire"},
            }
        ]
    }


def policy_text(days: int) -> str:
    """:func:`policy_document` as the JSON text ECR stores (stable key order)."""
    return json.dumps(policy_document(days), sort_keys=True)


def max_age_days(text: str | None) -> int | None:
    """The max age in days a policy enforces, or ``None`` if it is not one we recognise.

    Recognised: a policy whose rules include one ``sinceImagePushed``/``days`` rule with
    ``tagStatus: any``. Policies written by hand with other rules are reported as ``None`` so
    callers never mistake them for ours.
    """
    if not text:
        return None
    try:
        doc = json.loads(text)
        rules = doc["rules"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return None
    if not isinstance(rules, list) or len(rules) != 1:
        return None
    sel = rules[0].get("selection", {}) if isinstance(rules[0], dict) else {}
    if (
        sel.get("tagStatus") == "any"
        and sel.get("countType") == "sinceImagePushed"
        and sel.get("countUnit") == "days"
        and isinstance(sel.get("countNumber"), int)
    ):
        return int(sel["countNumber"])
    return None


def pretty_policy(text: str) -> str:
    """A policy's JSON indented for people (keys sorted); text that is not JSON as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True)
    except json.JSONDecodeError:
        return text


@dataclass(frozen=True)
class ExpiringImage:
    """An image a max age would expire at once."""

    name: str
    """Its tags (``a, latest``), or its digest when untagged."""
    pushed_at: datetime
    size_bytes: int = 0


@dataclass(frozen=True)
class ExpiryPreview:
    """What a max age would do to a repository's images right now."""

    days: int
    expire_now: tuple[str, ...]
    """Tags (or digests of untagged images) pushed more than ``days`` days ago, sorted."""
    kept: int
    expiring: tuple[ExpiringImage, ...] = ()
    """The images of ``expire_now`` with their push times and sizes, oldest push first."""
    kept_bytes: int = 0
    """The size of the images kept."""

    @property
    def expiring_bytes(self) -> int:
        """The size of the images that would expire (an upper bound: layers may be shared)."""
        return sum(i.size_bytes for i in self.expiring)


def expires_at(pushed_at: datetime, days: int) -> datetime:
    """When an image pushed at ``pushed_at`` expires under ``days``."""
    return pushed_at + timedelta(days=days)


def preview_expiry(
    images: Iterable[tuple[str, datetime] | tuple[str, datetime, int]], days: int, now: datetime
) -> ExpiryPreview:
    """Which of ``(name, pushed_at[, size_bytes])`` would expire at once under ``days`` (ECR's
    own rule), oldest push first in ``expiring``."""
    expire: list[ExpiringImage] = []
    kept = kept_bytes = 0
    for name, pushed, *size in images:
        image = ExpiringImage(name, pushed, size[0] if size else 0)
        if expires_at(pushed, days) <= now:
            expire.append(image)
        else:
            kept += 1
            kept_bytes += image.size_bytes
    return ExpiryPreview(
        days=days,
        expire_now=tuple(sorted(i.name for i in expire)),
        kept=kept,
        expiring=tuple(sorted(expire, key=lambda i: (i.pushed_at, i.name))),
        kept_bytes=kept_bytes,
    )


def same_policy(a: str, b: str) -> bool:
    """Whether two policy texts say the same (key order and white space aside)."""
    return _canonical(a) == _canonical(b)


def _canonical(text: str) -> str:
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except json.JSONDecodeError:
        return text
