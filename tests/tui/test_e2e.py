"""End to end: the real bash hook builds and pushes; the TUI shows that tag's inputs.

The hook runs against dockerd, the htpasswd registry (ECR's data plane, moto's token) and
moto_server (ECR's control plane). moto knows nothing of what was pushed to the registry, so
the test records the pushed manifest in moto with ``put_image``, as ECR would on a push. The
TUI then runs on :func:`ecr_cache_tui.wiring.open_service`, the composition root
``ecr-cache tui`` uses: boto3 reaches moto through ``AWS_ENDPOINT_URL_ECR`` and the labels are
read from the registry with an ECR authorization token.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from ecr_cache_tui.adapters.registry import RegistryClient
from ecr_cache_tui.cachekey.inputs import LABEL, Manifest
from ecr_cache_tui.tui.app import CacheApp
from ecr_cache_tui.tui.screens.detail import TagDetailScreen
from ecr_cache_tui.tui.screens.tags import TagsScreen
from ecr_cache_tui.tui.widgets.table import FilterTable
from ecr_cache_tui.wiring import open_service
from tests.hook.hookrun import Agent
from tests.services import ECR_PASSWORD, ECR_USER, Services, write_context
from tests.tui.helpers import SIZE, press, running, settle

pytestmark = pytest.mark.services

DOCKERFILE = """\
FROM local/busybox
COPY package-lock.json /lock.json
"""


async def test_the_tui_shows_the_inputs_of_a_tag_the_hook_pushed(
    services: Services,
    moto_env: dict[str, str],
    ecr_client: Any,
    busybox_image: Any,
    tmp_path: Path,
) -> None:
    pipeline = f"tui-{secrets.token_hex(4)}"
    checkout = write_context(
        tmp_path / "checkout", DOCKERFILE, {"package-lock.json": '{"lockfileVersion": 3}\n'}
    )
    home = tmp_path / "home"
    home.mkdir()
    agent = Agent(services=services, home=home, transcript=[])
    config = {
        "cache-on": ["package-lock.json"],
        "registry-hostname": services.auth_registry,
        "build-args": ["NODE_ENV=production"],
    }
    run = agent.run(checkout, config, pipeline)
    assert run.rc == 0, run.output
    repository, tag = f"build-cache/acme/{pipeline}", run.tag

    # What ECR would know after the push: the same manifest under the same tag.
    registry = RegistryClient(services.auth_registry, (ECR_USER, ECR_PASSWORD))
    pushed = registry.get_manifest(repository, tag)
    ecr_client.put_image(
        repositoryName=repository,
        imageManifest=json.dumps(pushed.document),
        imageManifestMediaType=pushed.media_type,
        imageTag=tag,
    )
    expected = Manifest.from_label(registry.image_labels(repository, tag)[LABEL])

    service = open_service(region=services.region, registry_hostname=services.auth_registry)
    app = CacheApp(service, read_only=True, source="e2e")
    async with running(app, size=SIZE) as pilot:
        table = app.screen.query_one(FilterTable)
        assert repository in [r.key for r in table.rows]
        app.open_pipeline(repository)
        await settle(pilot)
        assert isinstance(app.screen, TagsScreen)
        assert [r.key for r in app.screen.query_one(FilterTable).rows] == [tag]
        await press(pilot, "enter")
        assert isinstance(app.screen, TagDetailScreen)
        assert not app.screen.query_one("#error", Static).display, app.screen.query_one("#error")
        manifest = app.screen.query_one("#manifest", DataTable)
        shown = [
            (str(manifest.get_row_at(i)[0]), str(manifest.get_row_at(i)[1]).strip())
            for i in range(manifest.row_count)
        ]
        for entry in expected.entries:
            assert (entry.kind, entry.name) in shown
        assert ("cache-on", "package-lock.json") in shown
        assert ("build-arg", "NODE_ENV") in shown
        assert f"/{repository}:{tag}" in str(app.screen.query_one("#info", Static).render())
