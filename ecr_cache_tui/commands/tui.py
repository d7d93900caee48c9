"""``ecr-cache tui``: browse and maintain the caches in a terminal UI.

``--demo`` runs on an embedded in-process ECR (moto) filled with realistic pipelines, and beside
it an OCI registry on loopback (``g`` switches), so the TUI can be tried with no AWS account.
Textual, botocore and moto are imported inside :func:`run`.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from ecr_cache_tui.commands._maintainer import (
    add_region_profile_prefix,
    add_registry_arguments,
    check_account_id,
    check_registry_arguments,
    checked_prefix,
)
from ecr_cache_tui.errors import ConfigError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run on an embedded in-process ECR (moto) with generated pipelines: no AWS needed",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="hide and disable every action that changes ECR"
    )
    add_region_profile_prefix(parser)
    parser.add_argument(
        "--account-id", help="AWS account id of the registry (default: the caller's)"
    )
    parser.add_argument(
        "--refresh",
        metavar="SECONDS",
        help="reload the screen in front every SECONDS (default: only on r)",
    )
    add_registry_arguments(parser)


def _seconds(text: str | None) -> float | None:
    """``--refresh``: seconds, at least 1 (``None``: no auto-refresh)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1 <= value < float("inf"):  # NaN compares false too
        raise ConfigError(
            f"--refresh: {text!r} is not allowed; use a number of seconds, at least 1"
        )
    return value


def _validate(args: argparse.Namespace) -> None:
    if args.demo and args.profile:
        raise ConfigError(f"--profile: {args.profile!r} cannot be used with --demo (no AWS)")
    if args.demo and args.account_id is not None:
        raise ConfigError(f"--account-id: {args.account_id!r} cannot be used with --demo (no AWS)")
    if args.demo and args.registry_provider == "oci":
        raise ConfigError("--registry-provider: oci cannot be used with --demo (it has its own)")
    check_account_id(args.account_id)
    check_registry_arguments(args)


def _need(extra: str, *modules: str) -> None:
    """One line, not a traceback, when an optional dependency is not installed.

    The base install (``pip install ecr_cache_tui``, the hook's own virtualenv) has neither
    textual nor moto: they come with the ``[tui]`` and ``[demo]`` extras.
    """
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    import importlib.util  # noqa: PLC0415

    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"tui{' --demo' if extra == 'demo' else ''}: needs {' and '.join(missing)}, which "
            f"this install lacks: pip install 'ecr_cache_tui[{extra}]'"
        )


def run(args: argparse.Namespace) -> int:
    """Run the TUI until the user quits."""
    _validate(args)
    prefix = checked_prefix(args.prefix)
    refresh = _seconds(args.refresh)
    if args.demo:
        _need("demo", "textual", "moto")
    else:
        _need("tui", "textual")
    # lazy: textual only here
    from ecr_cache_tui.tui.app import CacheApp  # noqa: PLC0415

    if args.demo:
        return _run_demo(args, prefix, refresh)

    if args.registry_provider == "oci":
        return _run_oci(args, prefix, refresh)
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.wiring import open_service, service_region  # noqa: PLC0415

    region = service_region(args.region, args.profile)
    service = open_service(
        region=region,
        profile=args.profile,
        prefix=prefix,
        registry_hostname=args.registry_hostname,
        account_id=args.account_id,
        interactive=True,
    )
    CacheApp(
        service,
        read_only=args.read_only,
        source="AWS",
        region=region,
        profile=args.profile,
        account=args.account_id,
        refresh_seconds=refresh,
    ).run()
    return 0


def _run_oci(args: argparse.Namespace, prefix: str, refresh: float | None) -> int:
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    import os  # noqa: PLC0415

    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.tui.app import CacheApp  # noqa: PLC0415
    from ecr_cache_tui.wiring import open_oci_service  # noqa: PLC0415

    service = open_oci_service(
        args.registry_hostname,
        prefix=prefix,
        insecure=args.insecure_registry,
        interactive=True,
        env=os.environ,
    )
    CacheApp(
        service,
        read_only=args.read_only,
        source=f"OCI {args.registry_hostname}",
        refresh_seconds=refresh,
    ).run()
    return 0


def _run_demo(args: argparse.Namespace, prefix: str, refresh: float | None) -> int:
    """The demo ECR (moto) and the demo OCI registry (loopback) side by side: ``g`` switches."""
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.demo import DEMO_REGION, DemoEcr, DemoRegistry, demo_service  # noqa: PLC0415
    from ecr_cache_tui.tui.app import CacheApp  # noqa: PLC0415
    from ecr_cache_tui.wiring import open_oci_service  # noqa: PLC0415

    now = datetime.now(timezone.utc)

    def clock() -> datetime:
        return datetime.now(timezone.utc)

    with (
        DemoEcr(now=now, region=args.region or DEMO_REGION, prefix=prefix) as demo,
        DemoRegistry(now=now, prefix=prefix) as registry,
    ):
        service = demo_service(demo, clock=clock)
        oci = open_oci_service(registry.host, prefix=prefix, clock=clock, env={})
        CacheApp(
            service,
            read_only=args.read_only,
            source="demo",
            region=demo.region,
            stats_workers=1,
            refresh_seconds=refresh,
            registries=[(f"demo OCI registry {registry.host}", oci)],
        ).run()
    return 0
