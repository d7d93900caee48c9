"""``ecr-cache rebuild``: evict cached tags so the next build rebuilds, or rebuild now.

``rebuild PIPELINE --tag T [--tag T …]`` or ``rebuild PIPELINE --all`` lists exactly what it will
delete and asks (``--yes`` skips the question, ``--dry-run`` only lists). Deleting a tag removes
that tag; an image that also carries ``latest`` stays under ``latest`` (so the next build can
still use it as ``--cache-from``). ``--all`` deletes every image by digest, untagged ones
included. A repository outside the prefix is refused unless ``--force``.

On ``--registry-provider oci`` a tag is deleted by its manifest's digest (the distribution API
deletes manifests, not tags): every other tag on the same digest goes with it, and the
confirmation names it (``same digest as …: deleting it removes both``). A registry that does
not allow deletion is one line and exit 3, with nothing deleted.

A refused confirmation deletes nothing and exits 0; no answer at all (stdin at its end, e.g. a
cron job without ``--yes``) deletes nothing and exits 2. Deletions ECR refused exit 3.

``rebuild --here`` (in a checkout) computes the current tag from the plugin configuration, as
``ecr-cache checksum`` does, builds it with ``--pull --no-cache`` and pushes it over the cached
one: for base-image security patches without waiting for expiry.

``--json`` prints ``{"repository", "uri", "everything", "dry_run", "tags": [{"tag", "digest",
"pushed_at", "size_bytes", "shared_with", "goes_with"}], "untagged": [digest], "deleted": [{"tag",
"digest"}], "failures": [{"tag", "digest", "code", "reason"}]}``.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, TYPE_CHECKING, Any

from ecr_cache_tui import figures
from ecr_cache_tui.commands._maintainer import (
    add_aws_arguments,
    add_change_arguments,
    add_pipeline_argument,
    confirm_deletion,
    iso,
    print_deletions,
    print_json,
    service_from_args,
)
from ecr_cache_tui.commands.checksum import add_config_arguments
from ecr_cache_tui.errors import RemoteError, UsageError

if TYPE_CHECKING:
    from ecr_cache_tui.model import EvictionItem, EvictionPlan, EvictionResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    add_pipeline_argument(parser, optional=True)
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="a tag to evict (repeatable)"
    )
    which.add_argument("--all", action="store_true", help="evict every image of the pipeline")
    which.add_argument(
        "--here",
        action="store_true",
        help="in a checkout: build the current tag with --pull --no-cache and push it now",
    )
    add_change_arguments(parser, dry_run="only list what would be deleted")
    here = parser.add_argument_group("--here")
    here.add_argument(
        "--checkout", default=".", help="the checkout (default: the current directory)"
    )
    add_config_arguments(here)
    add_aws_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Evict tags (or rebuild now with ``--here``)."""
    if args.here:
        # lazy: a subcommand loads what it runs only when it runs (--help stays light)
        from ecr_cache_tui.commands._rebuild_here import rebuild_here  # noqa: PLC0415

        return rebuild_here(args)
    if args.config is not None or args.config_file is not None:
        raise UsageError("--config/--config-file: only used with --here")
    if args.pipeline is None:
        raise UsageError("PIPELINE: missing; give org/pipeline or a repository name (or --here)")
    if not args.tag and not args.all:
        raise UsageError("rebuild: say what to evict: --tag TAG (repeatable) or --all")
    service = service_from_args(args)
    repository = service.resolve(args.pipeline)
    plan = service.plan_eviction(repository, None if args.all else args.tag, force=args.force)
    if plan.empty:
        _report(plan, None, dry_run=args.dry_run, as_json=args.json)
        if not args.json:
            print(f"{repository}: nothing to delete.", file=sys.stderr)
        return 0
    if args.dry_run:
        if args.json:
            _report(plan, None, dry_run=True, as_json=True)
        else:
            _print_plan(plan, sys.stdout)
            print("Dry run: nothing deleted.", file=sys.stderr)
        return 0
    if not confirm_deletion(args, lambda out: _print_plan(plan, out), _question(plan)):
        return 0
    result = service.evict(plan)
    _report(plan, result, dry_run=False, as_json=args.json)
    if not result.ok:
        raise RemoteError(
            f"{repository}: {len(result.failures)} of {len(plan.items) or len(plan.digests)} "
            "not deleted: "
            + "; ".join(f"{f.tag or f.digest}: {f.code} {f.reason}" for f in result.failures)
        )
    return 0


def _question(plan: EvictionPlan) -> str:
    if plan.everything:
        count = len(plan.digests)
        return f"Delete all {count} image{'s' if count != 1 else ''} of {plan.repository}?"
    count = len(plan.items)
    tags = f"{count} tag{'s' if count != 1 else ''}"
    if plan.by_digest:
        images = figures.plural(len(plan.digests), "image")
        return f"Delete {tags} ({images}, by digest) from {plan.repository}?"
    return f"Delete {tags} from {plan.repository}?"


def _print_plan(plan: EvictionPlan, out: IO[str]) -> None:
    what = "every image" if plan.everything else "these tags"
    print(f"Will delete {what} of {plan.repository} ({plan.uri}):", file=out)
    print_deletions(plan.items, plan.untagged, _note, out)


def _note(item: EvictionItem) -> str:
    if item.shared_with:
        return f"image stays: also tagged {', '.join(item.shared_with)}"
    if item.goes_with:
        return f"same digest as {', '.join(item.goes_with)}: deleting it removes both"
    return ""


def _report(
    plan: EvictionPlan, result: EvictionResult | None, *, dry_run: bool, as_json: bool
) -> None:
    if not as_json:
        if result is not None:
            print(f"Deleted {len(result.deleted)} from {plan.repository}.")
        return
    data: dict[str, Any] = {
        "repository": plan.repository,
        "uri": plan.uri,
        "everything": plan.everything,
        "dry_run": dry_run,
        "tags": [
            {
                "tag": i.tag,
                "digest": i.digest,
                "pushed_at": iso(i.pushed_at),
                "size_bytes": i.size_bytes,
                "shared_with": list(i.shared_with),
                "goes_with": list(i.goes_with),
            }
            for i in plan.items
        ],
        "untagged": list(plan.untagged),
        "deleted": [{"tag": d.tag, "digest": d.digest} for d in (result.deleted if result else ())],
        "failures": [
            {"tag": f.tag, "digest": f.digest, "code": f.code, "reason": f.reason}
            for f in (result.failures if result else ())
        ],
    }
    print_json(data)
