"""The host's state and build locks, as small files every agent of the host shares.

Where: ``$XDG_STATE_HOME/ecr-cache-tui`` when ``XDG_STATE_HOME`` is an absolute path, else
``$HOME/.local/state/ecr-cache-tui`` (the XDG default), never the plugin checkout: the agent
checks plugins out under ``<plugins-path>/<agent name>/``, so a checkout is one agent's alone,
while the agents of a host run as one user (``buildkite-agent`` on the Elastic CI Stack) and
share its home and its Docker daemon. Inside::

    repositories/<digest>.json    a repository this host ensured (EnsuredRecord)
    base-images/<digest>.json     a base image's digest as this host resolved it (BaseImageRecord)
    pending-pushes/<digest>.json  a push that failed here and is still owed (PendingPush)
    locks/<digest>.lock           one per tag built here: flock(2)ed while a job builds it;
                                  holds the builder's pid, agent and job for the waiters

Digests are of the key (account, region, repository; or the image reference) and of the scope:
the AWS endpoint override, ``DOCKER_HOST`` and the AWS identity the job uses (its credential
and profile variables, :data:`ecr_cache_tui.wiring.AWS_IDENTITY_VARIABLES`), so jobs aimed at
other endpoints, daemons or accounts never share a record. Writes go to a temporary file renamed
into place: a reader sees the old record or the new one, never half of one. Lock files are never
deleted (deleting a flock file races with its next holder); each is a few dozen bytes, one per
tag built on the host.

Every byte here is untrusted (another job, or another user of the host, may have put it there):
the state is used only while its directory, each one up to the state root
(``$XDG_STATE_HOME`` or ``~/.local/state``) and the record's own are the agent user's and
writable by neither group nor others (directories made here are 0700); files are opened with
``O_NOFOLLOW | O_NONBLOCK`` (a symlink is refused, a FIFO cannot block), must be regular files
(``fstat``), are read up to :data:`RECORD_LIMIT` bytes, and their JSON may be malformed in any
way (deep nesting included); temporary files come from ``mkstemp``.

Nothing here can fail a job: a missing, unreadable, refused or corrupt file reads as "nothing
known", and a location that cannot be written turns the state off for this job, with one warning
(through ``warn``) naming the place and what it costs: the local hit asks ECR again, jobs do
not wait for each other's builds, and a failed push is not remembered. A build lock dies with
its holder: the kernel drops a flock when the process holding it exits, however it exits
(``kill -9`` included), so a waiter then takes it over; nothing is ever stale.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import xxhash

from ecr_cache_tui.cachekey.keyconfig import is_platform
from ecr_cache_tui.host_records import (
    BaseImageRecord,
    DaemonRecord,
    EnsuredRecord,
    LockBusy,
    PendingPush,
    RepositoryKey,
)

__all__ = ["FileBuildLock", "HostState", "holder_text", "state_dir"]

_R = TypeVar("_R")

VERSION = 1
_HOLDER_LIMIT = 300
#: What a kept base-image digest must look like to be used (anything else reads as unknown).
_DIGEST = r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}"
#: A kept platform longer than this is not one a daemon answered (they are a few words).
_MAX_PLATFORM = 64
#: The most bytes read from one state file: a record is a few hundred.
RECORD_LIMIT = 64 * 1024
#: How a state file is opened: never through a symlink, never blocking (a FIFO, a device).
_OPEN = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class _Refused(Exception):
    """A state file or directory that is not to be trusted; its message says why."""


def state_dir(env: Mapping[str, str]) -> Path | None:
    """``$XDG_STATE_HOME/ecr-cache-tui``, else ``$HOME/.local/state/ecr-cache-tui``.

    A relative ``XDG_STATE_HOME`` is ignored, as the XDG specification says. ``None`` when
    neither is usable (no ``HOME``).
    """
    xdg = env.get("XDG_STATE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "ecr-cache-tui"
    home = env.get("HOME", "")
    if home and Path(home).is_absolute():
        return Path(home) / ".local" / "state" / "ecr-cache-tui"
    return None


def holder_text(env: Mapping[str, str], pid: int, now: float) -> str:
    """Who holds a lock, for the jobs that wait: pid, agent, job and since when (UTC)."""
    since = time.strftime("%H:%M:%S UTC", time.gmtime(now))
    agent = env.get("BUILDKITE_AGENT_NAME") or "unknown agent"
    job = env.get("BUILDKITE_JOB_ID") or "unknown"
    return _printable(f"pid {pid} (agent {agent}, job {job}, since {since})")


def _printable(text: str) -> str:
    """One line of at most a few hundred characters, control characters escaped."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return out[:_HOLDER_LIMIT]


def _digest(*parts: str) -> str:
    text = json.dumps(parts, ensure_ascii=True)
    return xxhash.xxh3_128_hexdigest(text.encode("ascii"))


class FileBuildLock:
    """A held flock on a lock file; :meth:`release` (or the process ending) lets it go."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    def release(self) -> None:
        """Clear the holder's line and unlock (closing the descriptor drops the flock)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)
        self._fd = None


class HostState:
    """:class:`ecr_cache_tui.ports.HostStateApi` on files under ``directory``.

    Args:
        directory: from :func:`state_dir`; ``None``: no usable location (one warning, then
            every read is "nothing known").
        scope: what else keys every record (the AWS endpoint override, ``DOCKER_HOST``).
        holder: what this job writes into a lock it holds (:func:`holder_text`).
        warn: where the one warning goes.
    """

    def __init__(
        self,
        directory: Path | None,
        *,
        scope: str,
        holder: str,
        warn: Callable[[str], None],
    ) -> None:
        self.directory = directory
        self._scope = scope
        self._holder = holder
        self._warn = warn
        self._off = False
        self._trusted: set[Path] = set()
        if directory is None:
            self._disable("no state directory (neither XDG_STATE_HOME nor HOME is set)")

    # --- ensured repositories -----------------------------------------------------------------

    def ensured(self, key: RepositoryKey) -> EnsuredRecord | None:
        return self._load(
            self._path("repositories", key.account, key.region, key.repository),
            key.repository,
            lambda data: EnsuredRecord(
                key=RepositoryKey(
                    _str(data["account"]), _str(data["region"]), _str(data["repository"])
                ),
                host=_str(data["host"]),
                registry_id=_opt_str(data["registry_id"]),
                ensured_at=_num(data["ensured_at"]),
                policy_days=_opt_int(data["policy_days"]),
                tags=_str(data["tags"]),
            ),
        )

    def save_ensured(self, record: EnsuredRecord) -> None:
        key = record.key
        self._write(
            self._path("repositories", key.account, key.region, key.repository),
            {
                "account": key.account,
                "region": key.region,
                "repository": key.repository,
                "host": record.host,
                "registry_id": record.registry_id,
                "ensured_at": record.ensured_at,
                "policy_days": record.policy_days,
                "tags": record.tags,
            },
        )

    # --- pending pushes -----------------------------------------------------------------------

    def pending_push(self, reference: str) -> PendingPush | None:
        pending = self._load(
            self._path("pending-pushes", reference),
            reference,
            lambda data: PendingPush(
                reference=_str(data["reference"]),
                latest=bool(data["latest"]),
                failed_at=_num(data["failed_at"]),
                error=_str(data.get("error", "")),
            ),
        )
        return pending if pending is not None and pending.reference == reference else None

    def save_pending_push(self, pending: PendingPush) -> None:
        self._write(
            self._path("pending-pushes", pending.reference),
            {
                "reference": pending.reference,
                "latest": pending.latest,
                "failed_at": pending.failed_at,
                "error": pending.error[:500],
            },
        )

    def clear_pending_push(self, reference: str) -> None:
        path = self._path("pending-pushes", reference)
        if path is None:
            return
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            self._disable(f"cannot remove {path} ({exc})")

    # --- base images ------------------------------------------------------------------------

    def base_image(self, name: str, platform: str) -> BaseImageRecord | None:
        record = self._load(
            self._path("base-images", name, platform),
            name,
            lambda data: BaseImageRecord(
                name=_str(data["name"]),
                platform=_str(data["platform"]),
                digest=_str(data["digest"]),
                resolved_at=_num(data["resolved_at"]),
            ),
        )
        if record is None or (record.name, record.platform) != (name, platform):
            return None
        return record if re.fullmatch(_DIGEST, record.digest) else None

    def save_base_image(self, record: BaseImageRecord) -> None:
        self._write(
            self._path("base-images", record.name, record.platform),
            {
                "name": record.name,
                "platform": record.platform,
                "digest": record.digest,
                "resolved_at": record.resolved_at,
            },
        )

    # --- the daemon's platform ---------------------------------------------------------------

    def daemon_platform(self, daemon: str) -> DaemonRecord | None:
        record = self._load(
            self._path("daemons", daemon),
            daemon,
            lambda data: DaemonRecord(
                daemon=_str(data["daemon"]),
                platform=_str(data["platform"]),
                asked_at=_num(data["asked_at"]),
            ),
        )
        if record is None or record.daemon != daemon:
            return None
        platform = record.platform
        return record if len(platform) <= _MAX_PLATFORM and is_platform(platform) else None

    def save_daemon_platform(self, record: DaemonRecord) -> None:
        self._write(
            self._path("daemons", record.daemon),
            {"daemon": record.daemon, "platform": record.platform, "asked_at": record.asked_at},
        )

    # --- build locks --------------------------------------------------------------------------

    def try_build_lock(self, reference: str) -> FileBuildLock | LockBusy | None:
        path = self._path("locks", reference)
        if path is None or not self._directory_ok(path.parent, create=True):
            return None
        try:
            fd = _open_regular(path, os.O_RDWR | os.O_CREAT)
        except (OSError, _Refused) as exc:
            self._disable(f"cannot open the build lock {path} ({_why(exc)})")
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, _HOLDER_LIMIT * 4, 0).decode("utf-8", "replace")
            except OSError:
                holder = ""
            os.close(fd)
            return LockBusy(_printable(holder.strip()) or "another job")
        except OSError as exc:  # e.g. ENOLCK: a file system without locks
            os.close(fd)
            self._disable(f"cannot lock {path} ({exc})")
            return None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{self._holder}\n".encode(), 0)
        except OSError:
            pass  # the lock holds; only the waiters' message is poorer
        return FileBuildLock(fd, path)

    # --- files --------------------------------------------------------------------------------

    def _path(self, kind: str, *key: str) -> Path | None:
        if self._off or self.directory is None:
            return None
        suffix = ".lock" if kind == "locks" else ".json"
        return self.directory / kind / f"{_digest(self._scope, *key)}{suffix}"

    def _load(
        self, path: Path | None, what: str, make: Callable[[dict[str, Any]], _R]
    ) -> _R | None:
        """The record ``make`` makes of the file at ``path``; ``None`` when there is none, and
        when it is malformed (a missing field, a wrong type: one warning naming ``what``)."""
        data = self._read(path)
        if data is None:
            return None
        try:
            return make(data)
        except (KeyError, TypeError) as exc:
            self._corrupt(what, exc)
            return None

    def _read(self, path: Path | None) -> dict[str, Any] | None:
        if path is None or not self._directory_ok(path.parent, create=False):
            return None
        try:
            fd = _open_regular(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except _Refused as exc:
            self._corrupt(str(path), exc)
            return None
        except OSError as exc:
            self._disable(f"cannot read {path} ({exc})")
            return None
        try:
            text = _read_bounded(fd)
        except (OSError, _Refused) as exc:
            self._corrupt(str(path), exc)
            return None
        finally:
            os.close(fd)
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, deep nesting included
            self._corrupt(str(path), exc)
            return None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None  # another version's record: not ours to read
        return data

    def _write(self, path: Path | None, data: dict[str, Any]) -> None:
        if path is None or not self._directory_ok(path.parent, create=True):
            return
        # lazy: a write: not on the local hit's path
        import tempfile  # noqa: PLC0415

        tmp = ""
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps({"version": VERSION, **data}) + "\n")
            Path(tmp).replace(path)  # a symlink planted at `path` is replaced, never followed
        except OSError as exc:
            if tmp:
                with contextlib.suppress(OSError):
                    Path(tmp).unlink()
            self._disable(f"cannot write {path.parent} ({exc})")

    def _directory_ok(self, directory: Path, *, create: bool) -> bool:
        """Whether ``directory`` (``<state>/<kind>``) may be used: it, the state directory and
        the state root are directories of this user's, closed to group and others. Made (0700)
        when ``create``; missing otherwise is "nothing known" without a warning. A refusal
        turns the state off, with the one warning."""
        if directory in self._trusted:
            return True
        chain = (directory.parent.parent, directory.parent, directory)
        try:
            for place in chain:
                if create:
                    _make_private(place)
                # The root may be a symlink of the user's choosing; the rest are ours, as made.
                _check_private(place, follow=place is chain[0])
        except FileNotFoundError:
            if create:
                self._disable(f"cannot create {directory}")
            return False
        except (OSError, _Refused) as exc:
            self._disable(_why(exc))
            return False
        self._trusted.add(directory)
        return True

    def _corrupt(self, what: str, exc: Exception) -> None:
        why = _why(exc) if isinstance(exc, _Refused | OSError) else f"{type(exc).__name__}: {exc}"
        self._warn_once(
            f"host state for {_printable(what)} is unreadable ({_printable(why)}); "
            "ignoring it (it is rewritten by the next job)"
        )

    def _disable(self, why: str) -> None:
        self._off = True
        where = self.directory if self.directory is not None else "this host"
        self._warn_once(
            f"host state at {where} is unusable: {_printable(why)}. The job goes on, but jobs "
            "on this host do not share what they know: a local hit asks ECR again, jobs do "
            "not wait for each other's builds, a failed push is not retried by the next job"
        )

    def _warn_once(self, text: str) -> None:
        warn, self._warn = self._warn, _ignore
        warn(text)


def _ignore(text: str) -> None:
    """A warning already given."""


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        return f"{exc.filename} is a symlink"
    return str(exc)


def _make_private(path: Path) -> None:
    """``path`` and any missing parent, made 0700 (``os.makedirs`` gives parents 0777)."""
    missing: list[Path] = []
    for place in (path, *path.parents):
        if os.path.lexists(place):
            break
        missing.append(place)
    for place in reversed(missing):
        with contextlib.suppress(FileExistsError):
            place.mkdir(0o700)


def _check_private(path: Path, *, follow: bool) -> None:
    """Raise :class:`_Refused` unless ``path`` is a directory owned by this user and writable
    by neither group nor others (a symlink is refused unless ``follow``)."""
    info = path.stat() if follow else path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a directory"
        raise _Refused(f"{path} is {kind}")
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise _Refused(
            f"{path} is not this user's own (owner uid {info.st_uid}, mode "
            f"{stat.S_IMODE(info.st_mode):04o}; wanted uid {os.geteuid()}, not writable by "
            "group or others)"
        )


def _open_regular(path: Path, flags: int) -> int:
    """A descriptor on ``path``, a regular file (made 0600 with ``O_CREAT``), never through a
    symlink (``ELOOP``) nor blocking on a FIFO; :class:`_Refused` for anything else."""
    fd = os.open(path, flags | _OPEN, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _Refused(f"{path} is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_bounded(fd: int) -> bytes:
    """At most :data:`RECORD_LIMIT` bytes of ``fd``; :class:`_Refused` when there are more."""
    chunks: list[bytes] = []
    size = 0
    while size <= RECORD_LIMIT:
        chunk = os.read(fd, RECORD_LIMIT + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > RECORD_LIMIT:
        raise _Refused(f"larger than {RECORD_LIMIT // 1024} KiB")
    return b"".join(chunks)


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, not {type(value).__name__}")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _num(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, not {type(value).__name__}")
    return float(value)


def _opt_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, not {type(value).__name__}")
    return value
