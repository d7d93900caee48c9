"""The variables the hook exports into the job, written for the bash shim to read safely.

A Python process cannot change its parent's environment, so ``ecr-cache hook pre-command
--export-file PATH`` writes the variables to ``PATH`` and ``hooks/pre-command`` exports them.

Format: a sequence of NUL-terminated fields, alternating name and value::

    NAME\\0VALUE\\0NAME\\0VALUE\\0

encoded as UTF-8, nothing else (no quoting, no trailing newline). NUL is the one byte that
cannot occur in an environment variable, so every other value — quotes, ``$()``, backticks,
newlines — comes through byte for byte. The shim reads it with ``read -r -d ''`` pairs and runs
``export "$name=$value"`` after checking ``$name`` against the same identifier rule
(:data:`~ecr_cache_tui.config.variables.IDENTIFIER`); nothing is ever evaluated. What may
receive the image reference is the loader's check (``export-env-variable``), not this module's.

"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ecr_cache_tui.config.variables import is_identifier
from ecr_cache_tui.errors import ConfigError

__all__ = ["encode_exports", "validate_name", "write_exports"]


def validate_name(name: str, *, option: str = "export-env-variable") -> str:
    """Return ``name`` if it is a shell identifier, else raise :class:`ConfigError`."""
    if not is_identifier(name):
        raise ConfigError(
            f"{option}: {name!r} is not a valid variable name "
            "(letters, digits and _, not starting with a digit)",
            option=option,
        )
    return name


def encode_exports(items: Iterable[tuple[str, str]]) -> bytes:
    """The file's bytes for ``(name, value)`` pairs (see the module docs for the format)."""
    out = bytearray()
    for name, value in items:
        validate_name(name)
        if "\0" in value:
            raise ConfigError(f"{name}: a value cannot contain a NUL byte", option=name)
        out += name.encode() + b"\0" + value.encode() + b"\0"
    return bytes(out)


def write_exports(path: Path, items: Iterable[tuple[str, str]]) -> None:
    """Write ``items`` to ``path`` atomically (readable by the owner only)."""
    data = encode_exports(items)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
