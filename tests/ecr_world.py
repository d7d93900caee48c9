"""ECR's default hosts, played locally: a network and mount namespace of the test's own.

Without ``registry-hostname`` the plugin pushes to the repository URI's host,
``<account>.dkr.ecr.<region>.amazonaws.com``. :class:`EcrWorld` makes those names real for the
test's processes only, and touches nothing of the machine's:

- ``unshare --mount --net`` makes a namespace whose loopback holds one TEST-NET-1 address
  (192.0.2.0/24) per account. Not 127.0.0.0/8: dockerd treats that as an insecure registry and
  skips TLS verification there, so the CA below would never be checked.
- Inside it, ``/etc/hosts`` and ``/etc/docker`` are bind mounts of files in the world's
  directory: the hosts file names each account's host, ``/etc/docker/certs.d/<host>/ca.crt``
  (where dockerd 20.10 looks for a registry's CA) holds the test CA. The machine's own
  ``/etc/hosts`` and ``/etc/docker`` are never written.
- One TLS registry per account (Debian's ``docker-registry``, distribution 2.8) on port 443 of
  its address, its certificate signed by a CA made with ``openssl`` for this world, htpasswd
  auth holding what moto's GetAuthorizationToken answers for that account
  (``AWS`` / ``<account>-auth-token``), so the real login flow unlocks it.
- ``moto_server`` (ECR's control plane) on ``127.0.0.1:5050`` and a ``dockerd`` with its own
  data-root, exec-root and socket, all inside the namespace.

The test talks to the daemon through its socket (a file: reachable from outside) and runs the
hook and its checks inside the namespace with ``nsenter`` (:meth:`EcrWorld.inside`). The process
holding the namespace is this file run as a script (standard library only); it stops its
services on SIGTERM, and the namespace, its addresses and its mounts vanish with it.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "TOOLS",
    "UNTRUSTED_HOST",
    "EcrWorld",
    "WorldError",
    "ecr_host",
    "missing_tools",
    "moto_password",
]

#: What the world needs besides the services' own binaries (util-linux, iproute2, openssl).
TOOLS = ("unshare", "nsenter", "mount", "ip", "openssl", "docker-registry", "dockerd")
MOTO_ADDRESS = "127.0.0.1:5050"
ECR_USER = "AWS"
#: Manifest types a HEAD must accept (else the registry converts, or answers 404 for OCI).
MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
START_TIMEOUT = 60.0
OWNED_MARK = "ECT_SERVICE_RUN_DIR"  # scripts/services.py stops stray processes carrying it
#: Another name of the first registry, in its certificate but with no ``certs.d`` entry: the
#: control that shows dockerd verifies these registries with the CA ``certs.d`` gives it.
UNTRUSTED_HOST = "no-ca-in-certs-d.ecr-cache.test"


class WorldError(Exception):
    """The world did not come up; the message says what, with a log tail."""


def ecr_host(account: str, region: str) -> str:
    """ECR's registry host for ``account``: what moto's repository URIs start with."""
    return f"{account}.dkr.ecr.{region}.amazonaws.com"


def moto_password(account: str) -> str:
    """The password moto's GetAuthorizationToken returns for ``account``'s registry."""
    return f"{account}-auth-token"


def _which(tool: str) -> str | None:
    return shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def missing_tools() -> list[str]:
    """The :data:`TOOLS` not installed here, and why unshare cannot work if it cannot."""
    missing = [tool for tool in TOOLS if _which(tool) is None]
    if not missing and os.geteuid() != 0:
        missing.append("root (unshare --net and mount need it)")
    return missing


@dataclass(frozen=True)
class Registry:
    """One account's registry in the world."""

    account: str
    host: str
    address: str


@dataclass
class EcrWorld:
    """A running world. Start with :meth:`start`; always :meth:`stop`.

    Attributes:
        directory: the world's files (keep it short: dockerd's socket path < 108 bytes).
        region: the region in every host name.
        registries: one per account, the first is the caller's own (moto's 123456789012).
        holder: the pid holding the namespace (what ``nsenter`` targets).
    """

    directory: Path
    region: str
    registries: tuple[Registry, ...]
    holder: subprocess.Popen[bytes] | None = None

    @property
    def ca(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def docker_host(self) -> str:
        return f"unix://{self.directory / 'docker.sock'}"

    @property
    def moto_url(self) -> str:
        return f"http://{MOTO_ADDRESS}"

    def host(self, account: str) -> str:
        return ecr_host(account, self.region)

    @classmethod
    def start(
        cls,
        directory: Path,
        *,
        accounts: Sequence[str],
        region: str,
        storage_driver: str = "overlay2",
        moto_server: str | None = None,
        owner_mark: str | None = None,
    ) -> EcrWorld:
        """Make the CA and configs, start the namespace's services, return when all answer.

        Args:
            owner_mark: a ``scripts/test`` run directory: every process of the world carries it
                in its environment, so that run's stop finds them even if this test is killed.
        """
        subnet = secrets.randbelow(200) + 10  # any address works: the namespace is private
        registries = tuple(
            Registry(account, ecr_host(account, region), f"192.0.2.{subnet + i}")
            for i, account in enumerate(accounts)
        )
        world = cls(directory, region, registries)
        world._prepare(
            storage_driver, moto_server or str(Path(sys.executable).parent / "moto_server")
        )
        env = {**os.environ}
        if owner_mark:
            env[OWNED_MARK] = owner_mark
        log = (directory / "logs" / "holder.log").open("ab")
        with log:
            world.holder = subprocess.Popen(
                [
                    _which("unshare") or "unshare",
                    "--mount",
                    "--net",
                    "--fork",
                    "--",
                    sys.executable,
                    str(Path(__file__).resolve()),
                    str(directory),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        try:
            world._wait_ready()
        except BaseException:
            world.stop()
            raise
        return world

    def _prepare(self, storage_driver: str, moto_server: str) -> None:
        d = self.directory
        for sub in ("logs", "etc-docker/certs.d", "docker"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        hosts = [r.host for r in self.registries]
        _make_certificates(d, [*hosts, UNTRUSTED_HOST])
        lines = ["127.0.0.1 localhost", *(f"{r.address} {r.host}" for r in self.registries)]
        lines.append(f"{self.registries[0].address} {UNTRUSTED_HOST}")
        (d / "hosts").write_text("\n".join(lines) + "\n")
        services: list[dict[str, object]] = []
        for registry in self.registries:
            certs = d / "etc-docker" / "certs.d" / registry.host
            certs.mkdir(parents=True, exist_ok=True)
            shutil.copy(d / "ca.crt", certs / "ca.crt")
            htpasswd = subprocess.run(
                [
                    _which("htpasswd") or "htpasswd",
                    "-nbB",
                    ECR_USER,
                    moto_password(registry.account),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            (d / f"htpasswd-{registry.account}").write_text(htpasswd)
            config = d / f"registry-{registry.account}.yml"
            config.write_text(
                json.dumps(
                    {
                        "version": 0.1,
                        "log": {"level": "warn"},
                        "storage": {
                            "filesystem": {"rootdirectory": str(d / f"store-{registry.account}")},
                            "delete": {"enabled": True},
                        },
                        "http": {
                            "addr": f"{registry.address}:443",
                            "tls": {
                                "certificate": str(d / "server.crt"),
                                "key": str(d / "server.key"),
                            },
                        },
                        "auth": {
                            "htpasswd": {
                                "realm": "ecr",
                                "path": str(d / f"htpasswd-{registry.account}"),
                            }
                        },
                    }
                )
                + "\n"
            )
            services.append(
                {
                    "name": f"registry-{registry.account}",
                    "argv": [_which("docker-registry"), "serve", str(config)],
                    "ready": {"https": f"https://{registry.host}/v2/", "status": 401},
                }
            )
        (d / "daemon.json").write_text("{}\n")  # never the machine's /etc/docker one
        namespace = containerd_namespace(d.name)
        services.append(
            {
                "name": "dockerd",
                "argv": [
                    _which("dockerd"),
                    f"--data-root={d / 'docker' / 'data'}",
                    f"--exec-root={d / 'docker' / 'exec'}",
                    f"--pidfile={d / 'docker' / 'dockerd.pid'}",
                    f"--config-file={d / 'daemon.json'}",
                    f"--host={self.docker_host}",
                    f"--storage-driver={storage_driver}",
                    f"--containerd-namespace={namespace}",
                    f"--containerd-plugins-namespace={namespace}-plugins",
                    "--iptables=false",
                    "--ip6tables=false",
                    "--bridge=none",
                    "--shutdown-timeout=5",
                ],
                "ready": {"docker": str(d / "docker.sock")},
            }
        )
        host, port = MOTO_ADDRESS.split(":")
        services.append(
            {
                "name": "moto",
                "argv": [moto_server, "-H", host, "-p", port],
                "ready": {"post": f"{self.moto_url}/moto-api/reset", "status": 200},
            }
        )
        spec = {
            "addresses": [r.address for r in self.registries],
            "binds": {"/etc/hosts": str(d / "hosts"), "/etc/docker": str(d / "etc-docker")},
            "ca": str(d / "ca.crt"),
            "services": services,
        }
        (d / "world.json").write_text(json.dumps(spec, indent=2) + "\n")

    def _wait_ready(self) -> None:
        assert self.holder is not None
        ready = self.directory / "ready"
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.exists():
            if self.holder.poll() is not None or time.monotonic() > deadline:
                raise WorldError(
                    f"the ECR world in {self.directory} did not start "
                    f"(holder exit {self.holder.poll()}):\n{self.log_tails()}"
                )
            time.sleep(0.02)

    def log_tails(self, lines: int = 15) -> str:
        parts = []
        for log in sorted((self.directory / "logs").glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"{log.name}:\n" + "\n".join("    " + line for line in text))
        return "\n".join(parts)

    @property
    def pid(self) -> int:
        """The namespace holder's pid (the process ``unshare --fork`` started)."""
        return int((self.directory / "holder.pid").read_text())

    def inside(self, argv: Sequence[str], cwd: Path | None = None) -> list[str]:
        """``argv`` run in the world's network and mount namespaces (in ``cwd``: entering a
        mount namespace moves to its root directory)."""
        nsenter = [_which("nsenter") or "nsenter", f"--target={self.pid}", "--mount", "--net"]
        return [*nsenter, *([f"--wd={cwd}"] if cwd else []), "--", *argv]

    def manifest_status(self, account: str, name: str, tag: str) -> int:
        """The status of an HTTPS ``HEAD`` of ``name:tag``'s manifest on ``account``'s registry,
        made from inside the world, verified against the test CA, with moto's login."""
        return self._status(
            "HEAD", f"https://{self.host(account)}/v2/{name}/manifests/{tag}", account
        )

    def reset_moto(self) -> None:
        """Forget every repository and policy the world's moto holds."""
        status = self._status("POST", f"{self.moto_url}/moto-api/reset")
        if status != 200:
            raise WorldError(f"moto reset gave {status}")

    def _status(self, method: str, url: str, account: str = "-") -> int:
        script = str(Path(__file__).resolve())
        done = subprocess.run(
            self.inside([sys.executable, script, "--request", method, url, str(self.ca), account]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise WorldError(f"{method} {url} failed: {done.stderr.strip()}")
        return int(done.stdout)

    def stop(self) -> None:
        """Stop the holder (it stops its services first); the namespace goes with it.

        Only the holder is signalled: ``unshare`` exits when it does. Should it not stop in
        time, the whole group (unshare, holder, services) is killed.
        """
        if self.holder is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except (OSError, ValueError):  # no holder.pid yet: the holder has started nothing
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.holder.pid, signal.SIGTERM)
        try:
            self.holder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.holder.pid, signal.SIGKILL)
            self.holder.wait(timeout=10)


def containerd_namespace(name: str) -> str:
    """``ect-`` and ``name`` as a containerd namespace: each character but a letter or a digit
    as ``-`` and its code in hex. containerd takes only single ``.``, ``_`` or ``-`` between
    letters and digits, and ``tempfile.mkdtemp`` names may end in ``_`` or hold ``__``; one
    such (``ect-wfily_43_``) failed every pull of the world's dockerd."""
    return "ect-" + re.sub(r"[^A-Za-z0-9]", lambda m: f"-{ord(m.group()):x}", name)


def _make_certificates(directory: Path, hosts: Sequence[str]) -> None:
    """A test CA (``ca.crt``) and a server certificate for ``hosts`` signed by it."""
    openssl = _which("openssl") or "openssl"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=ecr-cache test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", f"/CN={hosts[0]}")
    san = ",".join(f"DNS:{host}" for host in hosts)
    (directory / "server.ext").write_text(
        f"subjectAltName={san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
    )
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-days", "2",
        "-CAcreateserial", "-extfile", "server.ext", "-out", "server.crt")  # fmt: skip


# --- inside the namespace (this file run as a script) -----------------------------------------


def _answers(ready: Mapping[str, object], ca: str) -> bool:
    try:
        if "docker" in ready:
            conn = _UnixHTTPConnection(str(ready["docker"]))
            conn.request("GET", "/_ping")
            return conn.getresponse().status == 200
        url = str(ready.get("https") or ready.get("post"))
        context = ssl.create_default_context(cafile=ca)
        request = urllib.request.Request(url, method="POST" if "post" in ready else "GET")
        try:
            with urllib.request.urlopen(request, timeout=2, context=context) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return bool(status == ready["status"])
    except (OSError, http.client.HTTPException):
        return False


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("docker", timeout=2)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(2)
        sock.connect(self._path)
        self.sock = sock


def _hold(directory: Path) -> int:
    """Set up the namespace, start the services, hold until SIGTERM, then stop them."""
    spec = json.loads((directory / "world.json").read_text())
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    (directory / "holder.pid").write_text(str(os.getpid()))
    ip, mount = _which("ip") or "ip", _which("mount") or "mount"
    subprocess.run([ip, "link", "set", "lo", "up"], check=True)
    for address in spec["addresses"]:
        subprocess.run([ip, "addr", "add", f"{address}/32", "dev", "lo"], check=True)
    # unshare made every mount private: these binds are seen in this namespace only.
    for target, source in spec["binds"].items():
        subprocess.run([mount, "--bind", source, target], check=True)
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for service in spec["services"]:
            with (directory / "logs" / f"{service['name']}.log").open("ab") as log:
                proc = subprocess.Popen(
                    service["argv"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
                )
            procs.append((service["name"], proc))
        pending = {s["name"]: s["ready"] for s in spec["services"]}
        deadline = time.monotonic() + START_TIMEOUT
        while pending and not stopping:
            for name, proc in procs:
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}", flush=True)
                    return 1
            for name in [n for n, ready in pending.items() if _answers(ready, spec["ca"])]:
                del pending[name]
            if time.monotonic() > deadline:
                print(f"not ready: {', '.join(pending)}", flush=True)
                return 1
            time.sleep(0.02)
        if not stopping:
            (directory / "ready").write_text("")
        while not stopping:
            time.sleep(0.1)  # a signal.pause() could miss a SIGTERM landing just before it
        return 0
    finally:
        for _name, proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _request(method: str, url: str, ca: str, account: str) -> int:
    """``--request METHOD URL CA ACCOUNT``: print the status; with moto's login for ACCOUNT
    (``-``: none) and the manifest types a HEAD must accept."""
    headers = {"Accept": MANIFEST_ACCEPT}
    if account != "-":
        login = base64.b64encode(f"{ECR_USER}:{moto_password(account)}".encode()).decode()
        headers["Authorization"] = f"Basic {login}"
    request = urllib.request.Request(url, method=method, headers=headers)
    context = ssl.create_default_context(cafile=ca)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            print(response.status)
    except urllib.error.HTTPError as error:
        print(error.code)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--request":
        sys.exit(_request(*sys.argv[2:6]))
    sys.exit(_hold(Path(sys.argv[1])))
