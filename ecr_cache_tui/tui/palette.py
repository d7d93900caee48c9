"""The command palette's own commands (``ctrl+p``): jump to a pipeline, rebuild, set max age.

Textual's system commands (themes, quit, keys, screenshot) stay alongside these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from ecr_cache_tui.model import PipelineSummary
    from ecr_cache_tui.tui.app import CacheApp

__all__ = ["PipelineCommands", "pipeline_commands"]

#: Commands offered with an empty query (the palette's "discover" list).
DISCOVER_LIMIT = 12


def pipeline_commands(
    app: CacheApp, p: PipelineSummary
) -> Iterator[tuple[str, Callable[[], object], str]]:
    """``(text, callback, help)`` of each command for pipeline ``p`` (read-only: jump only)."""
    name = f"{p.organisation}/{p.pipeline}" if p.organisation else p.pipeline
    yield (
        f"Open pipeline {name}",
        partial(app.open_pipeline, p.repository),
        f"show the tags of {p.repository}",
    )
    if app.read_only:
        return
    yield (
        f"Rebuild {name} (evict every tag)",
        partial(app.start_eviction, p.repository, None),
        "asks first; the next build of the pipeline rebuilds its image",
    )
    yield (
        f"Set max age of {name}",
        partial(app.edit_max_age, p.repository),
        "edit max-age-days with a preview of what expires at once",
    )


class PipelineCommands(Provider):
    """One command per pipeline and action; fuzzy-matched like Textual's own."""

    @property
    def cache_app(self) -> CacheApp:
        return cast("CacheApp", self.app)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app = self.cache_app
        for p in app.pipelines:
            for text, callback, help_text in pipeline_commands(app, p):
                score = matcher.match(text)
                if score > 0:
                    yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)

    async def discover(self) -> Hits:
        app = self.cache_app
        yield DiscoveryHit("Refresh", app.action_refresh, help="reload the current screen")
        for p in app.pipelines[:DISCOVER_LIMIT]:
            for text, callback, help_text in pipeline_commands(app, p):
                yield DiscoveryHit(text, callback, help=help_text)
