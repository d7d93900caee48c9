"""``ecr-cache ls [PIPELINE]``: the cached pipelines, or the tags of one.

Without ``PIPELINE``: every repository under the prefix with its tag count, total size, newest
push, max age and estimated monthly storage cost. With ``PIPELINE`` (``org/pipeline`` or a
repository name): its tags, newest first, with digest, push time, size, last pull, expiry under
the current policy and which ones are ``latest``. ``--json`` shapes::

    {"prefix": "build-cache/", "pipelines": [{"repository", "organisation", "pipeline", "uri",
      "created_at", "tag_count", "image_count", "total_bytes", "newest_push", "max_age_days",
      "has_policy", "monthly_cost_usd", "policies_known", "pulls_known"}, ...]}
    {"repository", "uri", "max_age_days", "policies_known", "tags": [{"tag", "digest",
      "pushed_at", "size_bytes", "last_pulled", "expires_at", "latest", "other_tags", "uri",
      "pulls_known"}, ...]}

On ``--registry-provider oci`` (any OCI registry) the same figures come from the distribution
API; what a registry does not record is ``unknown`` for people and ``*_known: false`` in JSON:
last pulls (``last_pulled`` null) and max age (no lifecycle policies; ``ecr-cache prune``).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ecr_cache_tui import figures
from ecr_cache_tui.commands._maintainer import (
    add_aws_arguments,
    add_json_argument,
    add_pipeline_argument,
    iso,
    print_json,
    service_from_args,
    table,
)

if TYPE_CHECKING:
    from ecr_cache_tui.model import PipelineSummary, TagInfo
    from ecr_cache_tui.service import CacheService


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    add_pipeline_argument(parser, optional=True)
    add_json_argument(parser)
    add_aws_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """List pipelines, or one pipeline's tags."""
    service = service_from_args(args)
    if args.pipeline is None:
        _pipelines(service, as_json=args.json)
    else:
        _tags(service, service.resolve(args.pipeline), as_json=args.json)
    return 0


def _pipelines(service: CacheService, *, as_json: bool) -> None:
    pipelines = service.list_pipelines(with_stats=True)
    if as_json:
        print_json({"prefix": service.prefix, "pipelines": [_pipeline_json(p) for p in pipelines]})
        return
    if not pipelines:
        print(f"No cached pipelines under {service.prefix!r}.", file=sys.stderr)
        return
    rows = []
    total_bytes = 0
    total_cost = 0.0
    for p in pipelines:
        s = p.stats
        assert s is not None
        total_bytes += s.total_bytes
        total_cost += s.monthly_cost_usd
        rows.append(
            [
                p.organisation or "-",
                p.pipeline,
                str(s.tag_count),
                figures.size(s.total_bytes),
                figures.timestamp(s.newest_push),
                figures.max_age(s.max_age_days, s.has_policy, known=s.policies_known),
                figures.cost(s.monthly_cost_usd),
            ]
        )
    headers = ["ORGANISATION", "PIPELINE", "TAGS", "SIZE", "NEWEST PUSH", "MAX AGE", "$/MONTH"]
    for line in table(headers, rows, right={"TAGS", "SIZE", "$/MONTH"}):
        print(line)
    print(
        f"{figures.plural(len(pipelines), 'pipeline')}, "
        f"{figures.size(total_bytes)}, about {figures.cost(total_cost)}/month"
    )


def _tags(service: CacheService, repository: str, *, as_json: bool) -> None:
    tags = service.list_tags(repository)
    view = service.get_policy(repository)
    uri = tags[0].uri.rsplit(":", 1)[0] if tags else _uri(service, repository)
    if as_json:
        print_json(
            {
                "repository": repository,
                "uri": uri,
                "max_age_days": view.max_age_days,
                "policies_known": view.known,
                "tags": [_tag_json(t) for t in tags],
            }
        )
        return
    max_age = figures.max_age(view.max_age_days, view.text is not None, known=view.known)
    print(f"{repository}  ({uri}, max age {max_age})")
    if not tags:
        print("No tags.")
        return
    rows = [
        [
            t.tag,
            _short_digest(t.digest),
            figures.timestamp(t.pushed_at),
            figures.size(t.size_bytes),
            figures.timestamp(t.last_pulled) if t.pulls_known else figures.UNKNOWN,
            figures.timestamp(t.expires_at),
            "latest" if t.is_latest else "",
        ]
        for t in tags
    ]
    headers = ["TAG", "DIGEST", "PUSHED", "SIZE", "LAST PULL", "EXPIRES", "LATEST"]
    for line in table(headers, rows, right={"SIZE"}):
        print(line)


def _uri(service: CacheService, repository: str) -> str:
    info = service.ecr.describe_repository(repository)
    return info.uri if info is not None else repository


def _short_digest(digest: str) -> str:
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}:{hex_part[:12]}" if hex_part else digest


def _pipeline_json(p: PipelineSummary) -> dict[str, Any]:
    s = p.stats
    assert s is not None
    return {
        "repository": p.repository,
        "organisation": p.organisation,
        "pipeline": p.pipeline,
        "uri": p.uri,
        "created_at": iso(p.created_at),
        "tag_count": s.tag_count,
        "image_count": s.image_count,
        "total_bytes": s.total_bytes,
        "newest_push": iso(s.newest_push),
        "max_age_days": s.max_age_days,
        "has_policy": s.has_policy,
        "monthly_cost_usd": s.monthly_cost_usd,
        "policies_known": s.policies_known,
        "pulls_known": s.pulls_known,
    }


def _tag_json(t: TagInfo) -> dict[str, Any]:
    return {
        "tag": t.tag,
        "digest": t.digest,
        "pushed_at": iso(t.pushed_at),
        "size_bytes": t.size_bytes,
        "last_pulled": iso(t.last_pulled),
        "expires_at": iso(t.expires_at),
        "latest": t.is_latest,
        "other_tags": list(t.other_tags),
        "uri": t.uri,
        "pulls_known": t.pulls_known,
    }
