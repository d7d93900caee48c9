"""Hook benchmark: this plugin's hit against the reference plugin's call pattern, side by side.

Run it with the services that ``scripts/test`` starts (dockerd, the htpasswd registry playing
ECR's data plane, moto playing its control plane)::

    scripts/test --with-services .venv/bin/python bench/hook_bench.py [--runs 10]

What it measures, in one invocation, rounds interleaved so drift hits every scenario alike:

* ``floor``: ``python3 -c pass`` then ``docker image inspect`` of the same image (the real
  interpreter the hook's virtualenv is made from, the first ``docker`` on PATH), in one bash;
* ``hook, hit (local)``: the real ``hooks/pre-command`` sourced by bash, the image already in
  the daemon and the repository ensured by this host within the hour (the host state the
  setup's miss wrote): no AWS call, no registry request, neither botocore nor docker imported.
  Twice: through the shim's own interpreter discovery and shared virtualenv (built in
  ``bench/.venv-hook-cache`` on first use), as on an agent; and with ``ECR_CACHE_PYTHON`` =
  this venv's python;
* ``hook, hit (local), base digests``: the same local hit with ``base-image-digests: true`` on a
  Dockerfile ``FROM`` an image in the plain registry (behind its own counting relay), inside the
  resolution window: the digest is read from the host's record, no registry is asked;
* ``hook, hit (local), no host state``: the same with the state's location unusable (one
  warning): the repository and policy are checked, botocore and docker imported (the hook's
  local hit before the host state);
* ``hook, hit (pull)``: the same after ``docker rmi`` (not timed): the hook pulls;
* ``reference, image local`` / ``reference, pull``: the reference plugin's calls for the same hit
  (``aws sts get-caller-identity``, ``aws ecr get-login-password | docker login
  --password-stdin`` into a throwaway ``DOCKER_CONFIG``, two ``aws ecr describe-repositories``,
  ``aws ecr put-lifecycle-policy``, ``docker pull``), with the ``aws`` CLI from PyPI in
  ``bench/.venv-awscli`` (created on first use).

AWS API calls are counted outside the product: every client talks to moto through a counting
HTTP proxy started here; registry requests (the hook's and the daemon's) through a counting TCP
relay in front of the registry. The hook's peak RSS is the ``ru_maxrss`` of the largest process
in the hook's tree (its Python: a hit runs no other big process). A separate run under ``python -X
importtime`` lists what the hook imports and checks that ``textual`` is not among it. Start-up:
``python -c pass`` vs ``python -m ecr_cache_tui --version`` vs importing what the hook imports.
Last, the shim's own cost with a package that does nothing, via ``ECR_CACHE_PYTHON`` and via an
already-built virtualenv (the bootstrap's fast path).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import http.client
import http.server
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.relay import CountingRelay  # noqa: E402  (the suite's counting relay, reused)

HOOK = REPO / "hooks" / "pre-command"
AWSCLI_VENV = REPO / "bench" / ".venv-awscli"
#: XDG_CACHE_HOME of the agent-like runs: the shim builds its shared virtualenv here once.
HOOK_CACHE = REPO / "bench" / ".venv-hook-cache"
#: What a local hit must not import.
HEAVY = ("botocore", "boto3", "docker", "requests", "urllib3", "s3transfer")
PYTHON = sys.executable
ECR_NAME = "build-cache/bench/web"
REGION = "eu-west-1"
ECR_PASSWORD = "123456789012-auth-token"  # what moto's GetAuthorizationToken returns
BLOB_MB = 16


# --- counting proxy in front of moto ----------------------------------------------------------


@dataclass
class CallLog:
    """AWS API calls seen by the proxy, by operation name."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: Counter[str] = field(default_factory=Counter)

    def add(self, name: str) -> None:
        with self.lock:
            self.calls[name] += 1

    def take(self) -> Counter[str]:
        with self.lock:
            taken, self.calls = self.calls, Counter()
        return taken


def operation(headers: Mapping[str, str], body: bytes) -> str:
    """The API operation of one request: JSON protocol (ECR) or query protocol (STS)."""
    target = headers.get("X-Amz-Target") or headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    action = urllib.parse.parse_qs(body.decode(errors="replace")).get("Action")
    return action[0] if action else "other"


def start_proxy(upstream: str, calls: CallLog) -> tuple[http.server.ThreadingHTTPServer, str]:
    target = urllib.parse.urlsplit(upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not self.path.startswith("/moto-api"):
                calls.add(operation(dict(self.headers), body))
            conn = http.client.HTTPConnection(target.netloc, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            headers["Host"] = target.netloc
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# --- the scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    seconds: float
    calls: Counter[str]
    maxrss_kb: int = 0
    output: str = ""
    registry_requests: int = 0

    @property
    def inner(self) -> float | None:
        """The hook's own duration, from its summary line (``... in 0.4s``)."""
        found = re.findall(r"^ecr-cache: (?:hit|miss) .* in ([0-9.]+)s$", self.output, re.M)
        return float(found[-1]) if found else None


def timed(
    argv: list[str],
    env: Mapping[str, str],
    cwd: Path,
    calls: CallLog,
    relay: CountingRelay | None = None,
) -> Sample:
    """Run argv, return wall time, the AWS calls and registry requests it made, and its
    tree's largest maxrss."""
    calls.take()
    if relay is not None:
        relay.reset()
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{argv[:3]} failed ({proc.returncode}):\n{output.decode(errors='replace')}")
    return Sample(
        seconds,
        calls.take(),
        usage.ru_maxrss,
        output.decode(errors="replace"),
        len(relay.requests) if relay is not None else 0,
    )


def hook_argv() -> list[str]:
    # As the agent does: source the hook, then print what it exported.
    return [
        "bash",
        "-c",
        '. "$1" || exit $?; printf "exported %s\\n" "$BUILDKITE_PLUGIN_DOCKER_IMAGE"',
        "bash",
        str(HOOK),
    ]


REFERENCE_SCRIPT = r"""
set -euo pipefail
aws=$AWSCLI_BIN/aws
account=$("$aws" sts get-caller-identity --query Account --output text)
"$aws" ecr get-login-password --region "$REGION" |
  docker login --username AWS --password-stdin "$REGISTRY" >/dev/null
"$aws" ecr describe-repositories --repository-names "$ECR_NAME" --output text \
  --query 'repositories[0].registryId' >/dev/null
"$aws" ecr describe-repositories --repository-names "$ECR_NAME" --output text \
  --query 'repositories[0].repositoryUri' >/dev/null
"$aws" ecr put-lifecycle-policy --repository-name "$ECR_NAME" \
  --lifecycle-policy-text "$POLICY" >/dev/null || true
docker pull --quiet "$REGISTRY/$ECR_NAME:$TAG" >/dev/null
echo "account $account"
"""


def ensure_awscli() -> Path:
    aws = AWSCLI_VENV / "bin" / "aws"
    if not aws.exists():
        print(f"installing awscli into {AWSCLI_VENV} (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_VENV)], check=True)
        subprocess.run(
            [str(AWSCLI_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "awscli"],
            check=True,
        )
    return aws.parent


# --- start-up and imports ---------------------------------------------------------------------

HOOK_IMPORTS = (
    "import ecr_cache_tui.cli, ecr_cache_tui.commands.hook, ecr_cache_tui.config,"
    " ecr_cache_tui.cachekey.checksum, ecr_cache_tui.hook.flow, ecr_cache_tui.hook.exports,"
    " ecr_cache_tui.adapters.docker_daemon, ecr_cache_tui.adapters.registry,"
    " ecr_cache_tui.adapters.ecr,"
    " ecr_cache_tui.adapters.aws, ecr_cache_tui.adapters.dockerconfig, boto3, docker"
)
LOCAL_HIT_IMPORTS = (
    "import ecr_cache_tui.cli, ecr_cache_tui.commands.hook, ecr_cache_tui.config,"
    " ecr_cache_tui.cachekey.checksum, ecr_cache_tui.hook.flow, ecr_cache_tui.hook.exports,"
    " ecr_cache_tui.wiring, ecr_cache_tui.adapters.docker_socket,"
    " ecr_cache_tui.adapters.host_state"
)


def startup(runs: int) -> dict[str, float]:
    cases = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -m ecr_cache_tui --version": [PYTHON, "-m", "ecr_cache_tui", "--version"],
        "import what a pull or a miss imports": [PYTHON, "-c", HOOK_IMPORTS],
        "import what a local hit imports": [PYTHON, "-c", LOCAL_HIT_IMPORTS],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def importtime(
    env: Mapping[str, str], cwd: Path
) -> tuple[bool, list[str], float, list[tuple[str, int]]]:
    """One hook run under ``-X importtime``: textual imported?, which of :data:`HEAVY` were,
    total seconds, top imports."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "importtime.log"
        wrapper = Path(tmp) / "python"
        wrapper.write_text(f'#!/bin/bash\nexec "{PYTHON}" -X importtime "$@" 2>>"{log}"\n')
        wrapper.chmod(0o755)
        subprocess.run(
            hook_argv(),
            env={**env, "ECR_CACHE_PYTHON": str(wrapper)},
            cwd=cwd,
            check=True,
            capture_output=True,
        )
        rows: list[tuple[str, int, int]] = []
        for line in log.read_text().splitlines():
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            self_us, cumulative_us, name = line.split(":", 1)[1].split("|", 2)
            rows.append((name[1:].rstrip(), int(self_us), int(cumulative_us)))
    indent = min(len(name) - len(name.lstrip()) for name, _, _ in rows)
    modules = {name.strip() for name, _, _ in rows}
    textual = any(m == "textual" or m.startswith("textual.") for m in modules)
    heavy = sorted(m for m in modules if m in HEAVY)
    total = sum(self_us for _, self_us, _ in rows) / 1e6
    top_level = [
        (name.strip(), cum) for name, _, cum in rows if len(name) - len(name.lstrip()) == indent
    ]
    top = sorted(top_level, key=lambda item: -item[1])[:6]
    return textual, heavy, total, top


def daemon_question(image: str, env: Mapping[str, str], runs: int) -> dict[str, float]:
    """The cheapest way to ask the daemon "do you have this image?": each docker CLI on the
    machine as a process, against the hook's own request over the unix socket (in process:
    what it adds to a Python that is already running)."""
    from ecr_cache_tui.adapters.docker_socket import DaemonSocket, socket_path

    path = socket_path(env)
    assert path is not None, "the benchmark's DOCKER_HOST is a unix socket"
    daemon = DaemonSocket(path)
    clis = {os.path.realpath(c) for c in ("/usr/local/bin/docker", "/usr/bin/docker")}
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        for cli in sorted(c for c in clis if os.access(c, os.X_OK)):
            version = subprocess.run(
                [cli, "--version"], capture_output=True, text=True, check=False
            ).stdout.split(",")[0]
            start = time.perf_counter()
            subprocess.run(
                [cli, "image", "inspect", image], env=env, capture_output=True, check=True
            )
            times.setdefault(f"{cli} image inspect ({version})", []).append(
                time.perf_counter() - start
            )
        start = time.perf_counter()
        assert daemon.image_exists(image)
        times.setdefault("GET /images/<ref>/json over the socket", []).append(
            time.perf_counter() - start
        )
    return {name: statistics.median(values) for name, values in times.items()}


FAKE_PACKAGE = """#!/bin/bash
# Plays the package: writes an empty export file and exits 0.
while (($#)); do [[ $1 == --export-file ]] && : >"$2"; shift; done
"""


def shim_overhead(runs: int) -> dict[str, float]:
    """What the bash shim itself costs, with a package that does nothing.

    ``ECR_CACHE_PYTHON`` set, and the bootstrapped path (a virtualenv already built, found by
    ``python3 -V`` and the lock's hash), against ``bash -c :``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "plugin"
        (plugin / "hooks").mkdir(parents=True)
        (plugin / "hooks" / "pre-command").write_bytes(HOOK.read_bytes())
        (plugin / "requirements.lock").write_bytes((REPO / "requirements.lock").read_bytes())
        fake = Path(tmp) / "fake-python"
        fake.write_text(FAKE_PACKAGE)
        fake.chmod(0o755)
        # The real interpreter first on PATH, as on an agent (not a pyenv shim script), under the
        # versioned name the shim looks for first; no other directory with pythons after it.
        bin_dir = Path(tmp) / "bin"
        bin_dir.mkdir()
        python3 = str(bin_dir / f"python3.{sys.version_info.minor}")
        os.symlink(os.path.realpath(getattr(sys, "_base_executable", sys.executable)), python3)
        version = subprocess.run(
            [python3, "-V"], capture_output=True, text=True, check=True
        ).stdout.split()[1]
        digest = hashlib.sha256(f"ecr-cache-venv 2\n{version}\n{python3}\n".encode())
        digest.update((plugin / "requirements.lock").read_bytes())
        venv = plugin / f".venv-{digest.hexdigest()[:16]}"
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "python").write_text(FAKE_PACKAGE)
        (venv / "bin" / "python").chmod(0o755)
        (venv / ".ecr-cache-complete").write_text("bench\n")
        hook = str(plugin / "hooks" / "pre-command")
        base = {k: v for k, v in os.environ.items() if k != "ECR_CACHE_PYTHON"}
        base["PATH"] = f"{bin_dir}:/usr/bin:/bin"
        cases = {
            "bash -c :": (["bash", "-c", ":"], base),
            "shim, ECR_CACHE_PYTHON set": (
                ["bash", "-c", '. "$1"', "bash", hook],
                {**base, "ECR_CACHE_PYTHON": str(fake)},
            ),
            "shim, bootstrapped virtualenv": (["bash", "-c", '. "$1"', "bash", hook], base),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (argv, env) in cases.items():
                start = time.perf_counter()
                done = subprocess.run(argv, env=env, cwd=tmp, capture_output=True, check=False)
                times[name].append(time.perf_counter() - start)
                if done.returncode != 0 or done.stdout or done.stderr:
                    sys.exit(f"shim overhead: {name} did not run cleanly: {done}")
        if len(list(plugin.glob(".venv-*/"))) != 1:
            sys.exit("shim overhead: the shim built a virtualenv instead of reusing the fake one")
    return {name: statistics.median(values) for name, values in times.items()}


# --- main -------------------------------------------------------------------------------------


def base_image(env: Mapping[str, str], registry: str) -> str:
    """Push local/busybox to ``registry`` as ``bench/base:1``; the ``FROM`` line naming it."""
    reference = f"{registry}/bench/base:1"
    for argv in (
        ["docker", "tag", "local/busybox:latest", reference],
        ["docker", "push", reference],
    ):
        done = subprocess.run(argv, env=dict(env), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return f"FROM {reference}\n"


def setup(env: dict[str, str], checkout: Path) -> str:
    """A checkout, its cached image built and pushed by the hook itself (a miss); the tag."""
    (checkout / "package-lock.json").write_text('{"lockfileVersion": 3, "bench": true}\n')
    (checkout / "blob.bin").write_bytes(os.urandom(BLOB_MB * 1024 * 1024))
    proc = subprocess.run(
        hook_argv(), env=env, cwd=checkout, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"setup: the hook failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    out = proc.stdout
    reference = out.rsplit("exported ", 1)[1].strip()
    return reference.rsplit(":", 1)[1]


def plugin_config(registry: str) -> dict[str, object]:
    """The plugin's configuration the benches' hook runs with, its images on ``registry``."""
    return {
        "dockerfile-inline": "FROM local/busybox:latest\nCOPY blob.bin package-lock.json /data/\n",
        "cache-on": ["package-lock.json"],
        "registry-hostname": registry,
        "ecr-name": ECR_NAME,
        "region": REGION,
        "max-age-days": 14,
    }


def bench_env(
    config: Mapping[str, object], proxy: str, work: Path, *, pipeline: str, docker_config: Path
) -> dict[str, str]:
    """The agent's environment for a hook run: this process's without its ``AWS_``,
    ``BUILDKITE_``, ``ECR_``, ``XDG_``, virtualenv and Python names, then moto's credentials
    behind ``proxy``, the plugin's ``config``, the pipeline's names and state under ``work``."""
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "BUILDKITE_", "ECR_", "XDG_", "VIRTUAL_ENV", "PYTHON"))
        },
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": proxy,
        "AWS_EC2_METADATA_DISABLED": "true",
        "BUILDKITE_PLUGIN_CONFIGURATION": json.dumps(config),
        "BUILDKITE_ORGANIZATION_SLUG": "bench",
        "BUILDKITE_PIPELINE_SLUG": pipeline,
        "BUILDKITE_AGENT_NAME": "bench-agent",
        "DOCKER_CONFIG": str(docker_config),
        "XDG_STATE_HOME": str(work / "state"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per scenario")
    parser.add_argument(
        "--local-only",
        action="store_true",
        help="only the floors and the local hits (no reference pattern, no pull, no aws CLI)",
    )
    args = parser.parse_args(argv)

    for var in ("DOCKER_HOST", "ECR_CACHE_TEST_AUTH_REGISTRY", "ECR_CACHE_TEST_MOTO_URL"):
        if not os.environ.get(var):
            sys.exit(f"{var} is not set: run under `scripts/test --with-services`")
    registry = os.environ["ECR_CACHE_TEST_AUTH_REGISTRY"]
    calls = CallLog()
    server, proxy = start_proxy(os.environ["ECR_CACHE_TEST_MOTO_URL"], calls)
    awscli_bin = Path("/nonexistent") if args.local_only else ensure_awscli()

    work = Path(tempfile.mkdtemp(prefix="hook-bench."))
    checkout = work / "checkout"
    checkout.mkdir()
    relay = CountingRelay(registry)
    config = plugin_config(relay.address)
    # The agent's interpreter, as the shim finds it: the real binary first on PATH under its
    # versioned name (not a pyenv shim script), then the system's docker CLI and tools.
    interpreter = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    bin_dir = work / "bin"
    bin_dir.mkdir()
    os.symlink(interpreter, bin_dir / f"python3.{sys.version_info.minor}")
    os.symlink(interpreter, bin_dir / "python3")
    agent_env = {
        **bench_env(config, proxy, work, pipeline="web", docker_config=work / "docker-config-hook"),
        "XDG_CACHE_HOME": str(HOOK_CACHE),
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
    }
    env = {**agent_env, "ECR_CACHE_PYTHON": PYTHON}
    no_state = {**env, "XDG_STATE_HOME": str(work / "not-a-directory")}
    (work / "not-a-directory").write_text("")
    (work / "docker-config-hook").mkdir()
    tag = setup(env, checkout)
    image = f"{relay.address}/{ECR_NAME}:{tag}"
    bases = CountingRelay(os.environ["ECR_CACHE_TEST_REGISTRY"])
    digests_checkout = work / "checkout-digests"
    digests_checkout.mkdir()
    digests_env = {
        **env,
        "BUILDKITE_PLUGIN_CONFIGURATION": json.dumps(
            {
                **config,
                "dockerfile-inline": base_image(env, bases.address)
                + "COPY blob.bin package-lock.json /data/\n",
                "ecr-name": f"{ECR_NAME}-digests",
                "base-image-digests": True,
            }
        ),
    }
    setup(digests_env, digests_checkout)  # the miss that builds it and keeps the digest
    # The shim's own path, once, not timed: it builds the shared virtualenv on first use.
    first = subprocess.run(
        hook_argv(), env=agent_env, cwd=checkout, capture_output=True, check=False
    )
    if first.returncode != 0:
        sys.exit(f"the shim's own path failed:\n{first.stdout.decode()}{first.stderr.decode()}")
    policy = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "Expire images older than 14 days",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 14,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )

    def rmi() -> None:
        subprocess.run(
            ["docker", "rmi", "--force", image], env=env, capture_output=True, check=False
        )

    def reference(local: bool) -> Callable[[], Sample]:
        def run() -> Sample:
            if not local:
                rmi()
            with tempfile.TemporaryDirectory() as docker_config:
                ref_env = {
                    **env,
                    "DOCKER_CONFIG": docker_config,
                    "AWSCLI_BIN": str(awscli_bin),
                    "REGISTRY": relay.address,
                    "ECR_NAME": ECR_NAME,
                    "REGION": REGION,
                    "TAG": tag,
                    "POLICY": policy,
                }
                return timed(["bash", "-c", REFERENCE_SCRIPT], ref_env, checkout, calls, relay)

        return run

    def hook(local: bool, hook_env: Mapping[str, str] = env) -> Callable[[], Sample]:
        def run() -> Sample:
            if not local:
                rmi()
            return timed(hook_argv(), hook_env, checkout, calls, relay)

        return run

    def floor(of: str = image) -> Callable[[], Sample]:
        def run() -> Sample:
            script = '"$1" -c pass && docker image inspect "$2" >/dev/null'
            return timed(
                ["bash", "-c", script, "bash", interpreter, of], env, checkout, calls, relay
            )

        return run

    def digests_hit() -> Sample:
        bases.reset()
        found = timed(hook_argv(), digests_env, digests_checkout, calls, relay)
        if "hit (local)" not in found.output:
            sys.exit(f"base digests: not a local hit:\n{found.output}")
        count = found.registry_requests + len(bases.requests) + bases.connections
        return dataclasses.replace(found, registry_requests=count)

    scenarios: dict[str, Callable[[], Sample]] = {
        "floor: python3 + image inspect": floor(),
        "hook, hit (local), agent's path": hook(local=True, hook_env=agent_env),
        "hook, hit (local)": hook(local=True),
        "hook, hit (local), base digests": digests_hit,
        "hook, hit (local), no state": hook(local=True, hook_env=no_state),
        "reference, hit (image local)": reference(local=True),
        "hook, hit (pull)": hook(local=False),
        "reference, hit (pull)": reference(local=False),
    }
    if args.local_only:
        for name in ("reference, hit (image local)", "hook, hit (pull)", "reference, hit (pull)"):
            del scenarios[name]
    for run in scenarios.values():  # warm-up: page cache, moto's first-request costs
        run()
    samples: dict[str, list[Sample]] = {name: [] for name in scenarios}
    for _ in range(args.runs):
        for name, run in scenarios.items():
            samples[name].append(run())
    if args.local_only:
        server.shutdown()
        relay.close()
        bases.close()
        return report(samples, args.runs, registry)
    hook(local=True)()  # the image in the daemon again (a pull if the last run removed it)
    textual, heavy, import_total, top = importtime(env, checkout)
    start = startup(args.runs)
    question = daemon_question(image, env, max(args.runs, 20))
    shim = shim_overhead(max(args.runs, 20))
    server.shutdown()
    relay.close()
    bases.close()
    report(samples, args.runs, registry)
    rss = max(s.maxrss_kb for key in PAIRS for s in samples[key]) / 1024
    print(f"hook peak RSS (largest process of the hook's tree, all hook runs): {rss:.1f} MiB")
    print(f"textual imported by the hook: {'YES' if textual else 'no'}")
    print(f"botocore/docker/requests imported by a local hit: {', '.join(heavy) or 'none'}")
    print(f"local hit's import time (sum of -X importtime self times): {import_total:.3f}s; top:")
    for name, cumulative in top:
        print(f"    {name:40} {cumulative / 1e6:6.3f}s cumulative")
    print()
    print(f"{'start-up':40} {'median':>8} {'vs python -c pass':>18}")
    for name, seconds in start.items():
        print(f"{name:40} {seconds:7.3f}s {seconds / start['python -c pass']:17.1f}x")
    print()
    print(f"{'asking the daemon for the image':60} {'median':>8}")
    for name, seconds in question.items():
        print(f"{name:60} {seconds * 1000:6.1f}ms")
    print()
    print(f"{'the shim alone (a package that does nothing)':46} {'median':>8} {'over bash':>10}")
    for name, seconds in shim.items():
        extra = (seconds - shim["bash -c :"]) * 1000
        print(f"{name:46} {seconds * 1000:6.1f}ms {extra:+8.1f}ms")
    return 0


#: Each hook scenario and the reference scenario it is compared with.
PAIRS = {
    "hook, hit (local), agent's path": "reference, hit (image local)",
    "hook, hit (local)": "reference, hit (image local)",
    "hook, hit (local), no state": "reference, hit (image local)",
    "hook, hit (pull)": "reference, hit (pull)",
}


def report(samples: Mapping[str, list[Sample]], runs: int, registry: str) -> int:
    """The table: median and min wall time, and both against the scenario's floor."""
    med = {name: statistics.median(s.seconds for s in values) for name, values in samples.items()}
    low = {name: min(s.seconds for s in values) for name, values in samples.items()}
    first_floor = "floor: python3 + image inspect"
    print(f"\nhook benchmark: {runs} runs per scenario, interleaved; median wall time")
    print(
        f"image {BLOB_MB} MiB + busybox; registry {registry} (htpasswd) via a counting relay; "
        "moto via a counting proxy"
    )
    print()
    columns = ("median", "min", "flow", "vs floor", "min/min", "vs ref", "AWS", "registry")
    widths = (8, 8, 6, 8, 7, 7, 4, 8)
    header = (
        f"{'scenario':32} "
        + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
        + "  AWS calls"
    )
    print(header)
    print("-" * len(header))
    for name, values in samples.items():
        baseline = PAIRS.get(name)
        ratio = f"{med[baseline] / med[name]:.1f}x" if baseline in med else "-"
        floor_name = first_floor
        last = values[-1].calls
        detail = ", ".join(f"{op} {n}" for op, n in sorted(last.items()))
        inner = [s.inner for s in values if s.inner is not None]
        flow = f"{statistics.median(inner):5.1f}s" if inner else "-"
        print(
            f"{name:32} {med[name]:7.3f}s {low[name]:7.3f}s {flow:>6} "
            f"{med[name] / med[floor_name]:7.2f}x {low[name] / low[floor_name]:6.2f}x "
            f"{ratio:>7} {sum(last.values()):>4} {values[-1].registry_requests:>8}  {detail}"
        )
    print()
    print("'vs floor': median over the floor's median (target for a local hit: at most 2.5x);")
    print("'min/min': fastest run over the floor's fastest")
    digests, plain = "hook, hit (local), base digests", "hook, hit (local)"
    if digests in med and plain in med:
        print(
            f"base-image-digests' own cost on a local hit: median {med[digests] / med[plain]:.2f}x,"
            f" min {low[digests] / low[plain]:.2f}x the same hit without it"
        )
    print("'vs ref': how many times faster than the reference pattern for the same hit")
    print("'AWS', 'registry': requests of the last run, counted outside the product (for the")
    print("base-digests hit: the cache's registry and the base image's registry together)")
    print("'flow': the hook's own summary line (Python flow after imports, 0.1 s resolution)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
