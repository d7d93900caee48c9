"""Where the shim keeps the hook's virtualenv and the key it names it by (hooks/pre-command)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def venv_key(version: str, interpreter: str, lock: Path) -> str:
    """The key: sha256 of ``python -V``'s version, the interpreter's path and the lock's bytes."""
    digest = hashlib.sha256(f"{version}\n{interpreter}\n".encode())
    digest.update(lock.read_bytes())
    return digest.hexdigest()[:16]


def hook_venv(plugin: Path, home: Path, key: str) -> Path:
    """The virtualenv for ``key`` of the plugin checkout ``plugin`` (``HOME=home``)."""
    del home
    return plugin / f".venv-{key}"
