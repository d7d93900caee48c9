"""The command palette's own commands (``ctrl+p``): jump to a pipeline, rebuild, set max age.

Textual's system commands (themes, quit, keys, screenshot) stay alongside these. A command
posts the same request to the app as the screens' keys do (:mod:`.messages`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ecr_cache_tui.tui.context import app_context
from ecr_cache_tui.tui.messages import EvictRequested, MaxAgeRequested, OpenPipeline
from ecr_cache_tui.tui.screens.pipelines import PipelinesScreen

if TYPE_CHECKING:
    from textual.app import App

    from ecr_cache_tui.model import PipelineSummary

__all__ = ["PipelineCommands", "pipeline_commands"]

#: Commands offered with an empty query (the palette's "discover" list).
DISCOVER_LIMIT = 12


def pipeline_commands(
    app: App[Any], p: PipelineSummary
) -> Iterator[tuple[str, Callable[[], object], str]]:
    """``(text, callback, help)`` of each command for pipeline ``p`` (read-only: jump only)."""
    name = f"{p.organisation}/{p.pipeline}" if p.organisation else p.pipeline
    yield (
        f"Open pipeline {name}",
        partial(app.post_message, OpenPipeline(p.repository)),
        f"show the tags of {p.repository}",
    )
    if app_context(app).read_only:
        return
    yield (
        f"Rebuild {name} (evict every tag)",
        partial(app.post_message, EvictRequested(p.repository, None)),
        "asks first; the next build of the pipeline rebuilds its image",
    )
    yield (
        f"Set max age of {name}",
        partial(app.post_message, MaxAgeRequested(p.repository)),
        "edit max-age-days with a preview of what expires at once",
    )


def listed_pipelines(app: App[Any]) -> list[PipelineSummary]:
    """Every pipeline the pipelines screen has listed so far."""
    for screen in app.screen_stack:
        if isinstance(screen, PipelinesScreen):
            return list(screen.pipelines.values())
    return []


class PipelineCommands(Provider):
    """One command per pipeline and action; fuzzy-matched like Textual's own."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app = self.app
        for p in listed_pipelines(app):
            for text, callback, help_text in pipeline_commands(app, p):
                score = matcher.match(text)
                if score > 0:
                    yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)

    async def discover(self) -> Hits:
        app = self.app
        yield DiscoveryHit(
            "Refresh", partial(app.run_action, "refresh"), help="reload the current screen"
        )
        for p in listed_pipelines(app)[:DISCOVER_LIMIT]:
            for text, callback, help_text in pipeline_commands(app, p):
                yield DiscoveryHit(text, callback, help=help_text)
