"""Labels a hostile pusher wrote, read back by ``ecr-cache diff`` and ``ls`` from the real registry.

Anyone who can push to a repository writes the inputs label the commands read. Each image here
is really built and pushed (``tests/labelled_push.py``) with a label that once ended a command
with a traceback or sent an escape sequence to the terminal: the command answers in one line
naming the tag, or shows the label's strings escaped, never a traceback, never a raw control
character. (A label over the 1 MiB bound is refused the same way: ``tests/cachekey/test_inputs.py``
has a 19 MB one; the docker build API cannot carry one that big to push it here.)
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from ecr_cache_tui.cachekey.inputs import LABEL, InputEntry, Manifest
from tests.commands.test_diff import ecr_cache, inputs
from tests.labelled_push import Pusher

if TYPE_CHECKING:
    from tests.services import Services

ESCAPES = "\x1b]0;PWNED\x1b\\ \x1b[31mred\x1b[0m \x07 [bold red]markup[/] <img src=x>"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

MALFORMED = {
    "deep": "[" * 100_000,
    "1e400": '{"tag": "t", "version": 1e400, "inputs": []}',
    "huge-number": '{"tag": "t", "version": ' + "9" * 5000 + ', "inputs": []}',
    "duplicate-entry": json.dumps(
        {"tag": "t", "inputs": [{"kind": "k", "name": "n", "digest": "d"}] * 2}
    ),
    "wrong-types": json.dumps({"tag": ["t"], "inputs": [{"kind": 1}]}),
}


def pushed(pusher: Pusher, repository: str, *tags: str) -> str:
    """``good`` and each of ``tags`` built and pushed to ``repository`` (moto is reset per test,
    so each test pushes what it reads)."""
    pusher.push(repository, "good", {LABEL: inputs("good", "1", None).to_label()})
    for tag in tags:
        if tag == "escaping":
            escaping = Manifest(
                tag, (*inputs(tag, "2", None).entries, InputEntry("cache-on", ESCAPES, "e" * 32))
            )
            pusher.push(repository, tag, {LABEL: escaping.to_label()})
        else:
            pusher.push(repository, tag, {LABEL: MALFORMED[tag]})
    return repository


def assert_clean(text: str) -> None:
    assert "Traceback" not in text, text
    assert not CONTROL.search(text), repr(text[:2000])


@pytest.mark.parametrize("tag", list(MALFORMED))
def test_diff_against_a_malformed_label_is_one_line_naming_the_tag(
    services: Services, pusher: Pusher, unique_repo: Any, tag: str
) -> None:
    hostile = pushed(pusher, unique_repo("build-cache/acme"), tag)
    result = ecr_cache(services, "diff", hostile, "good", tag)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and f"{hostile}:{tag}" in lines[0], result.stderr
    assert "not an inputs manifest" in lines[0] and len(lines[0]) < 400, lines[0]
    assert_clean(result.stderr)


@pytest.mark.parametrize("as_json", [False, True])
def test_diff_shows_a_labels_strings_escaped(
    services: Services, pusher: Pusher, unique_repo: Any, as_json: bool
) -> None:
    hostile = pushed(pusher, unique_repo("build-cache/acme"), "escaping")
    result = ecr_cache(services, "diff", hostile, "good", "escaping", *(["--json"] * as_json))
    assert result.returncode == 0, result.stderr
    assert_clean(result.stdout + result.stderr)
    if as_json:  # JSON escapes control characters itself: the names come back as written
        names = [change["name"] for change in json.loads(result.stdout)["changes"]]
        assert ESCAPES in names
    else:
        assert "\\x1b]0;PWNED\\x1b\\" in result.stdout


def test_ls_of_a_repository_with_hostile_labels(
    services: Services, pusher: Pusher, unique_repo: Any
) -> None:
    hostile = pushed(pusher, unique_repo("build-cache/acme"), "escaping", "deep", "1e400")
    result = ecr_cache(services, "ls", hostile)
    assert result.returncode == 0, result.stderr
    assert_clean(result.stdout + result.stderr)
    assert "1e400" in result.stdout
