"""The ``docker build`` argv: every option in its place, no env value in it."""

from __future__ import annotations

from pathlib import Path

from ecr_cache_tui.cachekey.inputs import LABEL
from ecr_cache_tui.config import BuildArg, PluginConfig, Secret
from ecr_cache_tui.hook.build import build_args

CHECKOUT = Path("/co")


def argv(config: PluginConfig, **kw: object) -> list[str]:
    base: dict[str, object] = {
        "checkout": CHECKOUT,
        "dockerfile": CHECKOUT / "Dockerfile",
        "reference": "h/r:t",
        "label": "{}",
        "buildkit": False,
        "cache_from": None,
        "force": False,
    }
    base.update(kw)
    return build_args(config, **base)  # type: ignore[arg-type]


def test_minimal() -> None:
    assert argv(PluginConfig()) == [
        "--file",
        "/co/Dockerfile",
        "--tag",
        "h/r:t",
        "--label",
        f"{LABEL}={{}}",
        "/co",
    ]


def test_every_option() -> None:
    config = PluginConfig(
        context="app",
        target="deps",
        platform="linux/arm64",
        build_args=(BuildArg("NODE_ENV", "secret-from-env", from_env=True), BuildArg("A", "1")),
        unhashed_build_args=(BuildArg("TOKEN", "volatile", from_env=True),),
        secrets=(Secret("npm", "id=npm,env=npm"),),
        additional_build_args=("--network=host", "--ssh", "default"),
    )
    out = argv(config, buildkit=True, cache_from="h/r:latest", force=True)
    assert out == [
        "--file",
        "/co/Dockerfile",
        "--tag",
        "h/r:t",
        "--target",
        "deps",
        "--platform",
        "linux/arm64",
        "--build-arg",
        "NODE_ENV",
        "--build-arg",
        "A=1",
        "--build-arg",
        "TOKEN",
        "--build-arg",
        "BUILDKIT_INLINE_CACHE=1",
        "--secret",
        "id=npm,env=npm",
        "--cache-from",
        "h/r:latest",
        "--pull",
        "--no-cache",
        "--label",
        f"{LABEL}={{}}",
        "--network=host",
        "--ssh",
        "default",
        "/co/app",
    ]
    assert not any("secret-from-env" in a or "volatile" in a for a in out)


def test_legacy_builder_gets_no_buildkit_flags() -> None:
    config = PluginConfig(secrets=(Secret("npm", "id=npm,env=npm"),))
    out = argv(config, buildkit=False)
    assert "--secret" not in out and "BUILDKIT_INLINE_CACHE=1" not in out


def test_base_images_named_by_digest_are_pulled_once_not_twice() -> None:
    assert argv(PluginConfig(), pull=True).count("--pull") == 1
    assert argv(PluginConfig(), pull=True, force=True).count("--pull") == 1
    assert "--pull" not in argv(PluginConfig())
