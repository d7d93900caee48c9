"""The local hit through the real shim against its floor, interleaved (issue 19's measure).

Run it with the services that ``scripts/test`` starts (dockerd, the htpasswd registry, moto)::

    scripts/test --with-services .venv/bin/python bench/hit_bench.py [--rounds 11] [--instructions]

Set up, not timed: the shim itself builds its virtualenv from ``requirements.lock`` with the
interpreter this script runs on (its real binary first on PATH as ``python3.N``, as on an agent)
in a fresh ``XDG_CACHE_HOME``, exactly as a first job on a host does; then the hook misses once,
builds and pushes, so the image is in the daemon and the host state says the repository was
ensured: every later run is a local hit that asks nobody.

Timed, every round runs each scenario once, in turn (interleaved: drift and other load hit all
of them alike):

* ``floor``: ``bash -c '"$PY" -c pass && docker image inspect IMAGE >/dev/null'``, ``PY`` being
  that virtualenv's python (what an operator would name in ``ECR_CACHE_PYTHON``) and ``docker``
  the first on PATH: starting the interpreter and asking the daemon, nothing else;
* ``hit, ECR_CACHE_PYTHON``: the real ``hooks/pre-command`` sourced by bash as the agent does;
* ``hit, ECR_CACHE_PYTHON, base-image-digests``: the same hit of a Dockerfile ``FROM`` an image
  in the plain registry with ``base-image-digests: true``, its digest kept on the host (#21);
* ``hit, agent's path``: the same without ``ECR_CACHE_PYTHON``: the shim finds the interpreter
  and the shared virtualenv (the key remembered in the plugin checkout, one ``stat`` telling the
  interpreter's and the lock's identity and the places' ownership; the first run, or a changed
  interpreter or lock: ``python3.N -I -V``, the lock's hash and a ``find``);
* ``shim alone, ECR_CACHE_PYTHON`` and ``shim alone, agent's path``: the shim with a package
  that does nothing (a bash script writing an empty export file): the shim's own share, and its
  share plus interpreter discovery and the virtualenv check;
* the parts: ``PY -I -c pass``, ``docker image inspect``, ``bash -c :``;
* with ``--before DIR``: the hit through ``DIR``'s shim and package (an earlier tree), same
  virtualenv, same image and host state; and the shim alone, both ways, through ``DIR``'s shim.

Reported: each scenario's minimum and median, the hit over the floor (median over median, and
minimum over minimum), and the load average before and after. With ``--instructions``, also the
instructions each Python part executes under valgrind (callgrind's ``Ir``; the docker CLI, a Go
program, is left out): a count that the machine's load does not change.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.hook.venvkey import venv_key  # noqa: E402  (the suite's copy of the shim's key)

HOOK = REPO / "hooks" / "pre-command"
ECR_NAME = "build-cache/bench/hit"
REGION = "eu-west-1"
NOTHING = """#!/bin/bash
# Plays the package: an empty export file, exit 0.
while (($#)); do [[ $1 == --export-file ]] && : >"$2"; shift; done
"""
SOURCE = ["bash", "-c", '. "$1"', "bash"]


def run(argv: list[str], env: Mapping[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=dict(env), cwd=cwd, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(
            f"{argv[:4]} failed ({done.returncode}):\n{done.stdout.decode()}{done.stderr.decode()}"
        )
    return seconds


def setup(work: Path) -> tuple[dict[str, str], dict[str, str], str, Path]:
    """The agent's environment, the same with ECR_CACHE_PYTHON, the image, the checkout."""
    registry = os.environ["ECR_CACHE_TEST_AUTH_REGISTRY"]
    checkout = work / "checkout"
    checkout.mkdir()
    (checkout / "Dockerfile").write_text("FROM local/busybox:latest\nCOPY a.txt /a.txt\n")
    (checkout / "a.txt").write_text("bench\n")
    bin_dir = work / "bin"
    bin_dir.mkdir()
    interpreter = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    (bin_dir / f"python3.{sys.version_info.minor}").symlink_to(interpreter)
    config = {
        "cache-on": ["a.txt"],
        "registry-hostname": registry,
        "ecr-name": ECR_NAME,
        "region": REGION,
    }
    keep = ("DOCKER_HOST", "LANG", "SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CACHE_DIR")
    agent = {k: os.environ[k] for k in keep if k in os.environ}
    agent.update(
        {
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(work / "home"),
            "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache/pip"),
            "XDG_CACHE_HOME": str(work / "cache"),
            "XDG_STATE_HOME": str(work / "state"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": os.environ["ECR_CACHE_TEST_MOTO_URL"],
            "AWS_EC2_METADATA_DISABLED": "true",
            "DOCKER_CONFIG": str(work / "docker-config"),
            "BUILDKITE_PLUGIN_CONFIGURATION": json.dumps(config),
            "BUILDKITE_ORGANIZATION_SLUG": "bench",
            "BUILDKITE_PIPELINE_SLUG": "hit",
            "ECR_CACHE_DOCKER_CLI": os.environ.get("ECR_CACHE_TEST_DOCKER_LEGACY_CLI", "docker"),
            "DOCKER_BUILDKIT": "0",
        }
    )
    (work / "home").mkdir()
    (work / "docker-config").mkdir()
    # The first job on the host: the shim builds the virtualenv, the hook builds and pushes.
    run([*SOURCE, str(HOOK)], agent, checkout)
    [venv] = [p for p in (work / "cache" / "ecr-cache-tui" / "venvs").iterdir() if p.is_dir()]
    with_python = {**agent, "ECR_CACHE_PYTHON": str(venv / "bin" / "python")}
    probe = subprocess.run(
        [
            "bash",
            "-c",
            '. "$1" && printf "%s" "$BUILDKITE_PLUGIN_DOCKER_IMAGE" >&2',
            "bash",
            str(HOOK),
        ],
        env=with_python,
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    if "hit (local)" not in probe.stdout:
        sys.exit(f"the setup did not leave a local hit:\n{probe.stdout}")
    return agent, with_python, probe.stderr.strip(), checkout


def with_base_digests(with_python: Mapping[str, str], checkout: Path) -> dict[str, str]:
    """The same local hit with ``base-image-digests: true``: ``FROM`` an image in the plain
    registry, its digest kept on the host by one miss (not timed), within its window."""
    base = f"{os.environ['ECR_CACHE_TEST_REGISTRY']}/bench/base:1"
    for argv in (["docker", "tag", "local/busybox:latest", base], ["docker", "push", base]):
        run(argv, os.environ, checkout)
    (checkout / "Dockerfile.base").write_text(f"FROM {base}\nCOPY a.txt /a.txt\n")
    config = json.loads(with_python["BUILDKITE_PLUGIN_CONFIGURATION"])
    config.update(
        {
            "dockerfile": "Dockerfile.base",
            "ecr-name": f"{ECR_NAME}-digests",
            "base-image-digests": True,
        }
    )
    env = {**with_python, "BUILDKITE_PLUGIN_CONFIGURATION": json.dumps(config)}
    run([*SOURCE, str(HOOK)], env, checkout)  # the miss: build, push, keep the digest
    probe = subprocess.run(
        [*SOURCE, str(HOOK)], env=env, cwd=checkout, capture_output=True, text=True, check=True
    )
    if "hit (local)" not in probe.stdout:
        sys.exit(f"the base-image-digests setup did not leave a local hit:\n{probe.stdout}")
    return env


def nothing_package(
    work: Path, agent: Mapping[str, str], hook: Path = HOOK, suffix: str = ""
) -> tuple[dict[str, str], Path]:
    """A plugin copy whose package does nothing, its virtualenv prebuilt where the shim looks."""
    plugin = work / f"nothing-plugin{suffix}"
    (plugin / "hooks").mkdir(parents=True)
    shutil.copy2(hook, plugin / "hooks" / "pre-command")
    shutil.copy2(REPO / "requirements.lock", plugin / "requirements.lock")
    python3 = next(Path(agent["PATH"].split(":")[0]).iterdir())
    version = subprocess.run(
        [str(python3), "-V"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    cache = work / f"nothing-cache{suffix}"
    venv = (
        cache
        / "ecr-cache-tui"
        / "venvs"
        / venv_key(version, str(python3), plugin / "requirements.lock")
    )
    (venv / "bin").mkdir(parents=True)
    for place in (cache, cache / "ecr-cache-tui", venv.parent):
        place.chmod(0o700)
    (venv / "bin" / "python").write_text(NOTHING)
    (venv / "bin" / "python").chmod(0o755)
    (venv / ".ecr-cache-complete").write_text("bench\n")
    return {**agent, "XDG_CACHE_HOME": str(cache)}, plugin / "hooks" / "pre-command"


def instructions(argv: list[str], env: Mapping[str, str], cwd: Path) -> float | None:
    """Millions of instructions ``argv`` (and its children) executes under callgrind.

    Valgrind's own messages go to log files, not to the programs' stderr: the shim reads
    ``python3.N -V 2>&1``, which valgrind's banner would spoil (the hook then fails). A run
    that fails is reported and exits the benchmark: its count would measure something else.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [
                valgrind,
                "--tool=callgrind",
                "--trace-children=yes",
                f"--callgrind-out-file={tmp}/cg.%p",
                f"--log-file={tmp}/log.%p",
                *argv,
            ],
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"{argv[:4]} failed under valgrind ({done.returncode}):\n{done.stderr}")
        counts = [
            int(line.rsplit(" ", 1)[1])
            for log in Path(tmp).glob("log.*")
            for line in log.read_text().splitlines()
            if "Collected :" in line
        ]
    return sum(counts) / 1e6 if counts else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds (9 or more)")
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of an earlier tree (git worktree add DIR REV): its hit, ECR_CACHE_PYTHON, "
        "joins the rounds as the before of a before/after pair",
    )
    args = parser.parse_args(argv)
    for var in ("DOCKER_HOST", "ECR_CACHE_TEST_AUTH_REGISTRY", "ECR_CACHE_TEST_MOTO_URL"):
        if not os.environ.get(var):
            sys.exit(f"{var} is not set: run under `scripts/test --with-services`")
    work = Path(tempfile.mkdtemp(prefix="hit-bench."))
    agent, with_python, image, checkout = setup(work)
    python = with_python["ECR_CACHE_PYTHON"]
    nothing_env, nothing_hook = nothing_package(work, agent)
    if args.before:
        before_env, before_hook = nothing_package(
            work, agent, args.before / "hooks" / "pre-command", "-before"
        )
    nothing = work / "nothing-python"
    nothing.write_text(NOTHING)
    nothing.chmod(0o755)
    floor_script = '"$1" -c pass && docker image inspect "$2" >/dev/null'
    scenarios: dict[str, tuple[list[str], Mapping[str, str]]] = {
        "floor: python -c pass + docker image inspect": (
            ["bash", "-c", floor_script, "bash", python, image],
            with_python,
        ),
        "hit, ECR_CACHE_PYTHON": ([*SOURCE, str(HOOK)], with_python),
        "hit, agent's path": ([*SOURCE, str(HOOK)], agent),
        "hit, ECR_CACHE_PYTHON, base-image-digests": (
            [*SOURCE, str(HOOK)],
            with_base_digests(with_python, checkout),
        ),
        **(
            {
                "hit, ECR_CACHE_PYTHON, --before": (
                    [*SOURCE, str(args.before / "hooks" / "pre-command")],
                    with_python,
                )
            }
            if args.before
            else {}
        ),
        "shim alone, ECR_CACHE_PYTHON": (
            [*SOURCE, str(nothing_hook)],
            {**nothing_env, "ECR_CACHE_PYTHON": str(nothing)},
        ),
        "shim alone, agent's path": ([*SOURCE, str(nothing_hook)], nothing_env),
        **(
            {
                "shim alone, ECR_CACHE_PYTHON, --before": (
                    [*SOURCE, str(before_hook)],
                    {**before_env, "ECR_CACHE_PYTHON": str(nothing)},
                ),
                "shim alone, agent's path, --before": ([*SOURCE, str(before_hook)], before_env),
            }
            if args.before
            else {}
        ),
        "part: python -I -c pass": ([python, "-I", "-c", "pass"], with_python),
        "part: docker image inspect": (["docker", "image", "inspect", image], with_python),
        "part: bash -c :": (["bash", "-c", ":"], with_python),
    }
    for argv_, env in scenarios.values():  # warm-up: page cache, bytecode
        run(argv_, env, checkout)
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in scenarios}
    for _ in range(args.rounds):
        for name, (argv_, env) in scenarios.items():
            times[name].append(run(argv_, env, checkout))
    load_after = os.getloadavg()

    floor = times["floor: python -c pass + docker image inspect"]
    print(
        f"\nlocal hit vs floor: {args.rounds} rounds, interleaved; Python {sys.version.split()[0]}"
    )
    print(
        f"load average (1, 5, 15 min) before {load_before}, after {load_after}; "
        f"{os.cpu_count()} CPUs\n"
    )
    print(f"{'scenario':46} {'min':>8} {'median':>8} {'min/min':>8} {'med/med':>8}")
    low, mid = min(floor), statistics.median(floor)
    for name, values in times.items():
        print(
            f"{name:46} {min(values) * 1000:6.1f}ms {statistics.median(values) * 1000:6.1f}ms "
            f"{min(values) / low:7.2f}x {statistics.median(values) / mid:7.2f}x"
        )
    if args.instructions:
        print("\ninstructions (callgrind Ir, millions; load-independent):")
        parts = {
            "python -I -c pass (the floor's Python)": ([python, "-I", "-c", "pass"], with_python),
            "hit, ECR_CACHE_PYTHON (bash, shim, package)": scenarios["hit, ECR_CACHE_PYTHON"],
            **(
                {"hit, ECR_CACHE_PYTHON, --before": scenarios["hit, ECR_CACHE_PYTHON, --before"]}
                if args.before
                else {}
            ),
            "shim alone, ECR_CACHE_PYTHON": scenarios["shim alone, ECR_CACHE_PYTHON"],
            "shim alone, agent's path": scenarios["shim alone, agent's path"],
            **(
                {
                    name: scenarios[name]
                    for name in (
                        "shim alone, ECR_CACHE_PYTHON, --before",
                        "shim alone, agent's path, --before",
                    )
                }
                if args.before
                else {}
            ),
        }
        base = None
        for name, (argv_, env) in parts.items():
            count = instructions(argv_, env, checkout)
            if count is None:
                print("  valgrind is not installed: skipped")
                break
            base = base or count
            print(f"  {name:46} {count:8.1f}M {count / base:6.2f}x")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
