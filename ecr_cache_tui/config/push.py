"""Who may write the cache: ``push``, ``push-from-forks`` and fork detection (SPEC §8).

:func:`write_decision` answers, for one job, whether it may write the cache (push a tag, move
``latest``, create the repository, write its lifecycle policy, owe a push to the host) and, when
it may not, which rule says so, as one line for the log and the miss annotation. It is pure: it
reads the job's environment from the mapping it is given.

**Branch patterns** (``push: [main, 'release/*']``), as Buildkite's branch filters read them:
``*`` matches any run of characters, ``/`` included (``release/*`` matches ``release/1.2`` and
``release/1/hotfix``); every other character is literal, case-sensitive; a pattern must match
the whole branch name. A pattern starting with ``!`` excludes: the branch may push when it
matches no ``!`` pattern and, if any other pattern is given, at least one of them
(``['!gh-pages']`` alone: every branch but ``gh-pages``). Matching is linear in the branch's
length, whatever the stars (no backtracking).

**Forks**: a build is of a fork when ``BUILDKITE_PULL_REQUEST_REPO`` is set (not empty, not
``false``) and names another repository than ``BUILDKITE_REPO``, compared after
:func:`normalise_repository` (``git@github.com:org/repo.git``,
``https://github.com/org/repo``, ``ssh://git@github.com:22/org/repo.git`` are one repository).
A fork's build never writes unless ``push-from-forks: true``, whatever ``push`` says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ecr_cache_tui.records import Record
from ecr_cache_tui.text import show

__all__ = [
    "BRANCH_ENV",
    "PULL_REQUEST_REPO_ENV",
    "REPO_ENV",
    "WriteDecision",
    "branch_allowed",
    "glob_matches",
    "is_fork",
    "normalise_repository",
    "write_decision",
]

BRANCH_ENV = "BUILDKITE_BRANCH"
REPO_ENV = "BUILDKITE_REPO"
PULL_REQUEST_REPO_ENV = "BUILDKITE_PULL_REQUEST_REPO"

#: What ``push`` holds once validated: ``True``, ``False`` or the branch patterns as written.
PushSetting = bool | tuple[str, ...]


class WriteDecision(Record):
    """Whether this job may write the cache, and if not, why (one line naming the rule)."""

    allowed: bool
    reason: str = ""

    def line(self) -> str:
        """``this build does not write the cache: push is false`` (empty when it may)."""
        return "" if self.allowed else f"this build does not write the cache: {self.reason}"


def glob_matches(pattern: str, text: str) -> bool:
    """Whether ``pattern`` (``*`` = any characters, ``/`` included) matches all of ``text``.

    Greedy, leftmost matching of the literal pieces between the stars: linear in ``text``
    for a fixed pattern, and right for ``*``-only globs (the first piece anchors the start,
    the last one the end, the ones between are found in order).
    """
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return pattern == text
    first, *middle, last = pieces
    if len(text) < len(first) + len(last):
        return False
    if not text.startswith(first) or not text.endswith(last):
        return False
    at, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, at, end)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def branch_allowed(patterns: tuple[str, ...], branch: str) -> bool:
    """Whether ``branch`` passes ``patterns`` (see the module docs for ``!``)."""
    include = [p for p in patterns if not p.startswith("!")]
    exclude = [p[1:] for p in patterns if p.startswith("!")]
    if any(glob_matches(p, branch) for p in exclude):
        return False
    return not include or any(glob_matches(p, branch) for p in include)


_SCP_LIKE = r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>(?!//).*)$"
_URL = r"(?i)^[a-z][a-z0-9+.-]*://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d*)?(?P<path>/.*)?$"


def normalise_repository(url: str) -> str:
    """``host/org/repo`` of a git remote, for telling one repository from another.

    The host is lower-cased (hosts are case-insensitive), user and port dropped, the path
    kept as written (it may be case-sensitive) without a trailing ``/`` or ``.git``:
    ``git@GitHub.com:org/repo.git``, ``https://github.com/org/repo/`` and
    ``ssh://git@github.com:22/org/repo.git`` all give ``github.com/org/repo``. A value of
    neither form is returned stripped, so only equal strings compare equal.
    """
    text = url.strip()
    match = re.match(_URL, text) or re.match(_SCP_LIKE, text)
    if match is None:
        return text.rstrip("/").removesuffix(".git")
    path = (match["path"] or "").strip("/")
    path = path.removesuffix(".git").rstrip("/")
    return f"{match['host'].lower()}/{path}"


def is_fork(env: Mapping[str, str]) -> bool:
    """Whether the job builds a pull request from another repository (see the module docs)."""
    pull_request_repo = env.get(PULL_REQUEST_REPO_ENV, "").strip()
    if not pull_request_repo or pull_request_repo.lower() == "false":
        return False
    own = env.get(REPO_ENV, "").strip()
    return normalise_repository(pull_request_repo) != normalise_repository(own)


def write_decision(
    push: PushSetting, push_from_forks: bool, env: Mapping[str, str]
) -> WriteDecision:
    """Whether a job with these options and environment may write the cache.

    Args:
        push: the ``push`` option (``True``, ``False`` or branch patterns).
        push_from_forks: the ``push-from-forks`` option.
        env: the job's environment (``BUILDKITE_BRANCH``, ``BUILDKITE_REPO``,
            ``BUILDKITE_PULL_REQUEST_REPO``).
    """
    # Strings from the environment go into the reason escaped and bounded (show): it reaches
    # the log and the annotation. A fork is named by its normalised form: no user, no token.
    if push is False:
        return WriteDecision(False, "push is false")
    fork = env.get(PULL_REQUEST_REPO_ENV, "")
    if is_fork(env) and not push_from_forks:
        return WriteDecision(
            False,
            f"a pull request from a fork ({show(normalise_repository(fork), 120)}) "
            "and push-from-forks is false",
        )
    if push is True:
        return WriteDecision(True)
    branch = env.get(BRANCH_ENV, "")
    if not branch:
        return WriteDecision(False, f"{BRANCH_ENV} is not set and push lists branches")
    if not branch_allowed(push, branch):
        return WriteDecision(
            False, f"branch {show(branch, 120)} is not in push ({show(list(push), 120)})"
        )
    return WriteDecision(True)
