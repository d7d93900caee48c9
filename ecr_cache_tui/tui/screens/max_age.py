"""Edit a repository's ``max-age-days`` (or that of every marked pipeline at once), with a live
preview of what it would expire at once.

The editor only plans (``CacheService.plan_policies``, no side effect); it dismisses with the
plans, and the app then asks in the confirmation modal, showing the rule before and after, a
policy not written by ecr-cache in full, and what would expire, oldest push first, with sizes,
the total and the storage cost saved.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Button, Input

from ecr_cache_tui import lifecycle
from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.messages import PolicyPlanned
from ecr_cache_tui.tui.screens.days_dialog import DaysDialog

if TYPE_CHECKING:
    from ecr_cache_tui.lifecycle import ExpiringImage
    from ecr_cache_tui.model import PolicyPlan
    from ecr_cache_tui.ports import CacheServiceApi

__all__ = [
    "MaxAgeScreen",
    "bulk_preview_text",
    "plans_text",
    "policy_lines",
    "preview_text",
    "rule_text",
]

#: Images listed one by one in a preview (oldest first); the rest are counted and sized.
PREVIEW_LIMIT = 12


def rule_text(days: int | None, has_policy: bool) -> str:
    """``max age 30 days`` / ``max age none (no lifecycle policy)`` / ``… custom policy``."""
    return f"max age {fmt.max_age_rule(days, has_policy)}"


def _foreign(plan: PolicyPlan) -> bool:
    """A policy that ecr-cache did not write, which the change would replace."""
    return plan.before_text is not None and plan.before_days is None and plan.changed


def policy_lines(policy: str) -> list[str]:
    """A policy's JSON in full, one rule a line (as written: keys in their order), so that a
    hand-written policy fits a dialog on a small terminal; text that is not JSON as it is."""
    try:
        document = json.loads(policy)
    except json.JSONDecodeError:
        return policy.splitlines()
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or set(document) != {"rules"}:
        return lifecycle.pretty_policy(policy).splitlines()
    lines = ['{"rules": [']
    lines += [
        f"  {json.dumps(rule)}{',' if i < len(rules) - 1 else ''}" for i, rule in enumerate(rules)
    ]
    return [*lines, "]}"]


def _policy_json(text: Text, plan: PolicyPlan, indent: str = "  ") -> None:
    for line in policy_lines(plan.before_text or ""):
        text.append(f"{indent}{line}\n")


def _expiring_totals(count: int, kept: int, size: int, saving: float) -> str:
    return (
        f"{count} of {fmt.plural(count + kept, 'image')} would expire at once: "
        f"{fmt.size(size)}, saving {fmt.cost(saving)}/month"
    )


def _expiring_list(
    text: Text, items: Sequence[tuple[str, ExpiringImage]], *, with_repository: bool
) -> None:
    """The images that would expire, oldest push first, then what was left unlisted."""
    text.append(f"  {'Pushed (UTC)':<16}  {'Size':>9}  Tags\n", style="bold")
    for repository, image in items[:PREVIEW_LIMIT]:
        text.append(f"  {fmt.timestamp(image.pushed_at)}  {fmt.size(image.size_bytes):>9}  ")
        name = image.name
        if with_repository:  # two names on a line: the tag cut, as the tags screen cuts it
            name = f"{repository}: {name if len(name) <= 20 else name[:19] + '…'}"
        text.append(f"{name}\n")
    rest = items[PREVIEW_LIMIT:]
    if rest:
        size = sum(i.size_bytes for _, i in rest)
        text.append(f"  … and {len(rest)} more, {fmt.size(size)}\n", style="italic")


def preview_text(plan: PolicyPlan) -> Text:
    """Before (a policy ecr-cache did not write: in full), after, and what would expire at
    once: oldest push first, with sizes, the total and the storage cost saved."""
    text = Text()
    text.append("Before  ", style="bold")
    text.append(rule_text(plan.before_days, plan.before_text is not None))
    if _foreign(plan):  # replaced: shown in full first
        text.append(", replaced:\n")
        _policy_json(text, plan)
    else:
        text.append("\n")
    text.append("After   ", style="bold")
    text.append(rule_text(plan.after_days, True) + "\n")
    if not plan.changed:
        text.append("\nThe policy already says this: nothing to change.", style="italic")
        return text
    preview = plan.preview
    if not preview.expiring:
        text.append(
            f"\nNo image would expire at once ({preview.kept} kept, "
            f"{fmt.size(preview.kept_bytes)})."
        )
        return text
    totals = _expiring_totals(
        len(preview.expiring), preview.kept, preview.expiring_bytes, plan.saving_usd_month
    )
    text.append(f"\n{totals}\n", style="bold")
    _expiring_list(text, [(plan.repository, i) for i in preview.expiring], with_repository=False)
    text.rstrip()
    return text


def bulk_preview_text(plans: Sequence[PolicyPlan], days: int) -> Text:
    """One preview for a max age set on several pipelines: each one's change, the policies
    replaced (in full), the total that would expire and what it saves, oldest push first."""
    text = Text()
    changed = [p for p in plans if p.changed]
    text.append(f"After   {rule_text(days, True)}, on {len(plans)} pipelines\n", style="bold")
    for plan in plans:
        before = fmt.max_age(plan.before_days, plan.before_text is not None)
        if not plan.changed:
            what = "unchanged (already so)"
        elif plan.preview.expiring:
            what = f"{len(plan.preview.expiring)} expire, {fmt.size(plan.preview.expiring_bytes)}"
        else:
            what = "none expire"
        text.append(f"  {plan.repository}", style="bold")
        text.append(f"  {before} → {fmt.max_age(days, True)}: {what}\n")
    foreign = [p for p in changed if _foreign(p)]
    if foreign:
        text.append("\nPolicies not written by ecr-cache, replaced:\n")
    for plan in foreign:
        text.append(f"  {plan.repository}:\n")
        _policy_json(text, plan, indent="    ")
    expiring = sorted(
        ((p.repository, i) for p in changed for i in p.preview.expiring),
        key=lambda pair: (pair[1].pushed_at, pair[0], pair[1].name),
    )
    if not changed:
        text.append("\nEvery policy already says this: nothing to change.", style="italic")
        return text
    if not expiring:
        text.append("\nNo image would expire at once.")
        return text
    totals = _expiring_totals(
        len(expiring),
        sum(p.preview.kept for p in changed),
        sum(p.preview.expiring_bytes for p in changed),
        sum(p.saving_usd_month for p in changed),
    )
    text.append(f"\nIn all, {totals}\n", style="bold")
    _expiring_list(text, expiring, with_repository=True)
    text.rstrip()
    return text


def plans_text(plans: Sequence[PolicyPlan]) -> Text:
    """The preview of ``plans``: :func:`preview_text` for one, :func:`bulk_preview_text` for
    several."""
    if len(plans) == 1:
        return preview_text(plans[0])
    return bulk_preview_text(plans, plans[0].after_days)


class MaxAgeScreen(DaysDialog["PolicyPlan"]):
    """The max-age editor for ``repositories`` (one, or the pipelines marked), starting at
    ``days``; dismisses with the plans (one per repository) or ``None``."""

    DOING = "max age"

    def __init__(self, repositories: str | Sequence[str], days: int | None) -> None:
        super().__init__(
            (repositories,) if isinstance(repositories, str) else repositories, days, id="max-age"
        )
        self.repository = self.repositories[0]

    @property
    def plan(self) -> PolicyPlan | None:
        """The plan of the first repository (the only one, usually)."""
        return self.plans[0] if self.plans else None

    def heading(self) -> str:
        if len(self.repositories) == 1:
            return f"Max age of {self.repository}"
        return f"Max age of {len(self.repositories)} marked pipelines"

    def plan_days(self, service: CacheServiceApi, days: int) -> Sequence[PolicyPlan]:
        return service.plan_policies(self.repositories, days)

    def planned(self, days: int, plans: Sequence[PolicyPlan]) -> Message:
        return PolicyPlanned(plans)

    @property
    def _changes(self) -> bool:
        return self.plans is not None and any(p.changed for p in self.plans)

    @on(PolicyPlanned)
    def _planned(self, event: PolicyPlanned) -> None:
        event.stop()
        changes = any(p.changed for p in event.plans)
        self._show(event.plan.after_days, event.plans, plans_text(event.plans), changes=changes)

    @on(Input.Submitted, "#days")
    def _submitted(self) -> None:
        if self.plans is not None and self._changes:
            self.dismiss(self.plans)

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        if self.plans is not None:
            self.dismiss(self.plans)
