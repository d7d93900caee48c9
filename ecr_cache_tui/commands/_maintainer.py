"""What ``ls``, ``rebuild``, ``policy`` and ``diff`` share: AWS options, output, confirmation.

Output conventions (SPEC §6): data on stdout, errors and questions on stderr. ``--json`` prints
one JSON object with stable keys and ISO-8601 UTC times (``2025-03-01T12:00:00Z``); people get
aligned columns. A confirmation reads one line from stdin: ``y``/``yes`` goes ahead, anything
else is a refusal (exit 0, nothing changed), and end of input without an answer is a usage
error (exit 2, nothing changed) so that a script that forgot ``--yes`` fails loudly instead of
silently doing nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any

from ecr_cache_tui import figures
from ecr_cache_tui.config.options import CACHE_PREFIX, normalise_prefix
from ecr_cache_tui.errors import UsageError

if TYPE_CHECKING:
    from ecr_cache_tui.model import EvictionItem
    from ecr_cache_tui.service import CacheService

__all__ = [
    "add_aws_arguments",
    "add_change_arguments",
    "add_json_argument",
    "add_pipeline_argument",
    "add_registry_arguments",
    "ask",
    "check_account_id",
    "check_registry_arguments",
    "confirm_deletion",
    "iso",
    "print_deletions",
    "print_json",
    "service_from_args",
    "table",
]


def add_pipeline_argument(parser: argparse.ArgumentParser, *, optional: bool = False) -> None:
    """The ``PIPELINE`` positional (``org/pipeline`` or a repository name)."""
    parser.add_argument(
        "pipeline",
        nargs="?" if optional else None,
        metavar="PIPELINE",
        help="org/pipeline or a repository name",
    )


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    """``--json``: what a listing prints for machines."""
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def add_change_arguments(parser: argparse.ArgumentParser, *, dry_run: str) -> None:
    """``--yes``, ``--dry-run`` (``dry_run``: what it does), ``--force`` and ``--json``, of every
    change."""
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--dry-run", action="store_true", help=dry_run)
    parser.add_argument(
        "--force", action="store_true", help="allow a repository outside the cache prefix"
    )
    add_json_argument(parser)


def add_region_profile_prefix(group: argparse._ActionsContainer) -> None:
    """``--region``, ``--profile`` and ``--prefix``: the maintainers' commands' and the TUI's."""
    group.add_argument(
        "--region",
        help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile, then eu-west-1)",
    )
    group.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or the default)")
    group.add_argument(
        "--prefix",
        default=CACHE_PREFIX,
        help=f"repository name prefix of the caches (default: {CACHE_PREFIX})",
    )


def add_aws_arguments(parser: argparse.ArgumentParser, *, labels: bool = False) -> None:
    """``--region``, ``--profile``, ``--prefix``, ``--account-id`` and the registry's options
    (:func:`add_registry_arguments`). ``labels``: the command reads image labels."""
    group = parser.add_argument_group("AWS")
    add_region_profile_prefix(group)
    group.add_argument(
        "--account-id", help="AWS account id of the registry (default: the caller's)"
    )
    add_registry_arguments(parser, labels=labels)


def add_registry_arguments(parser: argparse.ArgumentParser, *, labels: bool = True) -> None:
    """``--registry-provider``, ``--registry-hostname`` and ``--insecure-registry``."""
    group = parser.add_argument_group("registry")
    group.add_argument(
        "--registry-provider",
        choices=("ecr", "oci"),
        default="ecr",
        help="ecr (default), or oci: any OCI distribution registry at --registry-hostname "
        "(login from your Docker config)",
    )
    group.add_argument(
        "--registry-hostname",
        metavar="HOST[:PORT]",
        help="the OCI registry (with --registry-provider oci); on ECR, the host image "
        + ("labels are read from and " if labels else "")
        + "references name instead of the ECR registry host",
    )
    group.add_argument(
        "--insecure-registry",
        action="store_true",
        help="plain HTTP to the OCI registry (default: HTTPS, except for a loopback host)",
    )


def check_registry_arguments(args: argparse.Namespace) -> None:
    """The registry options together (exit 2 with one line when they do not fit)."""
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.config.parse import is_registry_hostname  # noqa: PLC0415
    from ecr_cache_tui.text import show  # noqa: PLC0415

    host = args.registry_hostname
    if host is not None and not is_registry_hostname(host):
        raise UsageError(
            f"--registry-hostname: {show(host)} is not valid: expected host[:port], "
            "e.g. ghcr.io or 127.0.0.1:5000"
        )
    if args.registry_provider != "oci":
        if args.insecure_registry:
            raise UsageError("--insecure-registry: only with --registry-provider oci")
        return
    if host is None:
        raise UsageError("--registry-hostname: needed with --registry-provider oci (host[:port])")
    for flag, value in (
        ("--account-id", getattr(args, "account_id", None)),
        ("--profile", args.profile),
        ("--region", args.region),
    ):
        if value is not None:
            raise UsageError(
                f"{flag}: {show(value)} is an AWS option, not used with an OCI registry"
            )


def check_account_id(account_id: str | None) -> None:
    """``--account-id``: 12 ASCII digits (``None``: the caller's account), else exit 2."""
    if account_id is not None and not (
        len(account_id) == 12 and account_id.isascii() and account_id.isdigit()
    ):
        raise UsageError(f"--account-id: {account_id!r} is not valid: expected 12 digits")


def checked_prefix(prefix: str) -> str:
    """``--prefix``, normalised to end in ``/``: empty, or a repository-name prefix, else exit 2."""
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.config.parse import is_repository_name  # noqa: PLC0415
    from ecr_cache_tui.text import show  # noqa: PLC0415

    normalised = normalise_prefix(prefix)
    if normalised and not is_repository_name(normalised + "x"):
        raise UsageError(
            f"--prefix: {show(prefix)} is not valid: expected a repository name prefix such as "
            f"{CACHE_PREFIX} (lower-case letters, digits, '.', '_', '-' between them, "
            "'/'-separated)"
        )
    return normalised


def service_from_args(args: argparse.Namespace) -> CacheService:
    """The cache service for the AWS options on ``args``."""
    # lazy: pulls in botocore
    from ecr_cache_tui.wiring import open_service  # noqa: PLC0415

    check_account_id(args.account_id)
    check_registry_arguments(args)
    prefix = checked_prefix(args.prefix)
    return open_service(
        region=args.region,
        profile=args.profile,
        prefix=prefix,
        registry_hostname=args.registry_hostname,
        account_id=args.account_id,
        registry_provider=args.registry_provider,
        insecure_registry=args.insecure_registry,
    )


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z`` (``None`` stays ``None``): the ``--json`` time format."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Collection[str] = ()
) -> list[str]:
    """Aligned columns, two spaces apart, no trailing blanks.

    Args:
        headers: column headers.
        rows: cells, already strings.
        right: the headers of the columns to right-align (numbers).
    """
    right_aligned = set(right)
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if h in right_aligned else c.ljust(w)
            for c, w, h in zip(cells, widths, headers, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def print_deletions(
    items: Sequence[EvictionItem],
    untagged: Sequence[str],
    note: Callable[[EvictionItem], str],
    out: IO[str],
) -> None:
    """What a change deletes, indented: a row a tag (tag, digest, push, size, ``note``), then a
    row an untagged image."""
    rows = [
        [i.tag, i.digest, figures.timestamp(i.pushed_at), figures.size(i.size_bytes), note(i)]
        for i in items
    ]
    rows += [["<untagged>", d, "-", "-", ""] for d in untagged]
    for line in table(["TAG", "DIGEST", "PUSHED", "SIZE", "NOTE"], rows, right={"SIZE"}):
        print(f"  {line}", file=out)


def print_json(data: Any, out: IO[str] | None = None) -> None:
    """``data`` as indented JSON with a trailing newline (keys in the order given)."""
    stream = out or sys.stdout
    stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def ask(question: str, *, stdin: IO[str] | None = None, stderr: IO[str] | None = None) -> bool:
    """Ask ``question [y/N]`` on stderr and read the answer from stdin.

    Returns:
        True for ``y``/``yes`` (any case), False for any other answer.

    Raises:
        UsageError: stdin ended without an answer (not a terminal and no ``--yes``).
    """
    err = stderr or sys.stderr
    err.write(f"{question} [y/N] ")
    err.flush()
    answer = (stdin or sys.stdin).readline()
    if not answer:
        err.write("\n")
        raise UsageError(
            "no answer on stdin (not a terminal?); nothing was changed; pass --yes to go ahead "
            "without asking"
        )
    return answer.strip().lower() in ("y", "yes")


def confirm_deletion(
    args: argparse.Namespace, show: Callable[[IO[str]], None], question: str
) -> bool:
    """Show what a change deletes (``show``: onto a stream) and ask ``question`` unless
    ``--yes``: on stdout for people; with ``--json`` only when asking, on stderr (stdout is for
    the JSON result; the person answering reads stderr).

    Returns:
        False, having said ``Nothing deleted.``, when the answer is no.
    """
    if not args.json:
        show(sys.stdout)
    if args.yes:
        return True
    if args.json:
        show(sys.stderr)
    if ask(question):
        return True
    print("Nothing deleted.", file=sys.stderr)
    return False
