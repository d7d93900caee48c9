"""Typed messages: results workers post back (AWS calls, failures), and screens' requests.

Workers run the blocking service calls in threads; they never touch widgets. Each result comes
back as one of these, handled on the event loop by the screen (or app) that started the work.

Screens never call the app: they post a request (:class:`OpenPipeline`, :class:`OpenTag`,
:class:`CopyUri`, :class:`EvictRequested`, :class:`MaxAgeRequested`) to it, and the app tells
every screen what changed (:class:`CacheChanged`, :class:`Evicted`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from textual.message import Message
from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from ecr_cache_tui.cachekey.inputs import Change, Manifest
    from ecr_cache_tui.model import (
        EvictionPlan,
        EvictionResult,
        PipelineStats,
        PipelineSummary,
        PolicyPlan,
        PruneResult,
        TagInfo,
    )
    from ecr_cache_tui.tui.widgets.rows import TableRow

__all__ = [
    "AccountFound",
    "BackendFailed",
    "CacheChanged",
    "CopyUri",
    "DiffLoaded",
    "EvictRequested",
    "Evicted",
    "EvictionDone",
    "EvictionPlanned",
    "ManifestLoaded",
    "MaxAgeRequested",
    "MaxAgeSet",
    "OpenPipeline",
    "OpenTag",
    "PipelinesLoaded",
    "PolicyApplied",
    "PolicyLoaded",
    "PolicyPlanned",
    "Pruned",
    "StatsLoaded",
    "TagsLoaded",
]


class PipelinesLoaded(Message):
    """The cache repositories (figures not loaded yet)."""

    def __init__(self, pipelines: Sequence[PipelineSummary]) -> None:
        super().__init__()
        self.pipelines = list(pipelines)


class StatsLoaded(Message):
    """Figures of some repositories, by repository name (posted in batches while loading).

    ``done``: the last batch of the worker that loaded them.
    """

    def __init__(self, stats: Mapping[str, PipelineStats], *, done: bool = False) -> None:
        super().__init__()
        self.stats = dict(stats)
        self.done = done


class TagsLoaded(Message):
    """The tags of ``repository``, and their table rows (made in the worker, off the screen)."""

    def __init__(self, repository: str, tags: Sequence[TagInfo], rows: Sequence[TableRow]) -> None:
        super().__init__()
        self.repository = repository
        self.tags = list(tags)
        self.rows = list(rows)


class ManifestLoaded(Message):
    """The inputs manifest of ``repository:tag`` (``None``: the image carries none)."""

    def __init__(self, repository: str, tag: str, manifest: Manifest | None) -> None:
        super().__init__()
        self.repository = repository
        self.tag = tag
        self.manifest = manifest


class DiffLoaded(Message):
    """How ``tag_b``'s inputs differ from ``tag_a``'s."""

    def __init__(self, tag_a: str, tag_b: str, changes: Sequence[Change]) -> None:
        super().__init__()
        self.tag_a = tag_a
        self.tag_b = tag_b
        self.changes = tuple(changes)


class EvictionPlanned(Message):
    """What an eviction would delete; the app asks for confirmation next."""

    def __init__(self, plan: EvictionPlan) -> None:
        super().__init__()
        self.plan = plan


class EvictionDone(Message):
    """What an eviction deleted."""

    def __init__(self, result: EvictionResult) -> None:
        super().__init__()
        self.result = result


class PolicyPlanned(Message):
    """A max-age change of one or more repositories and its preview (for the editor's pane)."""

    def __init__(self, plans: Sequence[PolicyPlan]) -> None:
        super().__init__()
        self.plans = tuple(plans)

    @property
    def plan(self) -> PolicyPlan:
        """The first (the only one, for one repository)."""
        return self.plans[0]


class PolicyApplied(Message):
    """A max-age change was carried out: the plans done, and for each whether it was written
    (false: it was already so)."""

    def __init__(self, plans: Sequence[PolicyPlan], written: Sequence[bool]) -> None:
        super().__init__()
        self.plans = tuple(plans)
        self.written = tuple(written)


class Pruned(Message):
    """A prune was carried out: what each repository lost, found gone, or kept."""

    def __init__(self, results: Sequence[PruneResult]) -> None:
        super().__init__()
        self.results = tuple(results)


class CacheChanged(Message):
    """``repository`` changed (tags evicted, policy set): screens showing it reload."""

    def __init__(self, repository: str) -> None:
        super().__init__()
        self.repository = repository


class BackendFailed(Message):
    """An AWS call failed; ``doing`` says what was being done."""

    def __init__(self, doing: str, error: BaseException) -> None:
        super().__init__()
        self.doing = doing
        self.error = error


T = TypeVar("T")


def call_backend(
    node: MessagePump, doing: str, call: Callable[[], T], done: Callable[[T], Message]
) -> None:
    """Make a blocking backend call (from a worker) and post ``done(result)`` to ``node``.

    Any failure is posted as :class:`BackendFailed`, naming what was being ``doing``: an AWS
    error is shown in the app, never a crash.
    """
    try:
        result = call()
    except Exception as exc:
        node.post_message(BackendFailed(doing, exc))
        return
    node.post_message(done(result))


class PolicyLoaded(Message):
    """The current lifecycle policy of ``repository`` (to start the max-age editor from)."""

    def __init__(self, repository: str, days: int | None) -> None:
        super().__init__()
        self.repository = repository
        self.days = days


# -- requests: a screen (or the palette) asks the app -----------------------------------------


class OpenPipeline(Message):
    """Show the tags of ``repository`` (from anywhere: back to the list, then in)."""

    def __init__(self, repository: str) -> None:
        super().__init__()
        self.repository = repository


class OpenTag(Message):
    """Show the detail of ``info``; ``others``: the pipeline's tags to diff against."""

    def __init__(self, repository: str, info: TagInfo, others: Sequence[TagInfo]) -> None:
        super().__init__()
        self.repository = repository
        self.info = info
        self.others = list(others)


class CopyUri(Message):
    """Copy ``uri`` to the clipboard; ``what`` names it in the toast (``image URI``)."""

    def __init__(self, uri: str, what: str) -> None:
        super().__init__()
        self.uri = uri
        self.what = what


class EvictRequested(Message):
    """Plan evicting ``tags`` of ``repository`` (``None``: every image), then ask."""

    def __init__(self, repository: str, tags: Sequence[str] | None) -> None:
        super().__init__()
        self.repository = repository
        self.tags = list(tags) if tags is not None else None


class MaxAgeRequested(Message):
    """Open the max-age editor of ``repository``, or of several at once (one change over all
    of them, one preview, one confirmation)."""

    def __init__(self, repository: str, *more: str) -> None:
        super().__init__()
        self.repository = repository
        self.repositories = (repository, *more)


class MaxAgeSet(Message):
    """Told to every screen after a max-age change (``plans`` done): marks are spent."""

    def __init__(self, plans: Sequence[PolicyPlan]) -> None:
        super().__init__()
        self.plans = tuple(plans)


class Evicted(Message):
    """Told to every screen after an eviction: what ``result`` deleted (marks are spent)."""

    def __init__(self, result: EvictionResult) -> None:
        super().__init__()
        self.result = result


class AccountFound(Message):
    """The AWS account the repositories belong to (read from their URIs), for the header."""

    def __init__(self, account: str) -> None:
        super().__init__()
        self.account = account
