"""``ecr-cache prune [PIPELINE...] --max-age-days N``: expire tags by hand.

For a registry without lifecycle policies (``--registry-provider oci``) or an ECR repository
whose policy is managed elsewhere: deletes the images pushed more than N days ago, by digest
(every tag on them), always keeping the newest ``--keep`` (default 1) and the image ``latest``
points at (:mod:`ecr_cache_tui.pruning`). Without ``PIPELINE``, every pipeline under the prefix.

It lists what it will delete (tags, digests, sizes, the total) and asks; ``--yes`` does not ask,
``--dry-run`` only lists. No answer at all (a cron job without ``--yes``) deletes nothing and
exits 2. Safe from cron on many agents at once: the cut-off is computed once, and each
repository is listed again just before its deletes with the same decision, so an image that
became ``latest``, gained a tag or is among the newest ``--keep`` by then stays, and an image
already gone is counted, not an error. A registry that refuses deletion is exit 3 with nothing
deleted.

``--json``: ``{"max_age_days", "keep", "cutoff", "dry_run", "pipelines": [{"repository", "uri",
"tags": [{"tag", "digest", "pushed_at", "size_bytes"}], "untagged": [digest], "bytes", "kept",
"deleted": [digest], "gone": [digest], "spared": [digest], "freed_bytes"}], "total_bytes",
"freed_bytes"}``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any

from ecr_cache_tui import figures
from ecr_cache_tui.commands._maintainer import (
    add_aws_arguments,
    add_change_arguments,
    confirm_deletion,
    iso,
    print_deletions,
    print_json,
    service_from_args,
)
from ecr_cache_tui.errors import RemoteError, UsageError
from ecr_cache_tui.pruning import cutoff

if TYPE_CHECKING:
    from ecr_cache_tui.model import EvictionItem, PrunePlan, PruneResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "pipelines",
        nargs="*",
        metavar="PIPELINE",
        help="org/pipeline or a repository name (default: every pipeline under the prefix)",
    )
    parser.add_argument(
        "--max-age-days",
        required=True,
        metavar="N",
        help="delete images pushed more than N days ago (a whole number >= 1)",
    )
    parser.add_argument(
        "--keep",
        default="1",
        metavar="N",
        help="always keep the N most recently pushed images (default 1; latest's always stays)",
    )
    add_change_arguments(parser, dry_run="only list what would be deleted")
    add_aws_arguments(parser)


def _whole(option: str, text: str, least: int) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or int(value) < least or len(value) > 6:
        # lazy: a subcommand loads what it runs only when it runs (--help stays light)
        from ecr_cache_tui.text import show  # noqa: PLC0415

        raise UsageError(
            f"{option}: {show(text)} is not allowed; use a whole number >= {least}", option=option
        )
    return int(value)


def run(args: argparse.Namespace) -> int:
    """Plan, list, ask, delete, report."""
    days = _whole("--max-age-days", args.max_age_days, 1)
    keep = _whole("--keep", args.keep, 0)
    service = service_from_args(args)
    if args.pipelines:
        repositories = list(dict.fromkeys(service.resolve(p) for p in args.pipelines))
    else:
        repositories = [p.repository for p in service.list_pipelines()]
    now = datetime.now(timezone.utc)
    cut = cutoff(now, days)  # once, for every repository
    plans = [
        service.plan_prune(r, days, keep=keep, before=cut, force=args.force) for r in repositories
    ]
    todo = [p for p in plans if not p.eviction.empty]
    if args.dry_run or not todo:
        _output(args, plans, None, days=days, keep=keep, cut=cut)
        if not args.json:
            print("Dry run: nothing deleted." if todo else "Nothing to prune.", file=sys.stderr)
        return 0
    if not confirm_deletion(args, lambda out: _print_plans(todo, out), _question(todo)):
        return 0
    results = [service.prune(p) for p in todo]
    _output(args, plans, results, days=days, keep=keep, cut=cut)
    failures = [f for r in results for f in r.failures]
    if failures:
        raise RemoteError(
            f"{len(failures)} not deleted: "
            + "; ".join(f"{f.tag or f.digest}: {f.code} {f.reason}" for f in failures[:5])
        )
    return 0


def _question(plans: list[PrunePlan]) -> str:
    images = sum(len(p.eviction.digests) for p in plans)
    size = figures.size(sum(p.eviction.freed_bytes for p in plans))
    where = plans[0].repository if len(plans) == 1 else figures.plural(len(plans), "pipeline")
    return f"Delete {figures.plural(images, 'image')} ({size}) from {where}?"


def _print_plans(plans: list[PrunePlan], out: IO[str]) -> None:
    first = plans[0]
    print(
        f"Will delete images pushed before {figures.timestamp(first.cutoff)} UTC "
        f"(max age {first.days}d), keeping the newest {first.keep} and latest's:",
        file=out,
    )
    for plan in plans:
        ev = plan.eviction
        print(f"{plan.repository} ({ev.uri}): {plan.kept} kept", file=out)
        print_deletions(ev.items, ev.untagged, _note, out)
    tags = sum(len(p.eviction.items) for p in plans)
    images = sum(len(p.eviction.digests) for p in plans)
    size = figures.size(sum(p.eviction.freed_bytes for p in plans))
    print(
        f"In all: {figures.plural(tags, 'tag')}, {figures.plural(images, 'image')}, {size}",
        file=out,
    )


def _note(item: EvictionItem) -> str:
    return f"same digest as {', '.join(item.goes_with)}: deleted with it" if item.goes_with else ""


def _output(
    args: argparse.Namespace,
    plans: list[PrunePlan],
    results: list[PruneResult] | None,
    *,
    days: int,
    keep: int,
    cut: datetime,
) -> None:
    by_repo = {r.repository: r for r in results or []}
    if not args.json:
        if results is None:
            if any(not p.eviction.empty for p in plans):
                _print_plans([p for p in plans if not p.eviction.empty], sys.stdout)
            return
        freed = sum(r.freed_bytes for r in results)
        deleted = sum(len({d.digest for d in r.deleted}) for r in results)
        gone = sum(len(r.gone) for r in results)
        spared = sum(len(r.spared) for r in results)
        print(
            f"Deleted {figures.plural(deleted, 'image')}, freed {figures.size(freed)}"
            + (f"; {gone} already gone" if gone else "")
            + (f"; {spared} kept (changed since listed)" if spared else "")
            + "."
        )
        return
    print_json(
        {
            "max_age_days": days,
            "keep": keep,
            "cutoff": iso(cut),
            "dry_run": results is None,
            "pipelines": [_plan_json(p, by_repo.get(p.repository)) for p in plans],
            "total_bytes": sum(p.eviction.freed_bytes for p in plans),
            "freed_bytes": sum(r.freed_bytes for r in results or []),
        }
    )


def _plan_json(plan: PrunePlan, result: PruneResult | None) -> dict[str, Any]:
    ev = plan.eviction
    return {
        "repository": plan.repository,
        "uri": ev.uri,
        "tags": [
            {
                "tag": i.tag,
                "digest": i.digest,
                "pushed_at": iso(i.pushed_at),
                "size_bytes": i.size_bytes,
            }
            for i in ev.items
        ],
        "untagged": list(ev.untagged),
        "bytes": ev.freed_bytes,
        "kept": plan.kept,
        "deleted": sorted({d.digest for d in result.deleted}) if result else [],
        "gone": list(result.gone) if result else [],
        "spared": list(result.spared) if result else [],
        "freed_bytes": result.freed_bytes if result else 0,
    }
