"""``errors.escape`` and ``errors.one_line`` against every character: printable text is returned
as it is (no pattern compiled), anything a terminal would act on is escaped."""

from __future__ import annotations

import io
import re

from ecr_cache_tui.errors import escape, one_line
from ecr_cache_tui.hook.log import HookLog

# What must never reach a terminal raw (the set the patterns name).
ACTED_ON = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def test_every_character_a_terminal_acts_on_is_escaped_and_no_other() -> None:
    for code in range(0x10000):
        ch = chr(code)
        text = f"a{ch}b"
        escaped = escape(text)
        if ACTED_ON.search(ch):
            assert ch not in escaped and escaped.startswith("a\\") and escaped.endswith("b"), code
        else:
            assert escaped == text, code
        flat = one_line(text)
        assert not ACTED_ON.search(flat), code


def test_printable_text_is_returned_as_it_is() -> None:
    text = "ecr-cache: hit (local) 127.0.0.1:5000/build-cache/x:ab12 — ünïcode 漢字 \u00a0"
    assert escape(text) is text and one_line(text) is text


def test_the_log_folds_breaks_and_escapes_surrogates_only() -> None:
    out = io.StringIO()
    log = HookLog(out)
    log.line("one\ntwo\u2028three \x1b[32mgreen\x1b[0m \udcff")
    assert out.getvalue() == "one two three \x1b[32mgreen\x1b[0m \\udcff\n"
