"""The daemon asked over its unix socket with the standard library, against the real dockerd."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from ecr_cache_tui.adapters.docker_daemon import Engine, docker_client
from ecr_cache_tui.adapters.docker_socket import (
    DAEMON_RECORD_SECONDS,
    DEFAULT_SOCKET,
    DaemonSocket,
    SocketEngine,
    socket_path,
)
from ecr_cache_tui.adapters.host_state import HostState
from ecr_cache_tui.errors import DaemonUnreachable
from tests.services import Services


class UnixRelay:
    """A unix socket at ``path`` relaying each connection to the socket ``upstream``;
    :meth:`restart` makes the socket file anew, as a daemon does when it starts."""

    def __init__(self, path: Path, upstream: str) -> None:
        self.path = path
        self._upstream = upstream
        self._server = self._listen()

    def _listen(self) -> socket.socket:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(8)
        threading.Thread(target=self._serve, args=(server,), daemon=True).start()
        return server

    def _serve(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self._upstream)
            threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

    def restart(self) -> None:
        self._server.close()
        self.path.unlink()
        self._server = self._listen()

    def __enter__(self) -> UnixRelay:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


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


class CountingDaemon(DaemonSocket):
    """The real socket, each request's target kept."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.asked: list[str] = []

    def get(self, target: str) -> tuple[int, bytes]:
        self.asked.append(target)
        return super().get(target)


def no_sdk() -> Engine:
    raise AssertionError("the platform never needs docker-py")


@pytest.mark.services
def test_the_platform_is_asked_once_per_run_of_the_daemon_and_day(
    services: Services, docker_client: Any, tmp_path: Path
) -> None:
    warnings: list[str] = []
    host = HostState(tmp_path, scope="", holder="test", warn=warnings.append)
    # The test's own socket file in front of the daemon: removing and making it again is what a
    # daemon does when it starts.
    with UnixRelay(tmp_path / "docker.sock", services.docker_host.removeprefix("unix://")) as relay:
        first = CountingDaemon(str(relay.path))
        platform = SocketEngine(first, no_sdk, host=host).platform()
        assert platform == Engine(docker_client).platform()
        assert first.asked == ["/version"]

        again = CountingDaemon(str(relay.path))
        assert SocketEngine(again, no_sdk, host=host).platform() == platform
        assert again.asked == [], "the host's record answered"

        later = CountingDaemon(str(relay.path))
        a_day_on = time.time() + DAEMON_RECORD_SECONDS + 60
        assert SocketEngine(later, no_sdk, host=host, now=lambda: a_day_on).platform() == platform
        assert later.asked == ["/version"], "a record older than a day is asked again"

        relay.restart()
        restarted = CountingDaemon(str(relay.path))
        assert SocketEngine(restarted, no_sdk, host=host).platform() == platform
        assert restarted.asked == ["/version"], "a new socket file is a new run of the daemon"
    assert warnings == []


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
