"""Nothing from the job's checkout runs on the host outside the build: the real shim, real
interpreters and a real bootstrap, on Python 3.10 (no ``PYTHONSAFEPATH``) and the newest here.

The job's checkout (the shim's working directory) is hostile. At its top: every module an
interpreter started there might import (``venv.py``, ``pip/``, ``ensurepip/``, ``hashlib.py``,
``encodings/``, ``site.py``, ``json.py``, ``sitecustomize.py``, an ``ecr_cache_tui/`` with a
``__main__.py``…), each of which leaves a marker when imported (``venv.py`` also a ``.pth`` in the
virtualenv it is asked to make); a ``uv.toml`` and a ``pyproject.toml`` sending uv's index to a
dead port; and executables named as the commands the shim runs (``python3.14`` … ``python3``,
``uv``, ``find``, ``rm``, ``sha256sum``…), found first if a relative ``PATH`` entry were searched:
the job's ``PATH`` starts with ``.`` and ends with ``:``. Its environment adds ``PYTHONPATH=.``
and a ``PYTHONUSERBASE`` whose site-packages holds a ``.pth``. One job builds the virtualenv and
the image, a second hits: no marker, no ``.pth``, and the exports are the image's.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
from pathlib import Path

import pytest

from tests.checkout import copy_checkout
from tests.hook.hookrun import Agent
from tests.hook.pathfarm import command_farm, pyenv_root, real_interpreter
from tests.hook.venvkey import shared_venvs
from tests.services import Services, write_context

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]

MARK = 'open({markers!r} + "/{name}", "w").write("imported")\n'
MODULES = (
    "venv.py",
    "pip/__init__.py",
    "pip/__main__.py",
    "ensurepip/__init__.py",
    "ensurepip/__main__.py",
    "hashlib.py",
    "encodings/__init__.py",
    "site.py",
    "json.py",
    "fcntl.py",
    "sitecustomize.py",
    "usercustomize.py",
    "ecr_cache_tui/__init__.py",
    "ecr_cache_tui/__main__.py",
    "ecr_cache_tui/cli.py",
)
COMMANDS = (
    *(f"python3.{minor}" for minor in range(10, 16)),
    "python3",
    "python",
    "uv",
    "find",
    "rm",
    "mkdir",
    "mktemp",
    "cat",
    "sha256sum",
    "stat",
    "flock",
    "docker",
)
#: uv's configuration in a project: an index that answers nothing.
UV_TOML = 'index-url = "http://127.0.0.1:9/simple"\n'
PYPROJECT = (
    '[project]\nname = "x"\nversion = "0"\n\n[tool.uv]\nindex-url = "http://127.0.0.1:9/simple"\n'
)


def newest_minor() -> str:
    found = sorted(
        {
            tuple(int(x) for x in v.name.split(".")[:2])
            for v in (pyenv_root() / "versions").glob("3.*")
            if re.fullmatch(r"3\.\d+\.\d+", v.name)
        }
    )
    return ".".join(map(str, found[-1])) if found else "3.13"


def plant(checkout: Path, markers: Path) -> None:
    """The hostile files at the checkout's top (see the module's docstring)."""
    for name in MODULES:
        path = checkout / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = MARK.format(markers=str(markers), name=name.replace("/", "."))
        if name == "venv.py":
            # As the attack seen: a .pth into the virtualenv being made, run by every later job.
            text += (
                "import sys, os\nos.makedirs(sys.argv[-1], exist_ok=True)\n"
                "open(os.path.join(sys.argv[-1], 'evil.pth'), 'w').write('import os\\n')\n"
            )
        path.write_text(text)
    for name in COMMANDS:
        path = checkout / name
        path.write_text(f'#!/bin/sh\necho ran > "{markers}/cmd-{name}"\nexit 1\n')
        path.chmod(0o755)
    (checkout / "uv.toml").write_text(UV_TOML)
    (checkout / "pyproject.toml").write_text(PYPROJECT)
    user_site = checkout / "userbase" / "lib"
    for minor in range(10, 16):
        site = user_site / f"python3.{minor}" / "site-packages"
        site.mkdir(parents=True)
        (site / "evil.pth").write_text(
            f'import os; open("{markers}/userbase.pth", "w").write("ran")\n'
        )


def uv_binary() -> str | None:
    return shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


@pytest.mark.parametrize("minor", ["3.10", newest_minor()])
def test_a_hostile_checkout_runs_nothing_on_the_host(
    tmp_path: Path, services: Services, moto_reset: None, busybox_image: str, minor: str
) -> None:
    plugin = copy_checkout(tmp_path / "plugin")
    home = tmp_path / "home"
    home.mkdir()
    markers = tmp_path / "markers"
    markers.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / f"python{minor}").symlink_to(real_interpreter(minor))
    uv = uv_binary()
    if uv is not None:
        (bin_dir / "uv").symlink_to(uv)
    farm = command_farm(tmp_path / "farm", hide=("uv",))
    checkout = write_context(
        tmp_path / "checkout", f"FROM {busybox_image}\nCOPY a.txt /a.txt\n", {"a.txt": "x\n"}
    )
    plant(checkout, markers)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    extra = {
        "ECR_CACHE_PYTHON": "",
        "PATH": f".:{bin_dir}::{farm}:",
        "PYTHONPATH": ".",
        "PYTHONUSERBASE": str(checkout / "userbase"),
        "PYTHONSAFEPATH": "",
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(cache / "pip"),
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR") or str(cache / "uv"),
        # The machine's CA (these machines reach PyPI through a proxy of their own).
        **{k: os.environ[k] for k in ("SSL_CERT_FILE", "SSL_CERT_DIR") if k in os.environ},
    }
    agent = Agent(
        services=services, home=home, transcript=[], hook=plugin / "hooks" / "pre-command"
    )
    config = {
        "cache-on": ["a.txt"],
        "registry-hostname": services.auth_registry,
        "additional-build-args": "--network=host",
    }
    pipeline = f"trust-{secrets.token_hex(4)}"

    miss = agent.run(checkout, config, pipeline, extra)
    hit = agent.run(checkout, config, pipeline, extra)

    assert miss.rc == 0, miss.output
    assert hit.rc == 0, hit.output
    assert "building the plugin's Python environment" in miss.output
    assert sorted(p.name for p in markers.iterdir()) == []
    assert [str(p) for p in tmp_path.rglob("evil.pth") if checkout not in p.parents] == []
    [venv] = [p for p in shared_venvs(home).iterdir() if p.is_dir() and "." not in p.name]
    complete = (venv / ".ecr-cache-complete").read_text()
    assert f"python={bin_dir}/python{minor}\n" in complete
    # The plugin checkout remembers the key (later jobs find the virtualenv with one `stat`,
    # without running the interpreter): the interpreter's path, the identities, the key.
    memo = (plugin / ".ecr-cache-memo").read_text().splitlines()
    assert memo[1] == f"{bin_dir}/python{minor}"
    assert memo[4] == venv.name
    if uv is not None:
        # The checkout's uv.toml (an index that answers nothing) was not read.
        assert "installer=uv" in complete, miss.output
    for run in (miss, hit):
        assert "Traceback" not in run.output
        image = f"{services.auth_registry}/build-cache/acme/{pipeline}"
        assert run.exported["BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_IMAGE"] == image
        assert run.reference == f"{image}:{run.tag}"
    assert hit.reference == miss.reference
    assert any(line.startswith("ecr-cache: hit (local)") for line in hit.output.splitlines())
