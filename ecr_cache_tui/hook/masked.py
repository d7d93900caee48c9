"""Every value the build receives that the log must never show, whichever option carried it.

A value reaches ``docker build`` from the job's environment or a secret file by several paths,
and a ``RUN echo`` (or a failing step's error) prints it in the build's output, which the hook
streams to the log. Each path is listed here, so the log's redactor masks them all alike:

* ``build-args`` given as a bare ``NAME`` (the value is read from the environment);
* ``unhashed-build-args``, every one;
* ``secrets``: the variable of ``env=NAME`` (``ID`` alone means ``env=ID``) and the content of
  a ``src=`` file (already resolved inside the checkout);
* ``additional-build-args``: ``--build-arg NAME`` / ``--build-arg=NAME`` with no ``=value``
  (Docker reads ``NAME`` from the environment), ``--secret …,env=NAME`` (and ``id=ID`` alone,
  which buildx reads from ``ID``), and a ``--secret …,src=`` file's content.

A literal ``NAME=value`` written in the pipeline is not listed: it is in the pipeline's YAML and
in the inputs manifest for anyone to read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping

from ecr_cache_tui.config import PluginConfig
from ecr_cache_tui.config.buildflags import env_values, flag_values, secret_fields

__all__ = ["MAX_SECRET_FILE", "values_to_mask"]

#: Bytes of a secret file read for masking at most (a key or an ``.npmrc``; a bigger file is
#: not something a log line would show whole, and is not read).
MAX_SECRET_FILE = 64 * 1024


def values_to_mask(
    config: PluginConfig, env: Mapping[str, str]
) -> Iterator[tuple[str, str | None]]:
    """``(what, value)`` for each value to mask; ``what`` names it for a warning, never shows it.

    ``value`` is ``None`` where the variable named is unset (nothing to mask).
    """
    for arg in config.build_args:
        if arg.from_env:
            yield f"build arg {arg.name}", arg.value
    for arg in config.unhashed_build_args:
        yield f"unhashed build arg {arg.name}", arg.value
    for secret in config.secrets:
        fields = dict(secret_fields(secret.spec))
        if "env" in fields:
            yield f"secret {secret.id} (from {fields['env']})", env.get(fields["env"])
        for key in ("src", "source"):
            if key in fields:
                yield f"secret {secret.id} (its file)", _read_small(fields[key])
    for what, value in env_values(config.additional_build_args, env):
        yield f"additional-build-args {what}", value
    for _, value, _ in flag_values(config.additional_build_args, "--secret"):
        fields = dict(secret_fields(value))
        for key in ("src", "source"):
            if key in fields:
                yield (
                    f"additional-build-args --secret id={fields.get('id', '')} (its file)",
                    (_read_small(fields[key])),
                )


def _read_small(path: str) -> str | None:
    """The file's text if it is a regular file of at most :data:`MAX_SECRET_FILE` bytes."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SECRET_FILE:
            return None
        data = f.read(MAX_SECRET_FILE + 1)
    return data.decode("utf-8", "surrogateescape").strip() or None
