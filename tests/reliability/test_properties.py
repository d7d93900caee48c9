"""Generated configurations, in-process: a PluginConfig or one printable line naming an option.

Thousands of drawn configurations (``strategies.py``) through every source the plugin reads:
decoded options (``parse``), ``BUILDKITE_PLUGIN_CONFIGURATION`` and ``--config`` text, and the
flattened variables. Whatever is drawn:

* the result is a :class:`PluginConfig` or a :class:`ConfigError` whose message is one printable
  line starting with an option (or the source) it names; never another exception;
* an accepted configuration goes through the checksum (a ConfigError or a tag) and, when that
  works, yields a ``docker build`` argv, a label and export records that a process can carry
  (no NUL, every string encodable), so nothing after the first side effect can fail on input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecr_cache_tui.cachekey.checksum import compute
from ecr_cache_tui.config import PluginConfig, load, parse
from ecr_cache_tui.config.options import OPTIONS
from ecr_cache_tui.config.protected import refusal
from ecr_cache_tui.config.sources import from_cli
from ecr_cache_tui.config.variables import EXPORT_IMAGE, EXPORT_TAG, is_identifier
from ecr_cache_tui.errors import ConfigError
from ecr_cache_tui.hook.build import build_args
from ecr_cache_tui.hook.exports import encode_exports
from tests.reliability.conftest import Figures
from tests.reliability.strategies import (
    checkout_files,
    configuration_text,
    configurations,
    flattened,
)

ENV = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web", "NODE_ENV": "x"}
PRINTABLE_LINE = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")
NAMED = (
    *OPTIONS,
    "BUILDKITE_PLUGIN_CONFIGURATION",
    "--config",
    "plugin configuration",
    "ECR_CACHE_FORCE_REBUILD",
)
# Derandomized: the same examples every run, so the suite cannot fail by chance; set
# ECR_CACHE_RANDOM_EXAMPLES=1 to draw new ones (and find new bugs).
SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    derandomize=not os.environ.get("ECR_CACHE_RANDOM_EXAMPLES"),
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("properties") / "checkout"
    for name in checkout_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text('{"a": {"b": 1}}\n' if name.endswith(".json") else "FROM x\n")
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0\n")
    (root / "lnk").symlink_to(outside)
    (root / "inside").symlink_to("docker")
    yield root


def check_refusal(error: ConfigError) -> str:
    text = str(error)
    assert PRINTABLE_LINE.fullmatch(text), repr(text)
    assert text.startswith(NAMED) or "is not an option of this plugin" in text, text
    return text


def check_accepted(config: PluginConfig, checkout: Path) -> str:
    """The rest of what the hook does with input before ECR: checksum, argv, label, exports."""
    try:
        result = compute(config, checkout, platform=config.platform or "linux/amd64")
    except ConfigError as error:
        check_refusal(error)
        return "refused by the checksum"
    args = build_args(
        config,
        checkout=checkout,
        dockerfile=checkout / (config.dockerfile or "Dockerfile"),
        reference=f"host/{config.ecr_name or 'x'}:{result.tag}",
        label=result.manifest.to_label(),
        buildkit=True,
        cache_from=None,
        force=config.force_rebuild,
    )
    for arg in args:
        assert "\0" not in arg
        os.fsencode(arg)  # what subprocess does with each argument
    assert is_identifier(config.export_env_variable)
    assert refusal(config.export_env_variable) is None
    encode_exports(
        [
            (config.export_env_variable, f"host/x:{result.tag}"),
            (EXPORT_IMAGE, "h"),
            (EXPORT_TAG, "t"),
        ]
    )
    return "accepted"


def outcome(make: Any, checkout: Path) -> str:
    try:
        config = make()
    except ConfigError as error:
        check_refusal(error)
        return "refused"
    return check_accepted(config, checkout)


@settings(SETTINGS, max_examples=1500)
@given(raw=configurations())
def test_decoded_configurations(raw: dict[Any, Any], checkout: Path, figures: Figures) -> None:
    result = outcome(lambda: parse(raw, ENV, checkout, repository_required=False), checkout)
    figures.add("configurations in-process (decoded options)", tried=1, **{result: 1})


@settings(SETTINGS, max_examples=600)
@given(text=configuration_text(), via=st.sampled_from(["env", "cli"]))
def test_configuration_text(text: str, via: str, checkout: Path, figures: Figures) -> None:
    def make() -> PluginConfig:
        if via == "env":
            return load({**ENV, "BUILDKITE_PLUGIN_CONFIGURATION": text}, checkout)
        raw = from_cli(text, None)
        assert raw is not None
        return parse(raw, ENV, checkout)

    result = outcome(make, checkout)
    figures.add("configurations in-process (JSON text)", tried=1, **{result: 1})


@settings(SETTINGS, max_examples=900)
@given(env=flattened())
def test_flattened_variables(env: dict[str, str], checkout: Path, figures: Figures) -> None:
    result = outcome(lambda: load({**ENV, **env}, checkout), checkout)
    figures.add("configurations in-process (flattened variables)", tried=1, **{result: 1})


@settings(
    SETTINGS,
    max_examples=400,
    # capsys is read and emptied by every example.
    suppress_health_check=[*SETTINGS.suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(text=configuration_text(), as_json=st.booleans())
def test_the_checksum_command(
    text: str, as_json: bool, checkout: Path, figures: Figures, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ecr-cache checksum --config TEXT`` as the CLI runs it: 0 with a tag, or 2 in one line."""
    from ecr_cache_tui import cli

    argv = ["checksum", "--config", text, "--platform", "linux/amd64", "--checkout", str(checkout)]
    try:
        code = cli.main([*argv, "--json"] if as_json else argv)
    except SystemExit as exit_:  # argparse's own refusal: `--config -x` reads as a flag
        assert exit_.code == 2
        _, err = capsys.readouterr()
        assert err.count("\n") == 1 and "--config" in err, err
        figures.add("ecr-cache checksum in-process (JSON text)", tried=1, exit_2=1)
        return
    out, err = capsys.readouterr()
    if code == 0:
        assert out, err
        figures.add("ecr-cache checksum in-process (JSON text)", tried=1, exit_0=1)
        return
    assert code == 2, err
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("ecr-cache: "), err
    check_refusal(ConfigError(err[len("ecr-cache: ") : -1]))
    figures.add("ecr-cache checksum in-process (JSON text)", tried=1, exit_2=1)
