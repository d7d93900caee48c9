"""``ecr-cache diff PIPELINE TAG_A TAG_B``: why did this build miss?

Reads both tags' inputs manifests from their image labels (:data:`inputs.LABEL`) through the
registry API (the ECR registry host with an ECR token, or ``--registry-hostname``) and shows them
side by side, one input per line, marked::

      same      ~ changed      + only in TAG_B      - only in TAG_A

The TAG_A and TAG_B columns say what each input was, old and new: a literal build arg's value,
the platform, and otherwise a short digest with the manifest's note (``3 files``); changed
``cache-on`` entries list the files whose digests differ. These are the rows the TUI shows
(:mod:`ecr_cache_tui.cachekey.diffrows`). The last line sums it up (``package-lock.json
changed``). Exit 0 whether or not they differ (1 means a build failure in this tool, SPEC §6).

``--json``: ``{"repository", "a", "b", "summary", "changes": [{"status", "kind", "name",
"a_digest", "b_digest", "changed_files", "a_value", "b_value", "a_note", "b_note"}]}`` (status
``same|changed|added|removed``; ``*_value`` a literal build arg's value, else ``null``;
``*_note`` the manifest's note, ``null`` for a side that does not exist).
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
from ecr_cache_tui.errors import escape

if TYPE_CHECKING:
    from ecr_cache_tui.cachekey.inputs import Change

#: A tag in a column header is cut to this (the columns under it are about as wide).
HEAD_WIDTH = 16


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
    # lazy: a subcommand loads what it runs only when it runs (--help stays light)
    from ecr_cache_tui.cachekey.diffrows import diff_rows  # noqa: PLC0415
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
    # Names come from labels anyone who could push wrote: shown escaped, never sent raw.
    rows = [
        [" ", "", f"  {escape(row.name)}", row.old, row.new]
        if row.is_file
        else [row.mark, escape(row.kind), escape(row.name), row.old, row.new]
        for row in diff_rows(shown)
    ]
    headers = [" ", "KIND", "INPUT", _head(args.tag_a), _head(args.tag_b)]
    print(f"{repository}: {escape(args.tag_a)} -> {escape(args.tag_b)}")
    for line in table(headers, rows):
        print(line)
    print(summary)
    return 0


def _head(tag: str) -> str:
    return tag if len(tag) <= HEAD_WIDTH else tag[: HEAD_WIDTH - 1] + "…"


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "status": change.status,
        "kind": change.entry.kind,
        "name": change.entry.name,
        "a_digest": change.old.digest if change.old else None,
        "b_digest": change.new.digest if change.new else None,
        "changed_files": list(change.changed_files),
        "a_value": change.old.value if change.old else None,
        "b_value": change.new.value if change.new else None,
        "a_note": change.old.note if change.old else None,
        "b_note": change.new.note if change.new else None,
    }
