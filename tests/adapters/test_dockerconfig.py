"""Logins from the user's Docker config: credHelpers, credsStore, auths; never written."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from ecr_cache_tui.adapters.dockerconfig import DockerConfig


def write(home: Path, data: dict[str, object]) -> dict[str, str]:
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(json.dumps(data))
    return {"HOME": str(home), "PATH": os.environ.get("PATH", "")}


def helper(bin_dir: Path, name: str, host: str, secret: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(
        "#!/bin/bash\nread -r host\n"
        f'if [[ $1 == get && $host == "{host}" ]]; then\n'
        f'  printf \'{{"Username":"AWS","Secret":"%s"}}\' "{secret}"; exit 0\nfi\n'
        'echo "credentials not found in native keychain"; exit 1\n'
    )
    script.chmod(0o755)


def test_auths_entry(tmp_path: Path) -> None:
    auth = base64.b64encode(b"user:pa:ss").decode()
    env = write(tmp_path, {"auths": {"https://reg.example": {"auth": auth}}})
    found = DockerConfig.load(env).credentials("reg.example")
    assert found is not None and (found.username, found.password) == ("user", "pa:ss")
    assert "pa:ss" not in repr(found)


def test_helpers_only_ignores_auths(tmp_path: Path) -> None:
    auth = base64.b64encode(b"AWS:stale").decode()
    env = write(tmp_path, {"auths": {"1.dkr.ecr.x.amazonaws.com": {"auth": auth}}})
    assert (
        DockerConfig.load(env).credentials("1.dkr.ecr.x.amazonaws.com", helpers_only=True) is None
    )


def test_cred_helper_for_the_host_wins(tmp_path: Path) -> None:
    env = write(tmp_path / "home", {"credHelpers": {"ecr.host": "fake"}, "credsStore": "other"})
    helper(tmp_path / "bin", "fake", "ecr.host", "from-helper")
    env["PATH"] = f"{tmp_path / 'bin'}:{env['PATH']}"
    found = DockerConfig.load(env).credentials("ecr.host", helpers_only=True)
    assert found is not None and found.password == "from-helper"


def test_creds_store_that_does_not_know_the_host_falls_back_to_auths(tmp_path: Path) -> None:
    auth = base64.b64encode(b"u:p").decode()
    env = write(tmp_path / "home", {"credsStore": "fake", "auths": {"r": {"auth": auth}}})
    helper(tmp_path / "bin", "fake", "elsewhere", "x")
    env["PATH"] = f"{tmp_path / 'bin'}:{env['PATH']}"
    found = DockerConfig.load(env).credentials("r")
    assert found is not None and found.password == "p"


def test_missing_config_is_empty(tmp_path: Path) -> None:
    assert DockerConfig.load({"HOME": str(tmp_path)}).credentials("r") is None
