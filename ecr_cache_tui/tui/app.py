"""The Textual app: a thin shell over :class:`ecr_cache_tui.service.CacheService`.

Three levels (pipelines → tags → tag detail) and the modals (help, confirmation, max-age
editor, diff picker) live in :mod:`.screens`; the reusable table in :mod:`.widgets`. Every AWS
call runs in a thread worker and comes back as a typed message (:mod:`.messages`).

Screens never call the app: they post requests (:mod:`.messages`: open, copy, evict, set max
age) and read the app's :class:`~.context.AppContext`. Changes (evicting tags, setting a max
age) are driven from here so that every screen and the command palette share one path: plan
(no side effect) → the confirmation modal states exactly what will happen → only then the
service changes anything. ``read_only`` disables every such action, and this class refuses
them before the service is reached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from ecr_cache_tui.tui import format as fmt
from ecr_cache_tui.tui.context import AppContext
from ecr_cache_tui.tui.messages import (
    AccountFound,
    BackendFailed,
    CacheChanged,
    CopyUri,
    Evicted,
    EvictionDone,
    EvictionPlanned,
    EvictRequested,
    MaxAgeRequested,
    MaxAgeSet,
    OpenPipeline,
    OpenTag,
    PolicyApplied,
    PolicyLoaded,
    Pruned,
    call_backend,
)
from ecr_cache_tui.tui.palette import PipelineCommands
from ecr_cache_tui.tui.screens.base import ServiceScreen, show_error
from ecr_cache_tui.tui.screens.confirm import ConfirmScreen, eviction_text, name_to_type
from ecr_cache_tui.tui.screens.detail import TagDetailScreen
from ecr_cache_tui.tui.screens.help import HelpScreen, KeyHelp
from ecr_cache_tui.tui.screens.max_age import MaxAgeScreen, plans_text
from ecr_cache_tui.tui.screens.pipelines import PipelinesScreen
from ecr_cache_tui.tui.screens.prune import PruneScreen, prune_text
from ecr_cache_tui.tui.screens.tags import TagsScreen

if TYPE_CHECKING:
    from ecr_cache_tui.model import EvictionPlan, PolicyPlan, PrunePlan
    from ecr_cache_tui.ports import CacheServiceApi

__all__ = ["CacheApp"]


class CacheApp(App[None]):
    """``ecr-cache tui``.

    Args:
        service: every AWS call goes through it.
        read_only: hide and disable every action that changes a repository.
        clock: the current time (timezone-aware); injected for deterministic tests.
        source: what the header says the data comes from (``AWS``, ``demo``), followed by the
            ``account``, ``profile`` and ``region``.
        refresh_seconds: reload the screen in front this often (``None``: only on ``r``).
        registries: other registries to browse, ``(source, service)`` each: ``g`` switches
            to the next one (the demo's ECR and OCI registry).
        stats_workers: repositories whose figures load at once. AWS calls wait on the network,
            so several overlap; the demo's moto runs in this process and holds the GIL, so
            more than one only slows the screen down.
    """

    CSS_PATH = "app.tcss"
    TITLE = "ecr-cache"
    COMMANDS: ClassVar = App.COMMANDS | {PipelineCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("g", "switch_registry", "Registry"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        service: CacheServiceApi,
        *,
        read_only: bool = False,
        clock: Callable[[], datetime] | None = None,
        source: str = "AWS",
        stats_workers: int = 8,
        region: str | None = None,
        profile: str | None = None,
        account: str | None = None,
        refresh_seconds: float | None = None,
        registries: Sequence[tuple[str, CacheServiceApi]] = (),
    ) -> None:
        super().__init__()
        self._current_registry = 0
        #: What the screens read (they never import this module).
        self.context = AppContext(
            service=service,
            clock=clock or (lambda: datetime.now(timezone.utc)),
            read_only=read_only,
            source=source,
            stats_workers=max(1, stats_workers),
            region=region,
            profile=profile,
            account=account,
        )
        self.refresh_seconds = refresh_seconds
        self.sub_title = self.context.header()
        # The other registries' contexts: no AWS region, profile or account in their headers.
        self._contexts = [self.context] + [
            replace(self.context, service=s, source=label, region=None, profile=None, account=None)
            for label, s in registries
        ]

    def on_mount(self) -> None:
        if self.refresh_seconds:
            self.set_interval(self.refresh_seconds, self._refresh_in_front)

    async def _refresh_in_front(self) -> None:
        # Only the screen in front, and not under a dialog (a modal is not a ServiceScreen);
        # never over a load still running: its exclusive worker would be cancelled, and a
        # listing slower than the interval would then never finish. Nor before the screen's
        # on_mount has run: its first load is not a worker yet, and a tick's load would race it.
        screen = self.screen
        if isinstance(screen, ServiceScreen) and screen.is_mounted and not screen.busy:
            await screen.run_action("refresh")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_registry":
            return len(self._contexts) > 1
        return True

    def action_switch_registry(self) -> None:
        """Browse the next registry (``g``): back to its pipelines, cursor at the top."""
        if len(self._contexts) < 2:
            return
        self._current_registry = (self._current_registry + 1) % len(self._contexts)
        self.context = self._contexts[self._current_registry]
        self.sub_title = self.context.header()
        source = self.context.source
        while len(self.screen_stack) > 1:
            self.pop_screen()
        base = self.screen_stack[0]
        if isinstance(base, PipelinesScreen):
            base.start_over()
        self.notify(f"Now browsing {source}", title="Registry")

    @on(AccountFound)
    def _account_found(self, event: AccountFound) -> None:
        self.sub_title = self.context.header(event.account)

    @property
    def service(self) -> CacheServiceApi:
        """Every AWS call goes through it."""
        return self.context.service

    @property
    def read_only(self) -> bool:
        """Whether every action that changes a repository is refused."""
        return self.context.read_only

    def get_default_screen(self) -> Screen[None]:
        return PipelinesScreen()

    # -- navigation -----------------------------------------------------------------------

    @on(OpenPipeline)
    def _open_pipeline(self, event: OpenPipeline) -> None:
        self.open_pipeline(event.repository)

    def open_pipeline(self, repository: str) -> None:
        """Show the tags of ``repository`` (from anywhere: back to the list, then in)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        base = self.screen_stack[0]
        if isinstance(base, PipelinesScreen):
            base.select(repository)
        self.push_screen(TagsScreen(repository))

    @on(OpenTag)
    def _open_tag(self, event: OpenTag) -> None:
        # The diff picker offers the pipeline's other tags.
        self.push_screen(TagDetailScreen(event.repository, event.info, event.others))

    @on(CopyUri)
    def _copy_uri(self, event: CopyUri) -> None:
        self.copy_to_clipboard(event.uri)
        self.notify(event.uri, title=f"Copied {event.what}")

    async def action_refresh(self) -> None:
        """Refresh the current screen (the palette's "Refresh")."""
        if isinstance(self.screen, ServiceScreen):
            await self.screen.run_action("refresh")

    def action_help(self) -> None:
        """Help for the current screen."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        self.push_screen(HelpScreen(_screen_name(screen), _screen_keys(screen), self.read_only))

    # -- eviction -------------------------------------------------------------------------

    @on(EvictRequested)
    def _evict_requested(self, event: EvictRequested) -> None:
        """Plan evicting the tags (``None``: every image), then ask; nothing changes yet."""
        if self.read_only:
            self.notify("read-only: nothing can be changed", severity="warning")
            return
        self._plan_eviction(event.repository, event.tags)

    @work(thread=True, exclusive=True, exit_on_error=False, group="mutate")
    def _plan_eviction(self, repository: str, tags: list[str] | None) -> None:
        call_backend(
            self,
            f"plan eviction from {repository}",
            lambda: self.service.plan_eviction(repository, tags),
            EvictionPlanned,
        )

    @on(EvictionPlanned)
    def _eviction_planned(self, event: EvictionPlanned) -> None:
        plan = event.plan
        if plan.empty:
            self.notify(f"{plan.repository} has no images: nothing to evict")
            return
        what = "every image" if plan.everything else fmt.plural(len(plan.items), "tag")

        def confirmed(yes: bool | None) -> None:
            if yes and not self.read_only:
                self._evict(plan)
            else:
                self.notify("Nothing was changed", title="Cancelled")

        typed = name_to_type(plan.repository, self.service.prefix) if plan.everything else None
        self.push_screen(
            ConfirmScreen(
                f"Evict {what} from {plan.repository}?",
                eviction_text(plan),
                confirm="Evict",
                # Every image of a pipeline: its name typed, not one key (as GitHub asks).
                typed=typed,
                also=(plan.repository,),
            ),
            confirmed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="mutate")
    def _evict(self, plan: EvictionPlan) -> None:
        call_backend(
            self, f"evict from {plan.repository}", lambda: self.service.evict(plan), EvictionDone
        )

    @on(EvictionDone)
    def _eviction_done(self, event: EvictionDone) -> None:
        result = event.result
        if result.ok:
            self.notify(
                f"{len(result.deleted)} deleted from {result.repository}: the next build rebuilds",
                title="Evicted",
            )
        else:
            reasons = "; ".join(f"{f.tag or f.digest}: {f.reason}" for f in result.failures[:3])
            self.notify(
                f"{len(result.failures)} not deleted: {reasons}",
                title="Partly evicted",
                severity="warning",
                timeout=10,
            )
        for screen in self.screen_stack:
            screen.post_message(Evicted(result))
        self._changed(result.repository)

    # -- max age --------------------------------------------------------------------------

    @on(MaxAgeRequested)
    def _max_age_requested(self, event: MaxAgeRequested) -> None:
        """Open the max-age editor (after reading the repository's current policy; for several
        repositories, at the default)."""
        if self.read_only:
            self.notify("read-only: nothing can be changed", severity="warning")
            return
        kind = self.service.kind
        if not kind.lifecycle_policies:  # no policies to edit: prune by hand instead
            self._edit_prune(event.repositories, kind.name)
            return
        if len(event.repositories) > 1:
            self._edit_max_age(event.repositories, None)
            return
        self._load_policy(event.repository)

    @work(thread=True, exclusive=True, exit_on_error=False, group="mutate")
    def _load_policy(self, repository: str) -> None:
        call_backend(
            self,
            f"read the policy of {repository}",
            lambda: self.service.get_policy(repository),
            lambda view: PolicyLoaded(repository, view.max_age_days),
        )

    @on(PolicyLoaded)
    def _policy_loaded(self, event: PolicyLoaded) -> None:
        self._edit_max_age((event.repository,), event.days)

    def _edit_max_age(self, repositories: tuple[str, ...], days: int | None) -> None:
        def planned(plans: tuple[PolicyPlan, ...] | None) -> None:
            if plans:
                self._confirm_policy(plans)

        self.push_screen(MaxAgeScreen(repositories, days), planned)

    def _confirm_policy(self, plans: tuple[PolicyPlan, ...]) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes and not self.read_only:
                self._apply_policy(plans)
            else:
                self.notify("Nothing was changed", title="Cancelled")

        days = plans[0].after_days
        where = plans[0].repository if len(plans) == 1 else fmt.plural(len(plans), "pipeline")
        self.push_screen(
            ConfirmScreen(
                f"Set max age of {where} to {fmt.plural(days, 'day')}?",
                plans_text(plans),
                confirm="Apply",
            ),
            confirmed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="mutate")
    def _apply_policy(self, plans: tuple[PolicyPlan, ...]) -> None:
        done: list[PolicyPlan] = []
        written: list[bool] = []
        for plan in plans:  # one failing stops the rest; those done are reported
            try:
                written.append(self.service.apply_policy(plan))
            except Exception as exc:
                self.post_message(BackendFailed(f"set the max age of {plan.repository}", exc))
                break
            done.append(plan)
        if done:
            self.post_message(PolicyApplied(done, written))

    @on(PolicyApplied)
    def _policy_applied(self, event: PolicyApplied) -> None:
        plans = event.plans
        days = fmt.plural(plans[0].after_days, "day")
        changed = sum(event.written)
        if len(plans) == 1 and changed:
            self.notify(
                f"{plans[0].repository}: images expire {days} after push",
                title="Max age set",
            )
        elif len(plans) == 1:
            self.notify(f"{plans[0].repository} already had that policy", title="Unchanged")
        else:
            same = len(plans) - changed
            self.notify(
                f"images expire {days} after push in {fmt.plural(len(plans), 'pipeline')}"
                + (f" ({same} already so)" if same else ""),
                title="Max age set",
            )
        for screen in self.screen_stack:
            screen.post_message(MaxAgeSet(plans))
        for plan in plans:
            self._changed(plan.repository)

    # -- prune (a registry without policies) ------------------------------------------------

    def _edit_prune(self, repositories: tuple[str, ...], registry: str) -> None:
        def planned(plans: tuple[PrunePlan, ...] | None) -> None:
            if plans:
                self._confirm_prune(plans)

        self.push_screen(PruneScreen(repositories, registry), planned)

    def _confirm_prune(self, plans: tuple[PrunePlan, ...]) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes and not self.read_only:
                self._run_prune(plans)
            else:
                self.notify("Nothing was changed", title="Cancelled")

        todo = [p for p in plans if not p.eviction.empty]
        images = sum(len(p.eviction.digests) for p in todo)
        where = todo[0].repository if len(todo) == 1 else fmt.plural(len(todo), "pipeline")
        self.push_screen(
            ConfirmScreen(
                f"Delete {fmt.plural(images, 'image')} from {where}?",
                prune_text(todo),
                confirm="Delete",
            ),
            confirmed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="mutate")
    def _run_prune(self, plans: tuple[PrunePlan, ...]) -> None:
        call_backend(
            self,
            "prune",
            lambda: [self.service.prune(p) for p in plans if not p.eviction.empty],
            Pruned,
        )

    @on(Pruned)
    def _pruned(self, event: Pruned) -> None:
        results = event.results
        freed = sum(r.freed_bytes for r in results)
        deleted = sum(len({d.digest for d in r.deleted}) for r in results)
        gone = sum(len(r.gone) for r in results)
        failures = [f for r in results for f in r.failures]
        self.notify(
            f"{fmt.plural(deleted, 'image')} deleted, {fmt.size(freed)} freed"
            + (f"; {gone} already gone" if gone else "")
            + (f"; {len(failures)} not deleted" if failures else ""),
            title="Pruned",
            severity="warning" if failures else "information",
        )
        for result in results:
            self._changed(result.repository)

    # -- shared ---------------------------------------------------------------------------

    def _changed(self, repository: str) -> None:
        for screen in self.screen_stack:
            screen.post_message(CacheChanged(repository))

    @on(BackendFailed)
    def _backend_failed(self, event: BackendFailed) -> None:
        screen = self.screen
        if isinstance(screen, ServiceScreen):
            screen.show_error(event.doing, event.error)
        else:
            show_error(self, event.doing, event.error)

    def on_worker_state_changed(self, event: object) -> None:
        # lazy: textual's worker module loads with the first worker, not at start
        from textual.worker import Worker, WorkerState  # noqa: PLC0415

        if (
            isinstance(event, Worker.StateChanged)
            and event.state == WorkerState.ERROR
            and event.worker.error is not None
        ):
            show_error(self, event.worker.name or "background task", event.worker.error)


def _screen_name(screen: Screen[object]) -> str:
    if isinstance(screen, PipelinesScreen):
        return "pipelines"
    if isinstance(screen, TagsScreen):
        return f"tags of {screen.repository}"
    if isinstance(screen, TagDetailScreen):
        return f"tag {screen.info.tag}"
    return type(screen).__name__


def _screen_keys(screen: Screen[object]) -> list[KeyHelp]:
    """The screen's own keys that are enabled now (read-only hides the actions)."""
    keys: list[KeyHelp] = []
    for binding in getattr(screen, "BINDINGS", []):
        if not isinstance(binding, Binding):
            continue
        if screen.check_action(binding.action, ()) is False:
            continue
        keys.append((binding.key_display or binding.key, binding.description))
    return keys
