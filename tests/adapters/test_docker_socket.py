"""The daemon asked over its unix socket with the standard library, against the real dockerd."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.adapters.docker_daemon import Engine, docker_client
from ecr_cache_tui.adapters.docker_socket import (
    DEFAULT_SOCKET,
    DaemonSocket,
    SocketEngine,
    socket_path,
)
from ecr_cache_tui.errors import DaemonUnreachable
from tests.services import Services


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DOCKER_HOST": "unix:///tmp/x/docker.sock"}, "/tmp/x/docker.sock"),
        ({"DOCKER_HOST": "unix://"}, DEFAULT_SOCKET),
        ({"DOCKER_HOST": "tcp://127.0.0.1:2376"}, None),
        ({"DOCKER_HOST": "ssh://build@host"}, None),
        ({"DOCKER_HOST": "npipe:////./pipe/docker_engine"}, None),
        ({}, DEFAULT_SOCKET),
        ({"DOCKER_CONTEXT": "default"}, DEFAULT_SOCKET),
        ({"DOCKER_CONTEXT": "remote"}, None),
        ({"DOCKER_CONTEXT": "remote", "DOCKER_HOST": "unix:///s"}, "/s"),
    ],
)
def test_which_socket(env: dict[str, str], expected: str | None) -> None:
    assert socket_path(env) == expected


def test_a_current_context_in_the_docker_config_leaves_it_to_docker_py(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "colima"}))
    assert socket_path({"DOCKER_CONFIG": str(tmp_path)}) is None
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert socket_path({"DOCKER_CONFIG": str(tmp_path)}) == DEFAULT_SOCKET
    (tmp_path / "config.json").write_text("{broken")
    assert socket_path({"DOCKER_CONFIG": str(tmp_path)}) == DEFAULT_SOCKET


def test_nothing_on_the_socket_is_daemon_unreachable(tmp_path: Path) -> None:
    with pytest.raises(DaemonUnreachable, match="cannot reach the Docker daemon"):
        DaemonSocket(str(tmp_path / "none.sock")).ping()


def test_something_that_is_not_http_is_daemon_unreachable(tmp_path: Path) -> None:
    path = str(tmp_path / "odd.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def answer() -> None:
        conn, _ = server.accept()
        conn.recv(1024)
        conn.sendall(b"SSH-2.0-OpenSSH\r\n")
        conn.close()

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        with pytest.raises(DaemonUnreachable, match="not HTTP"):
            DaemonSocket(path, timeout=5).ping()
    finally:
        thread.join(timeout=10)
        server.close()


def test_a_reference_with_odd_characters_is_never_sent() -> None:
    with pytest.raises(DaemonUnreachable, match="not a reference"):
        DaemonSocket("/nonexistent").image_exists("a b/../../containers/json?x")


@pytest.mark.services
def test_the_socket_answers_as_docker_py_does(services: Services, docker_client: Any) -> None:
    daemon = DaemonSocket(services.docker_host.removeprefix("unix://"))
    daemon.ping()
    assert daemon.platform() == Engine(docker_client).platform()
    assert daemon.image_exists(services.busybox_image)
    assert not daemon.image_exists("local/busybox:no-such-tag")
    assert not daemon.image_exists("127.0.0.1:5000/build-cache/acme/none:" + "ab" * 16)


@pytest.mark.services
def test_the_socket_engine_makes_docker_py_only_for_the_work(services: Services) -> None:
    made: list[Engine] = []

    def make() -> Engine:
        made.append(Engine(docker_client(services.env())))
        return made[-1]

    engine = SocketEngine(DaemonSocket(services.docker_host.removeprefix("unix://")), make)
    assert engine.image_exists(services.busybox_image) and engine.platform()
    assert made == []
    engine.tag(services.busybox_image, "local/socket-engine", "t1")
    assert len(made) == 1 and engine.image_exists("local/socket-engine:t1")
