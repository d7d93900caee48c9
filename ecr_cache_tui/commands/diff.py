"""``ecr-cache diff PIPELINE TAG_A TAG_B``: why did this build miss?

Reads both tags' inputs manifests from their image labels (:data:`manifest.LABEL`) through the
registry API (the ECR registry host with an ECR token, or ``--registry-hostname``) and shows them
side by side, one input per line, marked::

      same      ~ changed      + only in TAG_B      - only in TAG_A

Changed ``cache-on`` entries list the files whose digests differ. The last line sums it up
(``package-lock.json changed``). Exit 0 whether or not they differ (1 means a build failure in
this tool, SPEC §6).

``--json``: ``{"repository", "a", "b", "summary", "changes": [{"status", "kind", "name",
"a_digest", "b_digest", "changed_files"}]}`` (status ``same|changed|added|removed``).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ecr_cache_tui.commands._maintainer import (
    add_aws_arguments,
    add_json_argument,
    add_pipeline_argument,
    print_json,
    service_from_args,
    table,
)

if TYPE_CHECKING:
    from ecr_cache_tui.cachekey.inputs import Change, InputEntry

MARKS = {"same": " ", "changed": "~", "added": "+", "removed": "-"}
DIGEST_WIDTH = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    add_pipeline_argument(parser)
    parser.add_argument("tag_a", metavar="TAG_A", help="the older tag (e.g. the last hit)")
    parser.add_argument("tag_b", metavar="TAG_B", help="the newer tag (e.g. the build that missed)")
    parser.add_argument("--changed", action="store_true", help="show only the inputs that differ")
    add_json_argument(parser)
    add_aws_arguments(parser, labels=True)


def run(args: argparse.Namespace) -> int:
    """Print the two manifests side by side."""
    from ecr_cache_tui.cachekey.inputs import describe_changes  # noqa: PLC0415

    service = service_from_args(args)
    repository = service.resolve(args.pipeline)
    changes = service.diff(repository, args.tag_a, args.tag_b)
    summary = describe_changes(changes)
    if args.json:
        print_json(
            {
                "repository": repository,
                "a": args.tag_a,
                "b": args.tag_b,
                "summary": summary,
                "changes": [_change_json(c) for c in changes],
            }
        )
        return 0
    shown = [c for c in changes if c.status != "same"] if args.changed else list(changes)
    rows: list[list[str]] = []
    for change in shown:
        rows.append(
            [
                MARKS[change.status],
                change.entry.kind,
                change.entry.name,
                _digest(change.old),
                _digest(change.new),
            ]
        )
        if change.changed_files != (change.entry.name,):  # a pattern: name its files
            rows.extend(["", "", f"  {path}", "", ""] for path in change.changed_files)
    headers = [" ", "KIND", "INPUT", _head(args.tag_a), _head(args.tag_b)]
    print(f"{repository}: {args.tag_a} -> {args.tag_b}")
    for line in table(headers, rows):
        print(line)
    print(summary)
    return 0


def _head(tag: str) -> str:
    return tag if len(tag) <= DIGEST_WIDTH else tag[: DIGEST_WIDTH - 1] + "…"


def _digest(entry: InputEntry | None) -> str:
    return "-" if entry is None else str(entry.digest)[:DIGEST_WIDTH]


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "status": change.status,
        "kind": change.entry.kind,
        "name": change.entry.name,
        "a_digest": change.old.digest if change.old else None,
        "b_digest": change.new.digest if change.new else None,
        "changed_files": list(change.changed_files),
    }
