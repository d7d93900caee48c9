"""The TUI's tag detail on labels a hostile pusher wrote, read from the real registry.

Each image is built and pushed for real (``tests/labelled_push.py``) and the TUI runs on the
composition root ``ecr-cache tui`` uses. A label that once killed the app (a duplicate entry:
``DuplicateKey``) or that nests deep is one error line naming the tag; one whose names carry
escape sequences and Rich markup is shown as text, the control characters escaped.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from ecr_cache_tui.cachekey.inputs import LABEL
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.screens.detail import TagDetailScreen
from ecr_cache_tui.tui.screens.tags import TagsScreen
from ecr_cache_tui.wiring import open_service
from tests.labelled_push import Pusher
from tests.services import Services
from tests.tui.helpers import SIZE, press, settle

pytestmark = pytest.mark.services

NAME = "\x1b]0;PWNED\x1b\\ [bold red]markup[/] \x1b[31mred"
LABELS = {
    "escaping": json.dumps(
        {"tag": "t", "inputs": [{"kind": "cache-on", "name": NAME, "digest": "d" * 32}]}
    ),
    "duplicate-entry": json.dumps(
        {"tag": "t", "inputs": [{"kind": "k", "name": "n", "digest": "d"}] * 2}
    ),
    "deep": "[" * 100_000,
    "1e400": '{"tag": "t", "version": 1e400, "inputs": []}',
}


@pytest.mark.parametrize("case", list(LABELS))
async def test_the_detail_of_a_tag_with_a_hostile_label(
    services: Services,
    moto_env: dict[str, str],
    ecr_client: Any,
    docker_client: Any,
    tmp_path: Path,
    case: str,
) -> None:
    repository = f"build-cache/acme/hostile-{secrets.token_hex(4)}"
    Pusher(services, docker_client, ecr_client, tmp_path).push(
        repository, "cafe0001", {LABEL: LABELS[case]}
    )
    service = open_service(region=services.region, registry_hostname=services.auth_registry)
    app = CacheApp(service, read_only=True, source="hostile")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_pipeline(repository)
        await settle(pilot)
        assert isinstance(app.screen, TagsScreen)
        await press(pilot, "enter")
        await settle(pilot)
        assert isinstance(app.screen, TagDetailScreen)  # the app is alive, on the detail
        error = app.screen.query_one("#error", Static)
        manifest = app.screen.query_one("#manifest", DataTable)
        cells = [str(c) for i in range(manifest.row_count) for c in manifest.get_row_at(i)]
        assert not any("\x1b" in cell for cell in cells), cells
        if case == "escaping":
            assert not error.display, error.render()
            assert any("\\x1b]0;PWNED" in cell and "[bold red]" in cell for cell in cells), cells
        else:
            shown = str(error.render())
            assert error.display and "not an inputs manifest" in shown, shown
            assert "cafe0001" in shown and "\n" not in shown.strip(), shown
