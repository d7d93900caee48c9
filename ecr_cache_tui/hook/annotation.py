"""What the hook tells the build page (SPEC §4 step 9): a miss or a failure, never a hit.

One annotation per step, not per job: the context is the step's (``BUILDKITE_STEP_KEY``, else
``BUILDKITE_STEP_ID``, else the job's id), and every job that rebuilt or failed *appends* one
line to it (``buildkite-agent annotate --append``), naming the job (``job 4/50`` for a
parallel step, linked to the job when the build's URL is known). So 50 parallel jobs of a step
make one annotation, with a line for each job that had something to say. Appending rather than
keeping a count: the agent cannot read an annotation back, so a count kept by parallel jobs
would lose updates, where an append is one call that loses no other job's line.

Misses and failures go to two contexts of the step (``ecr-cache-<step>`` in the ``info`` style,
``ecr-cache-<step>-failed`` in ``error``): an annotation has one style, set by whoever wrote it
last, so a miss appended after a failure would otherwise turn the failure's red back to blue.

Every text a line carries (the step's label, the why, warnings, an error) may hold what a
registry, a checkout or a pipeline wrote: :func:`markdown_text` is the one place it is made
inert for the build page, which renders Markdown and HTML.

The call is a courtesy: the adapter bounds it to a few seconds and reports a problem as text,
which the log shows as one line; it never fails the job. ``annotate: false`` turns it off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ecr_cache_tui.errors import one_line
from ecr_cache_tui.hook.log import HookLog

if TYPE_CHECKING:
    from ecr_cache_tui.ports import Annotator

__all__ = ["failure_line", "job_label", "markdown_text", "miss_line", "send", "step_context"]

#: The agent refuses a context longer than this.
_MAX_CONTEXT = 100
_PREFIX = "ecr-cache-"
FAILED_SUFFIX = "-failed"
#: One job's line stays short: the annotation holds one per job of a step.
_MAX_LINE = 2000
_MAX_STEP_LABEL = 120


def step_context(env: Mapping[str, str]) -> str:
    """``ecr-cache-<step key | step id | job id>``, short enough for its ``-failed`` twin."""
    step = (
        env.get("BUILDKITE_STEP_KEY")
        or env.get("BUILDKITE_STEP_ID")
        or env.get("BUILDKITE_JOB_ID")
        or "job"
    )
    room = _MAX_CONTEXT - len(_PREFIX) - len(FAILED_SUFFIX)
    if len(step) > room:
        # lazy: rare; a local hit does not pay for OpenSSL's import
        import hashlib  # noqa: PLC0415

        digest = hashlib.sha256(step.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        step = f"{step[: room - 13]}-{digest}"
    return _PREFIX + step


def job_label(env: Mapping[str, str]) -> str:
    """How a line names its job: the step's label, then ``job 4/50`` (parallel) or ``job``,
    linked to the job when the build's URL is known. The label says which step an annotation
    is about (it has no header: every line is some job's)."""
    index, count = (
        env.get("BUILDKITE_PARALLEL_JOB", ""),
        env.get("BUILDKITE_PARALLEL_JOB_COUNT", ""),
    )
    name = f"job {int(index) + 1}/{count}" if index.isdigit() and count.isdigit() else "job"
    url, job = env.get("BUILDKITE_BUILD_URL", ""), env.get("BUILDKITE_JOB_ID", "")
    if url.startswith("https://") and job:
        name = f"[{name}]({url}#{job})"
    step = markdown_text(env.get("BUILDKITE_LABEL", ""), _MAX_STEP_LABEL)
    return f"{step}, {name}" if step else name


def _one_line(text: str) -> str:
    return " ".join(text.split())


# What makes Markdown syntax inline (emphasis, code, strikethrough, links and images by their
# brackets, autolinks by `://` and `www.`), each escaped with a backslash; HTML's `<`, `>` and
# `&` as entities (no tag or entity can form). Emoji shortcodes (`:docker:`) and parentheses
# stay readable: without brackets they form nothing.
_MARKDOWN = r"[\\`*_~\[\]<>&]|:(?=//)|(?<=www)\."  # compiled on first use (not on a hit)
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def markdown_text(text: str, limit: int = _MAX_LINE) -> str:
    """``text`` inert in an annotation: one line of at most ``limit`` characters (cut before
    escaping), control characters shown escaped, no Markdown or HTML syntax left (no link,
    image, tag, emphasis or autolink can form; what is shown reads as the text was)."""
    flat = one_line(_one_line(text))[:limit]
    return re.sub(_MARKDOWN, lambda m: _ENTITIES.get(m.group(), "\\" + m.group()), flat)


def miss_line(job: str, summary: str, why: str, warnings: list[str] | tuple[str, ...] = ()) -> str:
    """The markdown a job that rebuilt appends: what, why, how long, and any warnings."""
    line = f"- **ecr-cache** {job}: {markdown_text(summary)}"
    if why:
        line += f". Why: {markdown_text(why)}"
    return line + "".join(f"\n  - ⚠️ {markdown_text(w)}" for w in warnings) + "\n"


def failure_line(job: str, what: str, error: str) -> str:
    """The markdown a job that failed appends."""
    return f"- **ecr-cache** {job}: {markdown_text(what)}: {markdown_text(error)}\n"


def send(annotator: Annotator | None, log: HookLog, body: str, *, style: str, context: str) -> None:
    """Append ``body`` (redacted) to the annotation ``context``; a problem is one log line."""
    if annotator is None:
        return
    problem = annotator.annotate(log.redactor(body), style=style, context=context, append=True)
    if problem:
        log.line(f"ecr-cache: annotation skipped: {_one_line(problem)}")
