"""A ``docker-registry`` of a test's own, with deletion disabled (the refusing registry).

The run's registries (``tests/services.py``) allow deletion; a registry that refuses it (405
``UNSUPPORTED``) is started here the way ``scripts/services.py`` starts those, on a free port,
and is ready when ``/v2/`` answers (polled against a deadline, no fixed sleep).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["refusing_registry"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def refusing_registry(directory: Path, *, deadline: float = 20.0) -> Iterator[str]:
    """A plain ``docker-registry`` with ``storage.delete.enabled: false``; yields its host."""
    binary = shutil.which("docker-registry")
    if binary is None:
        raise RuntimeError("docker-registry is not installed (scripts/test installs it)")
    port = _free_port()
    config = {
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {
            "filesystem": {"rootdirectory": str(directory / "data")},
            "delete": {"enabled": False},
        },
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    path = directory / "refusing.yml"
    path.write_text(json.dumps(config))
    with (directory / "refusing.log").open("wb") as log:
        proc = subprocess.Popen([binary, "serve", str(path)], stdout=log, stderr=log)
    try:
        host = f"127.0.0.1:{port}"
        end = time.monotonic() + deadline
        while not _answers(f"http://{host}/v2/"):
            if proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"docker-registry did not start: {path}")
            time.sleep(0.02)  # a poll interval, not a wait for something to happen
        yield host
    finally:
        proc.terminate()
        proc.wait(timeout=10)
