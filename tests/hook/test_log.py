"""The job log: groups, redaction of every line, collapsed progress."""

from __future__ import annotations

import base64
import io

from ecr_cache_tui.hook.log import MASK, HookLog, ProgressCollapser, Redactor
from ecr_cache_tui.model import ProgressEvent

TOKEN = "123456789012-auth-token"


def test_redactor_masks_secrets_and_their_base64_forms() -> None:
    redact = Redactor()
    redact.add_login("AWS", TOKEN)
    login_b64 = base64.b64encode(f"AWS:{TOKEN}".encode()).decode()
    text = f"token={TOKEN} auth={login_b64} bare={base64.b64encode(TOKEN.encode()).decode()}"
    out = redact(text)
    assert TOKEN not in out and login_b64 not in out
    assert out.count(MASK) == 3


def test_redactor_masks_the_longer_secret_whole() -> None:
    redact = Redactor()
    redact.add("abcd")
    redact.add("abcdefgh")
    assert redact("x abcdefgh y") == f"x {MASK} y"


def test_short_values_are_not_masked() -> None:
    redact = Redactor()
    redact.add("on")
    redact.add("")
    assert redact("turned on") == "turned on"
    assert len(redact) == 0


def test_every_log_line_is_redacted_including_warnings() -> None:
    out = io.StringIO()
    log = HookLog(out)
    log.redactor.add("s3cr3t-value")
    log.group("build with s3cr3t-value")
    log.warn("daemon said s3cr3t-value")
    log.line("plain")
    text = out.getvalue()
    assert "s3cr3t-value" not in text
    assert text.splitlines()[0] == f"--- build with {MASK}"
    assert log.warnings == [f"daemon said {MASK}"]


def test_group_markers() -> None:
    out = io.StringIO()
    log = HookLog(out)
    log.group("a")
    log.quiet_group("b")
    log.open_group("c")
    log.expand_previous()
    assert out.getvalue().splitlines() == ["--- a", "~~~ b", "+++ c", "^^^ +++"]


def test_progress_is_one_line_per_finished_layer_and_a_summary_every_interval() -> None:
    lines: list[str] = []
    now = [0.0]
    collapse = ProgressCollapser(lines.append, lambda: now[0], interval=5.0)
    collapse(ProgressEvent("latest", "Pulling from build-cache/web"))
    for layer in ("aaa", "bbb"):
        for i in range(1000):
            now[0] += 0.001
            collapse(ProgressEvent(layer, "Downloading", f"[==>  ] {i}kB/1MB"))
        collapse(ProgressEvent(layer, "Download complete"))
        collapse(ProgressEvent(layer, "Pull complete"))
    now[0] += 10
    collapse(ProgressEvent("ccc", "Downloading", "[=>] 1kB/2kB"))
    collapse(ProgressEvent("", "Digest: sha256:abc"))
    assert lines[0] == "latest: Pulling from build-cache/web"
    assert "aaa: Pull complete" in lines and "bbb: Pull complete" in lines
    assert any(
        line.startswith("… 1 layer(s) in progress (ccc: Downloading 1kB/2kB)") for line in lines
    )
    assert lines[-1] == "Digest: sha256:abc"
    assert len(lines) <= 8
