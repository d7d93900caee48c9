"""Where the shim keeps the hook's virtualenv and the key it names it by (hooks/pre-command)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def venv_key(version: str, interpreter: str, lock: Path) -> str:
    """The key: sha256 of ``python -V``'s version, the interpreter's path and the lock's bytes."""
    digest = hashlib.sha256(f"ecr-cache-venv 2\n{version}\n{interpreter}\n".encode())
    digest.update(lock.read_bytes())
    return digest.hexdigest()[:16]


def shared_venvs(home: Path) -> Path:
    """Where every checkout's virtualenvs live for ``HOME=home`` (no ``XDG_CACHE_HOME``)."""
    return home / ".cache" / "ecr-cache-tui" / "venvs"


def hook_venv(plugin: Path, home: Path, key: str) -> Path:
    """The virtualenv for ``key``: in the shared place (the checkout ``plugin`` is the fallback)."""
    del plugin
    return shared_venvs(home) / key
