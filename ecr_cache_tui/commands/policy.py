"""``ecr-cache policy get|set PIPELINE``: a cache repository's max-age lifecycle policy.

``policy get`` shows the policy and the max age it enforces (``none`` without a policy,
``custom`` for one this tool did not write). ``policy set --max-age-days N`` shows the rule before
and after and how many existing images would expire at once, then writes it; when the change
would expire images at once it asks first (``--yes`` skips the question), since ECR deletes them
within a day. ``--dry-run`` only shows. A repository outside the cache prefix is refused unless
``--force``. A later build of the pipeline keeps this value unless its pipeline sets
``max-age-days`` (SPEC §4 step 4).

``--json`` shapes::

    get: {"repository", "max_age_days", "policy": <the policy document> | null,
         "policies_known": false on a registry without policies (OCI)}
    set: {"repository", "before": {"max_age_days", "policy"}, "after": {"max_age_days",
          "policy"}, "expire_now": [names], "kept": N, "changed": bool, "applied": bool,
          "dry_run": bool, "expiring": [{"name", "pushed_at", "size_bytes"}] (oldest push
          first), "expiring_bytes": N, "saving_usd_month": X}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, TYPE_CHECKING, Any

from ecr_cache_tui import figures
from ecr_cache_tui.commands._maintainer import (
    add_aws_arguments,
    add_change_arguments,
    add_json_argument,
    add_pipeline_argument,
    ask,
    print_json,
    service_from_args,
    table,
)
from ecr_cache_tui.errors import UsageError
from ecr_cache_tui.lifecycle import pretty_policy

if TYPE_CHECKING:
    from ecr_cache_tui.model import PolicyPlan

#: Images that would expire listed one by one (oldest push first); the rest are summed up.
SHOWN = 10


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; use a whole number >= 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    get = sub.add_parser("get", help="show the policy", description="show the policy")
    add_pipeline_argument(get)
    add_json_argument(get)
    add_aws_arguments(get)
    put = sub.add_parser("set", help="set the max age", description="set the max age")
    add_pipeline_argument(put)
    put.add_argument(
        "--max-age-days",
        type=_days,
        required=True,
        metavar="N",
        help="expire images N days after push (a whole number >= 1)",
    )
    add_change_arguments(put, dry_run="only show the change")
    add_aws_arguments(put)


def run(args: argparse.Namespace) -> int:
    """Show or set the policy."""
    service = service_from_args(args)
    repository = service.resolve(args.pipeline)
    if args.action == "get":
        view = service.get_policy(repository)
        if args.json:
            print_json(
                {
                    "repository": repository,
                    "max_age_days": view.max_age_days,
                    "policy": _document(view.text),
                    "policies_known": view.known,
                }
            )
        elif not view.known:
            print(
                f"{repository}: max age {figures.UNKNOWN}: the registry has no lifecycle "
                f"policies (`ecr-cache prune {repository} --max-age-days N` expires by hand)"
            )
        else:
            rule = figures.max_age_rule(view.max_age_days, view.text is not None)
            print(f"{repository}: max age {rule}")
            if view.text:
                print(pretty_policy(view.text))
        return 0
    if args.action != "set":  # pragma: no cover - argparse only allows get and set
        raise UsageError(f"policy: unknown action {args.action!r}; use get or set")
    plan = service.plan_policy(repository, args.max_age_days, force=args.force)
    out = sys.stderr if args.json else sys.stdout
    _print_plan(plan, out)
    applied = False
    if args.dry_run:
        print("Dry run: policy not changed.", file=sys.stderr)
    elif not plan.changed:
        days = figures.plural(plan.after_days, "day")
        print(f"{repository}: already {days}; nothing to change.", file=sys.stderr)
    elif (
        plan.preview.expire_now
        and not args.yes
        and not ask(f"Set max age of {repository} to {figures.plural(plan.after_days, 'day')}?")
    ):
        print("Policy not changed.", file=sys.stderr)
    else:
        applied = service.apply_policy(plan)
        print(f"{repository}: max age set to {figures.plural(plan.after_days, 'day')}.", file=out)
    if args.json:
        print_json(_plan_json(plan, applied=applied, dry_run=args.dry_run))
    return 0


def _print_plan(plan: PolicyPlan, out: IO[str]) -> None:
    print(f"{plan.repository}", file=out)
    print(
        f"  before: max age {figures.max_age_rule(plan.before_days, plan.before_text is not None)}",
        file=out,
    )
    if plan.before_text:
        print(_indent(pretty_policy(plan.before_text)), file=out)
    print(f"  after:  max age {figures.max_age_rule(plan.after_days, True)}", file=out)
    print(_indent(pretty_policy(plan.after_text)), file=out)
    preview = plan.preview
    expiring = preview.expiring
    total = len(expiring) + preview.kept
    line = f"  {len(expiring)} of {figures.plural(total, 'image')} would expire at once"
    if expiring:  # as the TUI's preview says it: the size, the saving, oldest push first
        line += (
            f": {figures.size(preview.expiring_bytes)}, "
            f"saving {figures.cost(plan.saving_usd_month)}/month"
        )
    print(line, file=out)
    rows = [
        [figures.timestamp(i.pushed_at), figures.size(i.size_bytes), i.name]
        for i in expiring[:SHOWN]
    ]
    if rows:
        for row in table(["PUSHED", "SIZE", "TAGS"], rows, right={"SIZE"}):
            print(f"    {row}", file=out)
    if len(expiring) > SHOWN:
        rest = expiring[SHOWN:]
        size = figures.size(sum(i.size_bytes for i in rest))
        print(f"    … and {len(rest)} more, {size}", file=out)


def _plan_json(plan: PolicyPlan, *, applied: bool, dry_run: bool) -> dict[str, Any]:
    return {
        "repository": plan.repository,
        "before": {"max_age_days": plan.before_days, "policy": _document(plan.before_text)},
        "after": {"max_age_days": plan.after_days, "policy": _document(plan.after_text)},
        "expire_now": list(plan.preview.expire_now),
        "kept": plan.preview.kept,
        "changed": plan.changed,
        "applied": applied,
        "dry_run": dry_run,
        "expiring": [
            {"name": i.name, "pushed_at": i.pushed_at.isoformat(), "size_bytes": i.size_bytes}
            for i in plan.preview.expiring
        ],
        "expiring_bytes": plan.preview.expiring_bytes,
        "saving_usd_month": plan.saving_usd_month,
    }


def _document(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())
