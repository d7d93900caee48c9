"""Every failure the product expects, as one tree, and the exit code each one maps to.

Boto, docker-py and subprocess exceptions are translated into these at the adapter edge
(:mod:`ecr_cache_tui.adapters`) and nowhere else; the core and the commands only ever see
this tree. :func:`ecr_cache_tui.cli.main` turns any of them into one line on stderr and the
exit code below, never a traceback::

    EcrCacheError                       exit code
    ├── ConfigError                      2   bad input: an option, a value, an argument
    │   ├── UsageError                   2   a command-line argument the command cannot use
    │   │                                    (raised by the shells only: the core raises the rest)
    │   ├── OutsidePrefix                2   a change outside the cache prefix, not forced
    │   └── NoPolicies                   2   a policy asked of a registry that has none (OCI)
    ├── BuildError                       1   `docker build` failed
    ├── RemoteError                      3   AWS or the registry
    │   ├── AccessDenied                 3   credentials missing or not allowed
    │   ├── Throttled                    3   still throttled after retries
    │   ├── Unavailable                  3   ECR did not answer, or answered 5xx, after retries
    │   ├── LoginUnavailable             3   no registry login could be had (token call failed)
    │   ├── RepositoryNotFound           3   the ECR repository does not exist
    │   ├── TagNotFound                  3   the tag (image) does not exist
    │   ├── RegistryError                3   the registry (data plane) answered with an error
    │   │   └── DeletionRefused          3   the registry does not allow deleting images
    │   └── LabelMismatch                3   a cached image's inputs label names other inputs
    └── DaemonUnreachable                4   no Docker daemon at DOCKER_HOST / the socket

The core's messages name the problem, never a command-line flag: the fields an error carries
(``repository``, ``prefix``) let each shell add its own hint (``commands.hints`` for the CLI).

"Not found" is a type, not a string match: a cache miss is ``TagNotFound`` (or the engine's
``ImageNotFound`` outcome), never a failed pull that happened to say 404.

A message is always one printable line: ``str()`` of any of these passes :func:`one_line`, so a
registry's multi-line error text is folded onto one line, and an escape sequence or a lone
surrogate is shown escaped, wherever the message is printed (the CLI's stderr, the job log, the
TUI). Values quoted in a message are escaped whole (:func:`escape`: ``\\n`` for a newline).
"""

from __future__ import annotations

import re
from typing import ClassVar

__all__ = [
    "EXIT_AWS",
    "EXIT_BAD_INPUT",
    "EXIT_BUILD",
    "EXIT_DAEMON",
    "EXIT_OK",
    "AccessDenied",
    "BuildError",
    "ConfigError",
    "DaemonUnreachable",
    "DeletionRefused",
    "EcrCacheError",
    "LabelMismatch",
    "LoginUnavailable",
    "NoPolicies",
    "OutsidePrefix",
    "RegistryError",
    "RemoteError",
    "RepositoryNotFound",
    "TagNotFound",
    "Throttled",
    "Unavailable",
    "UsageError",
    "escape",
    "one_line",
]

EXIT_OK = 0
EXIT_BUILD = 1
EXIT_BAD_INPUT = 2
EXIT_AWS = 3
EXIT_DAEMON = 4


# What a terminal or a log viewer would act on rather than show: C0/C1 controls and DEL (line
# breaks, ESC), the Unicode line and paragraph separators, bidirectional overrides, and lone
# surrogates (which no UTF-8 stream can write). Every one is a character str.isprintable()
# refuses (categories Cc, Cf, Zl, Zp, Cs), so printable text is returned as it is without a
# pattern: these are compiled (re's cache) only for text that needs them.
_UNPRINTABLE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
# Line breaks as str.splitlines knows them, with the blanks around them: folded to one space.
_BREAKS = "[ \t]*[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+[ \t]*"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control character, line separator, bidirectional override and lone
    surrogate escaped (``\\n``, ``\\x1b``, ``\\x85``, ``\\u2028``, ``\\ud800``)."""
    if text.isprintable():
        return text
    return re.sub(_UNPRINTABLE, _escape, text)


def one_line(text: str) -> str:
    """``text`` as one printable line: line breaks folded to a space, the rest of
    :func:`escape`'s characters escaped."""
    if text.isprintable():
        return text
    return escape(re.sub(_BREAKS, " ", text))


class EcrCacheError(Exception):
    """Base of every expected failure; ``exit_code`` is what the process exits with."""

    exit_code: ClassVar[int] = EXIT_AWS

    def __str__(self) -> str:
        return one_line(super().__str__())


class ConfigError(EcrCacheError):
    """Bad input. The message names the option, the value and what is allowed."""

    exit_code: ClassVar[int] = EXIT_BAD_INPUT

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class UsageError(ConfigError):
    """A command-line argument the command cannot use."""


class OutsidePrefix(ConfigError):
    """A change to ``repository``, outside the cache prefix ``prefix``, that was not forced."""

    def __init__(self, message: str, *, repository: str, prefix: str) -> None:
        super().__init__(message)
        self.repository = repository
        self.prefix = prefix


class NoPolicies(ConfigError):
    """A lifecycle policy asked of ``repository`` on a registry that has none (OCI): its tags
    are expired by hand (``prune``)."""

    def __init__(self, message: str, *, repository: str) -> None:
        super().__init__(message)
        self.repository = repository


class BuildError(EcrCacheError):
    """``docker build`` exited non-zero."""

    exit_code: ClassVar[int] = EXIT_BUILD


class RemoteError(EcrCacheError):
    """AWS (ECR's control plane) or the registry (its data plane) failed."""

    exit_code: ClassVar[int] = EXIT_AWS


class AccessDenied(RemoteError):
    """Credentials are missing, expired or not allowed to do this."""


class Throttled(RemoteError):
    """Still throttled after retrying with backoff."""


class Unavailable(RemoteError):
    """ECR did not answer (connection refused, reset, timed out) or answered 5xx."""


class LoginUnavailable(RemoteError):
    """No registry login could be had: the token request itself failed (after its retries).

    Raised as is by the cache check and the pull: without a login the registry cannot be asked,
    so this is not a cache miss.
    """


class RepositoryNotFound(RemoteError):
    """The ECR repository does not exist.

    ``looked_up`` is set when the core looked a name up among the caches (a shell can say
    where the cached pipelines are listed).
    """

    def __init__(self, message: str, *, looked_up: bool = False) -> None:
        super().__init__(message)
        self.looked_up = looked_up


class TagNotFound(RemoteError):
    """The image tag does not exist in the repository (``repository`` when the core knows it)."""

    def __init__(self, message: str, *, repository: str | None = None) -> None:
        super().__init__(message)
        self.repository = repository


class RegistryError(RemoteError):
    """The registry's HTTP API answered with an error."""


class LabelMismatch(RemoteError):
    """A hit whose image carries an inputs label for other inputs, with ``verify-label: fail``."""


class DeletionRefused(RegistryError):
    """The registry does not allow deleting images (405, ``UNSUPPORTED``): a setting of it."""


class DaemonUnreachable(EcrCacheError):
    """The Docker daemon cannot be reached."""

    exit_code: ClassVar[int] = EXIT_DAEMON
