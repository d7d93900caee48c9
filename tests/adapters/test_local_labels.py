"""A local image's labels, from the one inspect that tells a local hit (socket and docker-py)."""

from __future__ import annotations

import io
import secrets
from typing import Any

import pytest

from ecr_cache_tui.adapters.docker_daemon import Engine
from ecr_cache_tui.adapters.docker_socket import DaemonSocket, labels_of
from ecr_cache_tui.cachekey.inputs import LABEL
from tests.services import Services

pytestmark = pytest.mark.services


def test_both_engines_read_a_local_images_labels(services: Services, docker_client: Any) -> None:
    reference = f"local/labelled:{secrets.token_hex(4)}"
    text = '{"tag":"x","inputs":[]} \x1b]0;t\x07'
    docker_client.images.build(
        fileobj=io.BytesIO(f"FROM {services.busybox_image}\n".encode()),
        tag=reference,
        labels={LABEL: text, "other": "1"},
        rm=True,
    )
    try:
        for engine in (
            DaemonSocket(services.docker_host.removeprefix("unix://")),
            Engine(docker_client),
        ):
            labels = engine.local_labels(reference)
            assert labels is not None and labels[LABEL] == text and labels["other"] == "1"
            assert engine.local_labels(reference + "-absent") is None
    finally:
        docker_client.images.remove(reference, force=True)


def test_an_unlabelled_image_has_no_labels_not_none(services: Services, docker_client: Any) -> None:
    daemon = DaemonSocket(services.docker_host.removeprefix("unix://"))
    labels = daemon.local_labels(services.busybox_image)
    assert labels is not None and LABEL not in labels


@pytest.mark.parametrize(
    "inspect",
    [None, [], {"Config": None}, {"Config": {"Labels": None}}, {"Config": {"Labels": [1]}}],
)
def test_a_strange_inspect_document_has_no_labels(inspect: Any) -> None:
    assert labels_of(inspect) == {}


def test_only_string_label_values_are_kept() -> None:
    assert labels_of({"Config": {"Labels": {"a": "1", "b": 2, "c": {"d": 1}}}}) == {"a": "1"}
