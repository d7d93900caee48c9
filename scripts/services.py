#!/usr/bin/env python3
"""Start and stop the real services the test suite runs against, in one run directory.

Standard library only, so it runs before (or without) the project's virtualenv::

    services.py start RUN_DIR --owner PID [--sets N]
                                               start all, write RUN_DIR/env, return when ready
    services.py stop RUN_DIR                   stop what start started, unmount, remove RUN_DIR
    services.py ctl RUN_DIR [--set I] stop|start|status auth|plain
                                               stop/start one registry (simulate a push failure)
    services.py watch RUN_DIR                  (internal) stop RUN_DIR once its owner is gone

``start`` launches, each in its own session (a terminal's Ctrl-C reaches the test command, and the
services are then stopped in order, not killed mid-write):

- ``dockerd`` on ``unix://RUN_DIR/docker.sock`` with its own data-root, exec-root, pidfile, config
  file and containerd namespace (overlay2, falling back to vfs), no iptables, no bridge;
- ``registry``: Debian's ``docker-registry`` (distribution 2.8), plain HTTP, deletes enabled;
- ``auth-registry``: the same behind htpasswd basic auth holding moto's ECR token
  (``AWS`` / ``123456789012-auth-token``), so it plays ECR's data plane with the real login flow;
- ``moto``: ``moto_server`` (ECR control plane);
- ``watchdog``: stops the run if its owner (the ``scripts/test`` shell) dies without cleaning up.

``--sets N`` starts N sets of the first four, one per pytest-xdist worker, so that a test that
resets moto, stops the auth registry or lists the daemon's images never races another worker's:
set 0 is named as above and exported in RUN_DIR/env; set I > 0 has names ending in ``-I``
(``dockerd-1``, ``moto-1``, ``docker-1.sock``). RUN_DIR/env.json lists every set's variables
under ``sets`` (the tests' conftest switches a worker to its own).

Ports are picked free at start; a service counts as ready only when *its own* process holds the
listening socket, so several runs on one machine never talk to each other's services. ``stop``
only signals processes recorded in RUN_DIR/pids (pid and start time, so a reused pid is never
hit) and processes that carry RUN_DIR in their arguments, environment or root (containerd, shims,
containers).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ECR_USER = "AWS"
ECR_PASSWORD = "123456789012-auth-token"  # noqa: S105 -- not a secret: what moto's get_authorization_token always returns
BUSYBOX_IMAGE = "local/busybox:latest"
REGION = "eu-west-1"
OWNED_MARK = "ECT_SERVICE_RUN_DIR"  # set in every service's environment: how stop finds strays

START_TIMEOUT = float(os.environ.get("ECR_CACHE_TEST_START_TIMEOUT", "60"))
STOP_TIMEOUT = 20.0
PORT_ATTEMPTS = 3
SERVICE_ALIASES = {"auth": "auth-registry", "plain": "registry"}


def log(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


class ServiceError(Exception):
    """A service did not come up; the message says which and shows its log tail."""


# --- processes -------------------------------------------------------------------------------


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces or parentheses: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has exited; only its parent has not reaped it yet
        return None
    return fields[19]


@dataclass(frozen=True)
class Proc:
    """A process this run started, identified by pid *and* start time."""

    pid: int
    started: str

    @classmethod
    def of(cls, pid: int) -> Proc | None:
        started = start_time(pid)
        return None if started is None else cls(pid, started)

    def alive(self) -> bool:
        return start_time(self.pid) == self.started

    def signal_group(self, sig: int) -> None:
        """Signal the process's whole group (services are session leaders), or just it."""
        if not self.alive():
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def encode(self) -> str:
        return f"{self.pid} {self.started}\n"

    @classmethod
    def decode(cls, text: str) -> Proc | None:
        parts = text.split()
        if len(parts) != 2 or not parts[0].isdigit():
            return None
        return cls(int(parts[0]), parts[1])


def wait_gone(procs: list[Proc], timeout: float) -> list[Proc]:
    """Wait until every process has exited; return those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if p.alive()]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if p.alive()]
    return alive


def strays(run_dir: Path) -> list[Proc]:
    """Processes of this run that were not recorded: containerd, its shims, containers.

    A process belongs to the run when its arguments name RUN_DIR, its environment carries
    ``ECT_SERVICE_RUN_DIR=RUN_DIR``, or its root directory is inside RUN_DIR (a container).
    """
    me = os.getpid()
    needle = os.fsencode(run_dir)
    mark = os.fsencode(f"{OWNED_MARK}={run_dir}")
    found: list[Proc] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
            root = str((entry / "root").readlink())
        except OSError:
            continue
        mine = (
            any(arg == needle or arg.startswith(needle + b"/") for arg in _args(cmdline))
            or mark in environ.split(b"\0")
            or root == str(run_dir)
            or root.startswith(f"{run_dir}/")
        )
        if mine and (proc := Proc.of(int(entry.name))) is not None:
            found.append(proc)
    return found


def _args(cmdline: bytes) -> Iterator[bytes]:
    for arg in cmdline.split(b"\0"):
        yield arg
        # flags such as --data-root=/tmp/ect.x/data or unix:///tmp/ect.x/docker.sock
        if b"=" in arg:
            yield arg.split(b"=", 1)[1]
        if arg.startswith(b"unix://"):
            yield arg[len(b"unix://") :]


def launch(
    run_dir: Path, name: str, argv: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start one service in its own session, logging to RUN_DIR/logs/NAME.log."""
    log_path = run_dir / "logs" / f"{name}.log"
    full_env = {**os.environ, **(env or {}), OWNED_MARK: str(run_dir)}
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=run_dir,
            env=full_env,
            start_new_session=True,
        )
    record = Proc.of(proc.pid)
    if record is not None:
        (run_dir / "pids" / name).write_text(record.encode())
    return proc


def log_tail(run_dir: Path, name: str, lines: int = 25) -> str:
    try:
        text = (run_dir / "logs" / f"{name}.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:]) or "    (empty log)"


# --- readiness -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), Path(table).open() as lines:
            next(lines)
            for line in lines:
                cols = line.split()
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    return inodes


def owns_listener(pid: int, port: int) -> bool:
    """True when process ``pid`` itself holds the socket listening on ``port``."""
    inodes = _listening_inodes(port)
    if not inodes:
        return False
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            target = str(fd.readlink())
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return True
    return False


def http_status(url: str, method: str = "GET", timeout: float = 2.0) -> tuple[int, dict[str, str]]:
    """Status and headers of one request; status 0 when the server did not answer."""
    request = urllib.request.Request(url, method=method)  # noqa: S310 -- http://127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)
    except (OSError, http.client.HTTPException):
        return 0, {}


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over the daemon's unix socket (the standard library has no such transport)."""

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


def docker_api(
    sock: Path, method: str, path: str, body: bytes | None = None, timeout: float = 5.0
) -> tuple[int, bytes]:
    conn = UnixHTTPConnection(str(sock), timeout=timeout)
    try:
        headers = {"Content-Type": "application/x-tar"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- the services ----------------------------------------------------------------------------


@dataclass
class Service:
    """One service being started: how to launch it and how to tell it is ready."""

    name: str
    run_dir: Path
    build: Callable[[Service], list[str]]
    ready: Callable[[Service], bool]
    port: int | None = None
    attempt: int = 1
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    ready_after: float | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        if self.port is not None:
            self.port = free_port()
        self.started_at = time.monotonic()
        self.proc = launch(self.run_dir, self.name, self.build(self))

    def poll(self) -> bool:
        """True once ready; raises ServiceError when the process died and cannot be retried."""
        assert self.proc is not None
        if self.proc.poll() is None:
            if self.ready(self):
                self.ready_after = time.monotonic() - self.started_at
                return True
            return False
        if self.port is not None and self.attempt < PORT_ATTEMPTS:
            # Most likely another run took the port between our probe and the bind: pick again.
            log(f"{self.name} exited ({self.proc.returncode}) on port {self.port}; retrying")
            self.attempt += 1
            self.start()
            return False
        raise ServiceError(
            f"{self.name} exited with {self.proc.returncode} before it was ready; log tail:\n"
            + log_tail(self.run_dir, self.name)
        )


def registry_config(run_dir: Path, name: str, port: int, auth: bool) -> Path:
    """Write a distribution 2.8 config (YAML is a superset of JSON: no YAML library needed)."""
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": False}},
        "storage": {
            "filesystem": {"rootdirectory": str(run_dir / name)},
            "delete": {"enabled": True},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {"addr": f"127.0.0.1:{port}", "secret": os.urandom(16).hex()},
        "health": {"storagedriver": {"enabled": False}},
    }
    if auth:
        config["auth"] = {
            "htpasswd": {"realm": "ecr-cache-test", "path": str(run_dir / "htpasswd")}
        }
    path = run_dir / f"{name}.yml"
    path.write_text(json.dumps(config, indent=2))
    return path


def registry_service(run_dir: Path, name: str, auth: bool) -> Service:
    def build(service: Service) -> list[str]:
        assert service.port is not None
        config = registry_config(run_dir, name, service.port, auth)
        return [_require("docker-registry"), "serve", str(config)]

    def ready(service: Service) -> bool:
        assert service.port is not None and service.proc is not None
        if not owns_listener(service.proc.pid, service.port):
            return False
        status, headers = http_status(f"http://127.0.0.1:{service.port}/v2/")
        return status == (401 if auth else 200) and "Docker-Distribution-Api-Version" in headers

    return Service(name, run_dir, build, ready, port=0)


def moto_service(run_dir: Path, moto_server: str, name: str = "moto") -> Service:
    def build(service: Service) -> list[str]:
        return [moto_server, "-H", "127.0.0.1", "-p", str(service.port)]

    def ready(service: Service) -> bool:
        assert service.port is not None and service.proc is not None
        if not owns_listener(service.proc.pid, service.port):
            return False
        status, _ = http_status(f"http://127.0.0.1:{service.port}/moto-api/reset", method="POST")
        return status == 200

    return Service(name, run_dir, build, ready, port=0)


def suffix(index: int) -> str:
    """What set ``index``'s names end with: nothing for set 0, ``-I`` for the others."""
    return f"-{index}" if index else ""


def dockerd_service(run_dir: Path, driver: str, index: int = 0) -> Service:
    end = suffix(index)
    sock = run_dir / f"docker{end}.sock"

    def build(service: Service) -> list[str]:
        namespace = "ect-" + run_dir.name.replace(".", "-") + end
        data = run_dir / f"data{end}-{driver}"
        (run_dir / "daemon.json").write_text("{}\n")  # never read the machine's /etc/docker one
        return [
            _require("dockerd"),
            f"--data-root={data}",
            f"--exec-root={run_dir / f'exec{end}'}",
            f"--pidfile={run_dir / f'dockerd{end}.pid'}",
            f"--config-file={run_dir / 'daemon.json'}",
            f"--host=unix://{sock}",
            f"--storage-driver={driver}",
            # If the machine runs a system containerd, dockerd uses it: keep our containers apart.
            f"--containerd-namespace={namespace}",
            f"--containerd-plugins-namespace={namespace}-plugins",
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--shutdown-timeout=5",
        ]

    def ready(service: Service) -> bool:
        try:
            status, body = docker_api(sock, "GET", "/_ping", timeout=1.0)
        except (OSError, http.client.HTTPException):
            return False
        return status == 200 and body == b"OK"

    service = Service(f"dockerd{end}", run_dir, build, ready)
    service.extra["driver"] = driver
    service.extra["index"] = str(index)
    service.extra["sock"] = str(sock)
    return service


def _require(binary: str) -> str:
    path = shutil.which(binary, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if path is None:
        raise ServiceError(f"{binary} is not installed (scripts/test installs it on Debian)")
    return path


def make_busybox_image(sock: Path) -> None:
    """``docker import`` a static busybox as local/busybox:latest (there is no Docker Hub here)."""
    busybox = _require("busybox")
    applets = subprocess.run(
        [busybox, "--list"], check=True, capture_output=True, text=True
    ).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:

        def add(name: str, kind: bytes, mode: int, data: bytes = b"", link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.size, info.linkname = kind, mode, len(data), link
            tar.addfile(info, io.BytesIO(data) if data else None)

        for directory in ("bin", "etc", "root", "tmp"):
            add(directory, tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755)
        add("bin/busybox", tarfile.REGTYPE, 0o755, Path(busybox).read_bytes())
        # `busybox --list` names busybox itself: linking it would make a symlink loop.
        for applet in sorted(set(applets) - {"busybox"}):
            add(f"bin/{applet}", tarfile.SYMTYPE, 0o777, link="busybox")
        add("etc/passwd", tarfile.REGTYPE, 0o644, b"root:x:0:0:root:/root:/bin/sh\n")
        add("etc/group", tarfile.REGTYPE, 0o644, b"root:x:0:\n")
    repo, tag = BUSYBOX_IMAGE.rsplit(":", 1)
    query = urllib.parse.urlencode(
        {"fromSrc": "-", "repo": repo, "tag": tag, "changes": 'CMD ["sh"]'}
    )
    status, body = docker_api(sock, "POST", f"/images/create?{query}", buffer.getvalue(), 60.0)
    if status != 200 or b'"error"' in body:
        raise ServiceError(f"importing {BUSYBOX_IMAGE} failed: {status} {body[-500:]!r}")


# --- start -----------------------------------------------------------------------------------


def start(run_dir: Path, owner: int, moto_server: str, repo: Path, sets: int = 1) -> None:
    (run_dir / ".ect-run").write_text(f"{repo}\n")  # first: stop only removes marked dirs
    for sub in ("logs", "pids", "aws"):
        (run_dir / sub).mkdir(exist_ok=True)
    for index in range(sets):
        (run_dir / f"docker-config{suffix(index)}").mkdir(exist_ok=True)
    reap_abandoned(run_dir.parent, keep=run_dir)
    owner_proc = Proc.of(owner)
    if owner_proc is None:
        raise ServiceError(f"owner process {owner} is not running")
    (run_dir / "owner").write_text(owner_proc.encode())
    launch(
        run_dir, "watchdog", [sys.executable, str(Path(__file__).resolve()), "watch", str(run_dir)]
    )

    htpasswd = subprocess.run(
        # bcrypt's lowest cost: the registry checks it on every request (3.5 -> 2.6 ms of CPU).
        [_require("htpasswd"), "-nbB", "-C", "4", ECR_USER, ECR_PASSWORD],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (run_dir / "htpasswd").write_text(htpasswd)

    began = time.monotonic()
    services: list[Service] = []
    for index in range(sets):
        end = suffix(index)
        services += [
            dockerd_service(run_dir, "overlay2", index),
            registry_service(run_dir, f"registry{end}", auth=False),
            registry_service(run_dir, f"auth-registry{end}", auth=True),
            moto_service(run_dir, moto_server, f"moto{end}"),
        ]
    for service in services:
        service.start()
    pending = list(services)
    deadline = time.monotonic() + START_TIMEOUT
    while pending:
        for service in list(pending):
            try:
                if service.poll():
                    pending.remove(service)
            except ServiceError:
                if "sock" not in service.extra or service.extra["driver"] != "overlay2":
                    raise
                log(f"{service.name} failed with overlay2; falling back to vfs. overlay2 log tail:")
                print(log_tail(run_dir, service.name, 8), file=sys.stderr)
                fallback = dockerd_service(run_dir, "vfs", int(service.extra["index"]))
                fallback.start()
                services[services.index(service)] = fallback
                pending[pending.index(service)] = fallback
        if pending and time.monotonic() > deadline:
            tails = "\n".join(f"{s.name} log tail:\n{log_tail(run_dir, s.name)}" for s in pending)
            names = ", ".join(s.name for s in pending)
            raise ServiceError(f"not ready after {START_TIMEOUT:.0f}s: {names}\n{tails}")
        time.sleep(0.02)

    image_began = time.monotonic()
    daemons = [s for s in services if "sock" in s.extra]
    for daemon in daemons:
        make_busybox_image(Path(daemon.extra["sock"]))
    image_took = time.monotonic() - image_began

    by_name = {s.name: s for s in services}
    write_env(run_dir, by_name, repo, sets)
    save_specs(run_dir, services)
    parts = [
        f"{s.name}{':' + str(s.port) if s.port else ''} {s.ready_after or 0:.1f}s" for s in services
    ]
    drivers = ", ".join(sorted({d.extra["driver"] for d in daemons}))
    log(
        f"ready in {time.monotonic() - began:.1f}s ({', '.join(parts)}; "
        f"dockerd {drivers}; {BUSYBOX_IMAGE} {image_took:.1f}s) in {run_dir}"
    )


def legacy_cli() -> str:
    """The CLI for legacy-builder tests: Docker's own 28.x if present (no buildx), else Debian's."""
    return "/usr/local/bin/docker" if Path("/usr/local/bin/docker").is_file() else "/usr/bin/docker"


def set_env(run_dir: Path, services: dict[str, Service], index: int) -> dict[str, str]:
    """The variables that differ from one set to the next, for set ``index`` (and its ctl)."""
    end = suffix(index)
    ctl = run_dir / f"registry-ctl{end}"
    ctl.write_text(
        "#!/bin/sh\n# registry-ctl stop|start|status auth|plain: simulate a registry outage\n"
        f"exec {shlex.quote(sys.executable)} {shlex.quote(str(Path(__file__).resolve()))} "
        f'ctl {shlex.quote(str(run_dir))} --set {index} "$@"\n'
    )
    ctl.chmod(0o755)
    return {
        "DOCKER_HOST": f"unix://{services[f'dockerd{end}'].extra['sock']}",
        "ECR_CACHE_TEST_REGISTRY": f"127.0.0.1:{services[f'registry{end}'].port}",
        "ECR_CACHE_TEST_AUTH_REGISTRY": f"127.0.0.1:{services[f'auth-registry{end}'].port}",
        "ECR_CACHE_TEST_MOTO_URL": f"http://127.0.0.1:{services[f'moto{end}'].port}",
        "ECR_CACHE_TEST_REGISTRY_CTL": str(ctl),
        "ECR_CACHE_TEST_STORAGE_DRIVER": services[f"dockerd{end}"].extra["driver"],
        # Tests never read or write the developer's own Docker configuration; each set has
        # its own, so logins on one worker never race another's.
        "DOCKER_CONFIG": str(run_dir / f"docker-config{end}"),
        "ECR_CACHE_TEST_SET": str(index),
    }


def write_env(run_dir: Path, services: dict[str, Service], repo: Path, sets: int = 1) -> None:
    """RUN_DIR/env: ``export``/``unset`` lines for bash; RUN_DIR/env.json: the same for tools.

    Both hold set 0; env.json's ``sets`` holds each set's own variables (:func:`set_env`).
    """
    per_set = [set_env(run_dir, services, index) for index in range(sets)]
    env = {
        "ECR_CACHE_TEST_SERVICES": "1",
        "ECR_CACHE_TEST_RUN_DIR": str(run_dir),
        **per_set[0],
        "ECR_CACHE_TEST_SETS": str(sets),
        "ECR_CACHE_TEST_BUSYBOX_IMAGE": BUSYBOX_IMAGE,
        "ECR_CACHE_TEST_DOCKER_BUILDKIT_CLI": "/usr/bin/docker",
        "ECR_CACHE_TEST_DOCKER_LEGACY_CLI": legacy_cli(),
        # Tests never read or write the developer's own AWS configuration.
        "AWS_CONFIG_FILE": str(run_dir / "aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(run_dir / "aws" / "credentials"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    # Tests opt in to moto (fixture moto_env); nothing of the developer's may leak in.
    unset = [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ECR",
        "DOCKER_CONTEXT",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "DOCKER_BUILDKIT",
    ]
    lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
    lines += [f"unset {name}" for name in unset]
    (run_dir / "env").write_text("\n".join(lines) + "\n")
    document = {"set": env, "unset": unset, "sets": per_set}
    (run_dir / "env.json").write_text(json.dumps(document, indent=2) + "\n")


def save_specs(run_dir: Path, services: list[Service]) -> None:
    """Remember how each service was launched, so ``ctl start`` can relaunch it identically."""
    specs = {
        s.name: {"argv": s.proc.args if s.proc else [], "port": s.port}
        for s in services
        if s.proc is not None
    }
    (run_dir / "services.json").write_text(json.dumps(specs, indent=2) + "\n")


# --- stop ------------------------------------------------------------------------------------


def recorded(run_dir: Path) -> dict[str, Proc]:
    procs: dict[str, Proc] = {}
    with contextlib.suppress(OSError):
        for pidfile in (run_dir / "pids").iterdir():
            with contextlib.suppress(OSError):
                if (proc := Proc.decode(pidfile.read_text())) is not None:
                    procs[pidfile.name] = proc
    return procs


def mounts_under(run_dir: Path) -> list[str]:
    points: list[str] = []
    with Path("/proc/self/mountinfo").open() as mountinfo:
        for line in mountinfo:
            # field 5 is the mount point, with space, tab, newline and backslash octal-escaped
            point = line.split()[4].encode().decode("unicode_escape")
            if point == str(run_dir) or point.startswith(f"{run_dir}/"):
                points.append(point)
    return sorted(set(points), key=len, reverse=True)


def stop(run_dir: Path, keep: bool = False) -> int:
    """Stop every process of the run, unmount what dockerd left, remove RUN_DIR. Idempotent."""
    if not (run_dir / ".ect-run").exists():
        # Not a run directory (or start never got as far as marking it): never rmtree it.
        with contextlib.suppress(OSError):
            run_dir.rmdir()
        return 0
    began = time.monotonic()
    me = Proc.of(os.getpid())
    procs = {name: p for name, p in recorded(run_dir).items() if p != me}
    for proc in procs.values():
        proc.signal_group(signal.SIGTERM)
    left = wait_gone(list(procs.values()), STOP_TIMEOUT)
    for proc in left:
        log(f"pid {proc.pid} ignored SIGTERM for {STOP_TIMEOUT:.0f}s: killing its group")
        proc.signal_group(signal.SIGKILL)
    wait_gone(left, 5)

    found = [p for p in strays(run_dir) if p != me]
    if found:
        log(f"stopping {len(found)} stray process(es): {' '.join(str(p.pid) for p in found)}")
        for proc in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
        for proc in wait_gone(found, 5):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)

    failures = 0
    for point in mounts_under(run_dir):
        if subprocess.run(["umount", point], capture_output=True, check=False).returncode != 0:
            lazy = subprocess.run(["umount", "-l", point], capture_output=True, check=False)
            if lazy.returncode != 0:
                log(f"could not unmount {point}: {lazy.stderr.decode(errors='replace').strip()}")
                failures += 1
    if not keep:
        errors: list[str] = []
        _rmtree(run_dir, errors)
        if errors:
            log(f"could not remove {len(errors)} path(s) under {run_dir}, e.g. {errors[0]}")
            failures += 1
    still = [p for p in procs.values() if p.alive()] + [p for p in found if p.alive()]
    if still:
        log(f"still running after stop: {' '.join(str(p.pid) for p in still)}")
        failures += 1
    log(f"stopped {len(procs)} service(s) in {time.monotonic() - began:.1f}s")
    return 1 if failures else 0


def _rmtree(path: Path, errors: list[str]) -> None:
    def note(_func: object, failed: str, _exc: object) -> None:
        errors.append(failed)

    shutil.rmtree(path, onerror=note)  # onerror: Python 3.10 has no onexc


# --- ctl and watch ---------------------------------------------------------------------------


def ctl(run_dir: Path, action: str, which: str, index: int = 0) -> int:
    name = SERVICE_ALIASES.get(which, which) + suffix(index)
    specs = json.loads((run_dir / "services.json").read_text())
    if name.removesuffix(suffix(index)) not in ("registry", "auth-registry") or name not in specs:
        log(f"ctl manages the registries only (auth, plain) of a set started, not {name!r}")
        return 2
    proc = recorded(run_dir).get(name)
    running = proc is not None and proc.alive()
    if action == "status":
        print("running" if running else "stopped")
        return 0
    if action == "stop":
        if proc is not None and running:
            proc.signal_group(signal.SIGTERM)
            if wait_gone([proc], 10):
                proc.signal_group(signal.SIGKILL)
                wait_gone([proc], 5)
        return 0
    if action == "start":
        if running:
            return 0
        port = int(specs[name]["port"])
        service = Service(
            name,
            run_dir,
            build=lambda _s: list(specs[name]["argv"]),
            ready=registry_service(run_dir, name, auth=name.startswith("auth-")).ready,
            port=port,
            attempt=PORT_ATTEMPTS,  # the port is fixed now: do not pick another
        )
        service.started_at = time.monotonic()
        service.proc = launch(run_dir, name, service.build(service))
        deadline = time.monotonic() + 15
        try:
            while not service.poll():
                if time.monotonic() > deadline:
                    raise ServiceError(f"{name} not ready after 15s:\n{log_tail(run_dir, name)}")
                time.sleep(0.02)
        except ServiceError as error:
            log(str(error))
            return 1
        return 0
    log(f"unknown action {action!r}: stop, start or status")
    return 2


def reap_abandoned(parent: Path, keep: Path) -> None:
    """Stop runs whose owner and watchdog both died (e.g. SIGKILL), so nothing piles up."""
    for other in parent.glob("ect.*"):
        if other == keep or not (other / ".ect-run").exists():
            continue
        owner = Proc.decode(_read(other / "owner"))
        watchdog = recorded(other).get("watchdog")
        if (owner is None or not owner.alive()) and (watchdog is None or not watchdog.alive()):
            log(f"cleaning up abandoned run {other}")
            stop(other)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def watch(run_dir: Path) -> int:
    """Poll the owner; when it is gone and RUN_DIR is still here, stop the run."""
    owner = Proc.decode(_read(run_dir / "owner"))
    while owner is not None and owner.alive():
        time.sleep(1.0)
        if not run_dir.exists():
            return 0
    if run_dir.exists():
        log(f"owner of {run_dir} is gone: stopping its services")
        return stop(run_dir)
    return 0


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start the services; print nothing on stdout")
    p_start.add_argument("run_dir", type=Path)
    p_start.add_argument("--owner", type=int, required=True, help="stop the run when PID exits")
    p_start.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    p_start.add_argument("--moto-server", default=str(Path(sys.executable).parent / "moto_server"))
    p_start.add_argument(
        "--sets", type=int, default=1, help="sets of services, one per pytest-xdist worker"
    )
    p_stop = sub.add_parser("stop", help="stop the services and remove RUN_DIR")
    p_stop.add_argument("run_dir", type=Path)
    p_stop.add_argument("--keep", action="store_true", help="keep RUN_DIR (logs) after stopping")
    p_ctl = sub.add_parser("ctl", help="stop/start/status one registry")
    p_ctl.add_argument("run_dir", type=Path)
    p_ctl.add_argument("--set", type=int, default=0, dest="index", help="which set (default 0)")
    p_ctl.add_argument("action", choices=["stop", "start", "status"])
    p_ctl.add_argument("which", nargs="?", default="auth", help="auth (default) or plain")
    p_watch = sub.add_parser("watch", help=argparse.SUPPRESS)
    p_watch.add_argument("run_dir", type=Path)
    args = parser.parse_args(argv)
    run_dir: Path = args.run_dir.resolve()

    if args.command == "start":
        # SIGTERM while starting: unwind like Ctrl-C, so what was started gets stopped.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            if args.sets < 1:
                parser.error(f"--sets: {args.sets} is not a whole number of 1 or more")
            start(run_dir, args.owner, args.moto_server, args.repo, args.sets)
        except (ServiceError, OSError, subprocess.CalledProcessError) as error:
            log(f"failed to start: {error}")
            stop(run_dir, keep=True)
            return 1
        except KeyboardInterrupt:
            stop(run_dir, keep=True)
            return 130
        return 0
    if args.command == "stop":
        # Half a cleanup is worse than none: finish even if Ctrl-C is pressed again.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        return stop(run_dir, keep=args.keep)
    if args.command == "ctl":
        return ctl(run_dir, args.action, args.which, args.index)
    return watch(run_dir)


if __name__ == "__main__":
    sys.exit(main())
