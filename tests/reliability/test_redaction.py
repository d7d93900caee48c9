"""Secrets in any shape never reach the job log; one too short to mask is said out loud.

Unit tests of :mod:`ecr_cache_tui.hook.log`; the real hook with a multi-line build arg from the
environment echoed by ``RUN`` is in ``test_shim_inputs.py``.
"""

from __future__ import annotations

import base64
import io
import json
import urllib.parse

import pytest

from ecr_cache_tui.hook.log import MASK, HookLog, Redactor

KEY = "\n".join(
    [
        "-----BEGIN KEY-----",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        "bm90IGEgcmVhbCBrZXkgYXQgYWxs",
        "-----END KEY-----",
    ]
)


def shapes(secret: str) -> dict[str, str]:
    raw = secret.encode()
    return {
        "whole": secret,
        "json": json.dumps(secret)[1:-1],
        "percent": urllib.parse.quote(secret, safe=""),
        "base64": base64.b64encode(raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "base64 after a prefix": base64.b64encode(b"user:" + raw + b"!").decode(),
        "base64 after 1 byte": base64.b64encode(b"x" + raw).decode(),
        "base64 after 2 bytes": base64.b64encode(b"xy" + raw).decode(),
    }


@pytest.mark.parametrize("shape", list(shapes(KEY)))
def test_a_multi_line_secret_is_masked_in_every_shape(shape: str) -> None:
    redact = Redactor()
    redact.add(KEY)
    text = f"before {shapes(KEY)[shape]} after"
    out = redact(text)
    assert MASK in out
    for line in KEY.splitlines():
        assert line not in out
    if shape.startswith("base64"):
        # What is left of the encoded text carries at most a few bits of the secret at each end.
        assert len(out) < len(text) - len(KEY)


def test_a_multi_line_secret_is_masked_line_by_line_as_a_build_prints_it() -> None:
    out = io.StringIO()
    log = HookLog(out)
    log.secret("build arg CERT", KEY)
    for line in ["Step 3/4 : RUN echo $CERT", *KEY.splitlines(), "  " + KEY.splitlines()[1]]:
        log.line(line)
    text = out.getvalue()
    for line in KEY.splitlines():
        assert line not in text
    assert log.warnings == []


def test_a_message_holding_a_multi_line_secret_is_masked_whole_and_stays_one_line() -> None:
    out = io.StringIO()
    log = HookLog(out)
    log.secret("secret TLS", KEY)
    log.warn(f"push failed: registry said {KEY}\nand more")
    text = out.getvalue()
    assert text.count("\n") == 1
    assert "BEGIN KEY" not in text and MASK in text


@pytest.mark.parametrize("value", ["a", "on", "ab1"])
def test_a_value_too_short_to_mask_is_a_warning_naming_the_variable(value: str) -> None:
    out = io.StringIO()
    log = HookLog(out)
    log.secret("build arg FLAG", value)
    assert log.warnings == [
        "build arg FLAG: its value is shorter than 4 characters, too short to mask: the log may "
        "show it"
    ]
    assert f" {value} " not in out.getvalue() and f"{value!r}" not in out.getvalue()


def test_short_lines_of_a_multi_line_value_are_counted_in_the_warning() -> None:
    log = HookLog(io.StringIO())
    log.secret("secret JSON", '{\n  "password": "hunter2-and-more"\n}')
    assert log.warnings == [
        "secret JSON: 2 of the lines of its value are shorter than 4 characters, too short to "
        "mask: the log may show it"
    ]
    assert log.redactor('"password": "hunter2-and-more"') == MASK


def test_an_empty_or_unset_value_needs_no_warning() -> None:
    log = HookLog(io.StringIO())
    log.secret("build arg EMPTY", "")
    log.secret("build arg UNSET", None)
    assert log.warnings == []


def test_undecodable_bytes_from_the_environment_are_masked_without_an_error() -> None:
    value = b"caf\xe9-secret-value".decode("utf-8", "surrogateescape")
    out = io.StringIO()
    log = HookLog(out)
    log.secret("build arg LATIN1", value)
    log.line(f"echo {value}")
    assert out.getvalue() == f"echo {MASK}\n"


def test_build_output_keeps_its_colours_but_never_splits_a_line() -> None:
    out = io.StringIO()
    HookLog(out).line("\x1b[32mok\x1b[0m one\x85two\u2028three\rfour\ud800")
    assert out.getvalue() == "\x1b[32mok\x1b[0m one two three four\\ud800\n"
